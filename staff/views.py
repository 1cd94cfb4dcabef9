from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .http import AuthenticatedHttpRequest
from .models import StaffMember
from .selectors import team_opt_in_history
from .services import staff_set_language, staff_set_reminders, staff_set_team_opt_in


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "staff/home.html")


@login_required
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    user: StaffMember = request.user
    assignments = user.assignments.select_related("department").order_by("-valid_from")
    return render(
        request,
        "staff/profile.html",
        {
            "assignments": assignments,
            "team_opt_in_history": team_opt_in_history(user),
            "reminder_start_days": settings.PORTAL_COURSE_START_REMINDER_DAYS,
            "reminder_deadline_days": settings.PORTAL_APPLICATION_DEADLINE_REMINDER_DAYS,
        },
    )


@login_required
@require_POST
def reminders_set(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The profile's reminder switch (a checkbox: absent means off)."""
    enabled = request.POST.get("email_reminders") == "on"
    staff_set_reminders(staff=request.user, enabled=enabled)
    if enabled:
        messages.success(request, _("Reminder emails are on."))
    else:
        messages.success(request, _("Reminder emails are off."))
    return redirect("staff:profile")


@login_required
@require_POST
def team_opt_in_set(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The profile's cross-department projects choice (a checkbox: absent means no)."""
    opted_in = request.POST.get("team_opt_in") == "on"
    staff_set_team_opt_in(staff=request.user, opted_in=opted_in)
    if opted_in:
        messages.success(request, _("HR and heads of section can now find you for cross-department projects."))
    else:
        messages.success(request, _("You are no longer proposed for cross-department projects."))
    return redirect("staff:profile")


@require_POST
def language_set(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Switch the language; remembered on the person (for emails too) and in a cookie."""
    language = request.POST.get("language", "")
    supported = {code for code, _name in settings.LANGUAGES}
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language in supported:
        if request.user.is_authenticated:
            staff_set_language(staff=request.user, language=language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=True,
        )
    return response
