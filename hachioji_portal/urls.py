from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from badges import views_public as badges_public
from hachioji_portal.health import health
from staff import views as staff_views

admin.site.site_header = _("Hachioji City learning portal administration")
admin.site.site_title = _("Learning portal admin")
admin.site.index_title = _("HR (training desk) administration")
# The admin login goes through allauth, so its rate limits and MFA apply to HR too.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("", staff_views.home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("me/", include("staff.urls")),
    path("courses/", include("courses.urls")),
    path("hr/", include("courses.urls_hr")),
    path("badges/", include("badges.urls")),
    path("admin/", admin.site.urls),
    # Public tree: no login, nothing but what badges and their holders make public.
    path("public/", include("badges.urls_public")),
    path(".well-known/did.json", badges_public.did_document, name="did_document"),
    path("health", health, name="health"),
]

# MEDIA_ROOT is never served as such: baked badges and uploaded portfolio files are private and
# go out only through views that check who is asking (and never as HTML).
