"""Career paths for every staff member (/careers/): the role profiles they follow and their gaps."""

from __future__ import annotations

from django.urls import path

from . import views_careers

app_name = "careers"

urlpatterns = [
    path("", views_careers.index, name="index"),
    path("choose/", views_careers.choose, name="choose"),
    path("request/", views_careers.request_course, name="request"),
]
