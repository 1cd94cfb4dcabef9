"""Everything an outsider may reach, with no login: hosted badge JSON, images, status lists,
share pages and QR codes, and badge verification (page and JSON API).

Kept apart from the staff portal so it can be served by a separate public deployment.
"""

from __future__ import annotations

from django.urls import path

from . import views_public as views
from . import views_share, views_verify

app_name = "public"

urlpatterns = [
    path("issuers/<uuid:public_id>", views.issuer, name="issuer"),
    path("issuers/<uuid:public_id>/status/<int:list_number>", views.status_list, name="status_list"),
    path("badges/<uuid:public_id>", views.badge_class, name="badge_class"),
    path("badges/<uuid:public_id>/image.png", views.badge_class_image, name="badge_class_image"),
    path("assertions/<uuid:public_id>", views.assertion, name="assertion"),
    path("assertions/<uuid:public_id>/credential.json", views.credential, name="credential"),
    path("assertions/<uuid:public_id>/image.png", views.award_image, name="award_image"),
    path("assertions/<uuid:public_id>/qr.svg", views_share.assertion_qr, name="assertion_qr"),
    path("share/<uuid:share_token>/", views_share.share, name="share"),
    path("share/<uuid:share_token>/qr.svg", views_share.share_qr, name="share_qr"),
    path("verify/", views_verify.verify_page, name="verify"),
    path("api/verify", views_verify.verify_api, name="verify_api"),
]
