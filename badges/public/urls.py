"""Everything an outsider may reach, with no login: hosted badge JSON, images, status lists,
share pages and QR codes, and badge verification (page and JSON API).

Kept apart from the staff portal so it can be served by a separate public deployment.
"""

from __future__ import annotations

from django.urls import path

from .. import views_wallet
from . import views, views_share, views_verify

app_name = "public"

urlpatterns = [
    path("issuers/<uuid:public_id>", views.issuer, name="issuer"),
    path("issuers/<uuid:public_id>/status/<int:list_number>", views.status_list, name="status_list"),
    path("issuers/<uuid:public_id>/image.png", views.issuer_image, name="issuer_image"),
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
    # OpenID4VCI 1.0 endpoints a wallet app calls (anonymous by design; badges/views_wallet.py).
    path("oid4vci/token", views_wallet.token, name="oid4vci_token"),
    path("oid4vci/nonce", views_wallet.nonce, name="oid4vci_nonce"),
    path("oid4vci/credential", views_wallet.credential, name="oid4vci_credential"),
]
