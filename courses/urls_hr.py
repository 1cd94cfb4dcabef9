"""HR insight (/hr/): for HR, and for heads of section within their own departments."""

from __future__ import annotations

from django.urls import path

from . import views_careers, views_hcreport, views_hr, views_promotion

app_name = "hr"

urlpatterns = [
    path("", views_hr.dashboard, name="dashboard"),
    path("people/", views_hr.people, name="people"),
    path("people/export.csv", views_hr.people_export, {"fmt": "csv"}, name="people_export_csv"),
    path("people/export.xlsx", views_hr.people_export, {"fmt": "xlsx"}, name="people_export_xlsx"),
    path("people/<str:employee_number>/", views_hr.person_profile, name="profile"),
    path("skills/", views_hr.skill_matrix, name="matrix"),
    path("careers/", views_careers.coverage, name="careers"),
    path("teams/", views_careers.team, name="teams"),
    path("teams/export.csv", views_careers.team_export, {"fmt": "csv"}, name="teams_export_csv"),
    path("teams/export.xlsx", views_careers.team_export, {"fmt": "xlsx"}, name="teams_export_xlsx"),
    path("access-log/", views_hr.access_log, name="access_log"),
    path("access-log/export.csv", views_hr.access_log_export, name="access_log_export"),
    # 昇任選考 points (HR only): rule sets, candidates, freezes and exports (courses/promotion.py).
    path("promotion/", views_promotion.rule_sets, name="promotion"),
    path("promotion/<int:pk>/", views_promotion.candidates, name="promotion_candidates"),
    path("promotion/<int:pk>/freeze/", views_promotion.freeze, name="promotion_freeze"),
    path("promotion/<int:pk>/export.csv", views_promotion.export_live, {"fmt": "csv"}, name="promotion_export_csv"),
    path("promotion/<int:pk>/export.xlsx", views_promotion.export_live, {"fmt": "xlsx"}, name="promotion_export_xlsx"),
    path(
        "promotion/frozen/<int:pk>/export.csv",
        views_promotion.export_snapshot,
        {"fmt": "csv"},
        name="promotion_snapshot_csv",
    ),
    path(
        "promotion/frozen/<int:pk>/export.xlsx",
        views_promotion.export_snapshot,
        {"fmt": "xlsx"},
        name="promotion_snapshot_xlsx",
    ),
    # The human-capital report (人的資本, HR only: courses/hcreport.py).
    path("report/", views_hcreport.report, name="report"),
    path("report/export.csv", views_hcreport.report_export, {"fmt": "csv"}, name="report_export_csv"),
    path("report/export.xlsx", views_hcreport.report_export, {"fmt": "xlsx"}, name="report_export_xlsx"),
]
