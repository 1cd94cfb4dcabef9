"""The public URLs only (``PORTAL_URLCONF_MODE=public``): the verify page and API, hosted badge
documents, share pages, status lists, did.json and the wallet endpoints, for a deployment of
its own in the internet-facing segment, so that verify traffic never takes the staff portal's
workers (docs/operations.md). Nothing of the staff portal is mounted: no sign-in, no admin, no
staff pages.

The public pages share the portal's layout, which links home and to the language switch: home
sends visitors to the verify page, and the language switch (it only sets a cookie for an
anonymous visitor) is mounted under its usual name.
"""

from __future__ import annotations

from django.urls import include, path, reverse_lazy
from django.views.generic import RedirectView

from badges import views_wallet as badges_wallet
from badges.public import views as badges_public
from hachioji_portal import organisation_views
from hachioji_portal.health import health
from staff import views as staff_views

_staff_public = ([path("language/", staff_views.language_set, name="language_set")], "staff")

urlpatterns = [
    path("", RedirectView.as_view(url=reverse_lazy("public:verify")), name="home"),
    path("me/", include(_staff_public)),
    path("public/skills/", include("courses.urls_public")),
    path("public/", include("badges.public.urls")),
    path(".well-known/did.json", badges_public.did_document, name="did_document"),
    path(".well-known/openid-credential-issuer", badges_wallet.issuer_metadata, name="oid4vci_issuer_metadata"),
    path(
        ".well-known/oauth-authorization-server",
        badges_wallet.authorization_server_metadata,
        name="oauth_authorization_server_metadata",
    ),
    path("health", health, name="health"),
    path("organisation/theme.css", organisation_views.theme, name="organisation_theme"),
    path("organisation/logo", organisation_views.logo, name="organisation_logo"),
]
