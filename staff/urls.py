from __future__ import annotations

from django.urls import path

from . import views

app_name = "staff"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("language/", views.language_set, name="language_set"),
    path("profile/reminders/", views.reminders_set, name="reminders_set"),
    path("profile/teams/", views.team_opt_in_set, name="team_opt_in_set"),
]
