"""HR insight pages (included by ``courses/urls_hr.py`` under /hr/, in its ``hr`` namespace)."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("people/", views.people, name="people"),
    path("people/export.csv", views.people_export, {"fmt": "csv"}, name="people_export_csv"),
    path("people/export.xlsx", views.people_export, {"fmt": "xlsx"}, name="people_export_xlsx"),
    path("people/<str:employee_number>/", views.person_profile, name="profile"),
    path("skills/", views.skill_matrix, name="matrix"),
    path("access-log/", views.access_log, name="access_log"),
    path("access-log/export.csv", views.access_log_export, name="access_log_export"),
]
