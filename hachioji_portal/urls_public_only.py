"""The public verify deployment (``PORTAL_URLCONF_MODE=public``): the verify page and API, on a
gunicorn of their own in the internet-facing segment, so that verify traffic never takes the
staff portal's workers (docs/operations.md). It has no database: what it checks this portal's
badges against is read from the published tree (``PORTAL_PUBLISH_DIR``, an rsync copy;
``badges/public/verification/facts.py``). The public documents themselves (hosted badges,
share pages, status lists, did.json, the organisation's theme and logo) are files of that tree,
served by nginx (deploy/nginx/), which sends only the URLs below here.

Nothing of the staff portal is mounted: no sign-in, no admin, no staff pages, no wallet
endpoints (they need the database). The page shares the portal's layout, which links home and
to the language switch: home sends visitors to the verify page, and the language switch (it only
sets a cookie for an anonymous visitor) is mounted under its usual name.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, include, path, reverse_lazy
from django.views.generic import RedirectView

from badges.public import health, views_verify
from badges.public import urls as public_urls
from hachioji_portal import organisation_views
from staff import views as staff_views

_staff_public = ([path("language/", staff_views.language_set, name="language_set")], "staff")
_SERVED_HERE = {"verify": views_verify.verify_page, "verify_api": views_verify.verify_api}


def _in_the_tree(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """A public document: a file of the published tree, which the web server serves (it never
    sends such a URL here). Mounted only so that links to it can be built."""
    raise Http404("served from the published tree")


# Every public URL keeps its name (reports and pages link to badges, issuers and share pages),
# but only the verify page and API are answered here.
_public = (
    [
        URLPattern(p.pattern, _SERVED_HERE.get(p.name or "", _in_the_tree), name=p.name)
        for p in public_urls.urlpatterns
        if isinstance(p, URLPattern)
    ],
    "public",
)

urlpatterns = [
    path("", RedirectView.as_view(url=reverse_lazy("public:verify")), name="home"),
    path("me/", include(_staff_public)),
    path("public/", include(_public)),
    path(".well-known/did.json", _in_the_tree, name="did_document"),
    path("health", health.health, name="health"),
    path("organisation/theme.css", organisation_views.theme, name="organisation_theme"),
    path("organisation/logo", organisation_views.logo, name="organisation_logo"),
]
