"""URLs of the Open Badges 3.0 API (mounted at the site root, namespace ``obapi``)."""

from __future__ import annotations

from django.urls import path

from . import oauth, registration, views

app_name = "obapi"

urlpatterns = [
    # The resource server (1EdTech OB 3.0 section 6): anonymous to Django, bearer tokens only.
    path("ims/ob/v3p0/discovery", views.discovery, name="discovery"),
    path("ims/ob/v3p0/credentials", views.credentials, name="credentials"),
    path("ims/ob/v3p0/profile", views.profile, name="profile"),
    # The authorization server (django-oauth-toolkit) and dynamic client registration.
    path("oauth/ob/authorize", oauth.ConsentView.as_view(), name="authorize"),
    path("oauth/ob/token", oauth.ObApiTokenView.as_view(), name="token"),
    path("oauth/ob/revoke", oauth.ObApiRevokeView.as_view(), name="revoke"),
    path("oauth/ob/register", registration.register, name="register"),
    # People's pages: the public page about the API, and the staff member's connected apps.
    path("public/open-badges-api/", views.about, name="about"),
    path("badges/connected-apps/", views.connected_apps, name="connected_apps"),
    path("badges/connected-apps/<uuid:public_id>/disconnect", views.disconnect, name="disconnect"),
]
