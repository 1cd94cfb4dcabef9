from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from badges import views_wallet as badges_wallet
from badges.public import views as badges_public
from hachioji_portal import organisation_views
from hachioji_portal.health import health
from hachioji_portal.organisation import organisation
from staff import sso as staff_sso
from staff import views as staff_views


def _admin_header() -> str:
    return gettext("%(organisation)s learning portal administration") % {"organisation": organisation().display_name}


admin.site.site_header = lazy(_admin_header, str)()
admin.site.site_title = _("Learning portal admin")
admin.site.index_title = _("HR (training desk) administration")
# The admin login goes through allauth, so its rate limits and MFA apply to HR too.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("", staff_views.home, name="home"),
    # Before allauth's own (same URL): its callback, remembering the ID token for signing out of
    # the identity provider too (staff/sso.py).
    path("accounts/oidc/<str:provider_id>/login/callback/", staff_sso.callback, name="city_sso_callback"),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("me/", include("staff.urls")),
    path("courses/", include("courses.urls")),
    path("hr/", include("courses.urls_hr")),
    path("careers/", include("courses.urls_careers")),
    # The Open Badges 3.0 API (/ims/ob/v3p0/, /oauth/ob/), its public page and the staff page
    # of connected applications (/badges/connected-apps/): badges/obapi/urls.py.
    path("", include("badges.obapi.urls")),
    path("badges/", include("badges.urls")),
    path("admin/", admin.site.urls),
    # Public tree: no login, nothing but what badges and their holders make public.
    # The skill framework's pages are courses' (badges must not import courses), in the same tree.
    path("public/skills/", include("courses.urls_public")),
    path("public/", include("badges.public.urls")),
    path(".well-known/did.json", badges_public.did_document, name="did_document"),
    # Add to wallet (OpenID4VCI 1.0): the credential issuer is PORTAL_BASE_URL, so its metadata
    # sits at the origin's root (badges/views_wallet.py, docs/wallets.md).
    path(".well-known/openid-credential-issuer", badges_wallet.issuer_metadata, name="oid4vci_issuer_metadata"),
    path(
        ".well-known/oauth-authorization-server",
        badges_wallet.authorization_server_metadata,
        name="oauth_authorization_server_metadata",
    ),
    path("health", health, name="health"),
    # The organisation's colours and logo (settings PORTAL_COLOUR*, PORTAL_LOGO_FILE).
    path("organisation/theme.css", organisation_views.theme, name="organisation_theme"),
    path("organisation/logo", organisation_views.logo, name="organisation_logo"),
]

# MEDIA_ROOT is never served as such: baked badges and uploaded portfolio files are private and
# go out only through views that check who is asking (and never as HTML).
