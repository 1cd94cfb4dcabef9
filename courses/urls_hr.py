"""HR insight (/hr/): for HR, and for heads of section within their own departments."""

from __future__ import annotations

from django.urls import path

from . import views_hr

app_name = "hr"

urlpatterns = [
    path("", views_hr.dashboard, name="dashboard"),
    path("people/", views_hr.people, name="people"),
    path("people/export.csv", views_hr.people_export, {"fmt": "csv"}, name="people_export_csv"),
    path("people/export.xlsx", views_hr.people_export, {"fmt": "xlsx"}, name="people_export_xlsx"),
    path("people/<str:employee_number>/", views_hr.person_profile, name="profile"),
    path("skills/", views_hr.skill_matrix, name="matrix"),
    path("access-log/", views_hr.access_log, name="access_log"),
    path("access-log/export.csv", views_hr.access_log_export, name="access_log_export"),
]
