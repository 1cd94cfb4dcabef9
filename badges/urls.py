"""Staff pages about badges (sign-in required): my badges, the portfolio, the training record."""

from __future__ import annotations

from django.urls import path

from . import views, views_wallet

app_name = "badges"

urlpatterns = [
    path("", views.my_badges, name="mine"),
    path("portfolio/", views.portfolio, name="portfolio"),
    path("portfolio/add/", views.portfolio_add, name="portfolio_add"),
    path("portfolio/<uuid:public_id>/", views.portfolio_detail, name="portfolio_detail"),
    path("portfolio/<uuid:public_id>/original", views.portfolio_original, name="portfolio_original"),
    path("portfolio/<uuid:public_id>/remove", views.portfolio_remove, name="portfolio_remove"),
    path("portfolio/<uuid:public_id>/qr.svg", views.external_qr, name="portfolio_qr"),
    path("record/", views.record, name="record"),
    path("record/<str:employee_number>/", views.record, name="record_of"),
    path("<uuid:public_id>/", views.award_detail, name="detail"),
    path("<uuid:public_id>/download.png", views.award_download_png, name="download_png"),
    path("<uuid:public_id>/credential.json", views.award_download_credential, name="download_credential"),
    path("<uuid:public_id>/visibility", views.award_visibility, name="visibility"),
    path("<uuid:public_id>/share-link/renew", views.award_share_link_renew, name="share_link_renew"),
    path("<uuid:public_id>/wallet-offer", views_wallet.wallet_offer, name="wallet_offer"),
]
