"""/hr/: HR insight (courses/insight/), careers and teams, 昇任選考 points and the human-capital report.

For HR, and (insight, careers, teams) for heads of section within their own departments."""

from __future__ import annotations

from django.urls import include, path

from . import views_careers, views_hcreport, views_promotion

app_name = "hr"

urlpatterns = [
    # Dashboard, people search and export, profiles, skill matrix, access log (courses/insight/).
    path("", include("courses.insight.urls")),
    path("careers/", views_careers.coverage, name="careers"),
    path("teams/", views_careers.team, name="teams"),
    path("teams/export.csv", views_careers.team_export, {"fmt": "csv"}, name="teams_export_csv"),
    path("teams/export.xlsx", views_careers.team_export, {"fmt": "xlsx"}, name="teams_export_xlsx"),
    # 昇任選考 points (HR only): rule sets, candidates, freezes and exports (courses/promotion/).
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
