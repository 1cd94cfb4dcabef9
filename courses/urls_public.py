"""The skill framework's public pages, mounted at /public/skills/ (hachioji_portal/urls.py):
part of the public tree, but courses' own (badges must not import courses)."""

from __future__ import annotations

from django.urls import path

from . import views_public as views

app_name = "public_skills"

urlpatterns = [
    path("", views.skill_index, name="index"),
    path("<slug:code>/", views.skill_detail, name="detail"),
]
