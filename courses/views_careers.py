"""Career paths and cross-department teams (issue 15 §2, §3).

* ``/careers/`` (every staff member): the role profiles they follow, their gaps, the courses
  that close each gap with a one-click request, and the other profiles to choose from.
* ``/hr/careers/`` (HR: the city; a head: their departments): a profile's coverage, counts only.
* ``/hr/teams/`` (HR and heads, city-wide among people who opted in; ``courses/teams.py`` says
  why): a proposed team with the evidence for each person, CSV and XLSX exports. Every proposal
  shown or exported is logged in the record access log, one row per person.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from staff.models import RecordAccess, StaffMember
from staff.spreadsheets import escape_cell

from . import careers, careers_charts, exports, insight, teams
from .models import Course, Skill, SkillLevel
from .services import EnrolmentError


def _user(request: HttpRequest) -> StaffMember:
    return request.user  # type: ignore[return-value]


# --- Staff: my career paths ----------------------------------------------------------------


@login_required
def index(request: HttpRequest) -> HttpResponse:
    page = careers.career_page(staff=_user(request))
    return render(request, "courses/careers/index.html", {"page": page})


@login_required
@require_POST
def choose(request: HttpRequest) -> HttpResponse:
    """Follow (``action=add``) or stop following (``action=remove``) a role profile."""
    profile = careers.profile_by_code(request.POST.get("profile", ""))
    if profile is None:
        raise Http404
    if request.POST.get("action") == "remove":
        careers.role_profile_unchoose(staff=_user(request), profile=profile)
        messages.success(request, _("You no longer follow “%(name)s”.") % {"name": profile.display_name})
    else:
        try:
            careers.role_profile_choose(staff=_user(request), profile=profile)
        except EnrolmentError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("You now follow “%(name)s”.") % {"name": profile.display_name})
    return redirect("careers:index")


@login_required
@require_POST
def request_course(request: HttpRequest) -> HttpResponse:
    """One click from a gap: the enrolment request service with its checks (courses/careers.py)."""
    course = get_object_or_404(Course, code=request.POST.get("course", "").strip().upper(), is_published=True)
    profile = careers.profile_by_code(request.POST.get("profile", ""))
    skill = Skill.objects.filter(code=request.POST.get("skill", "").strip().upper()).first()
    if profile is None or skill is None:
        raise Http404
    try:
        careers.career_course_request(staff=_user(request), course=course, profile=profile, skill=skill)
    except EnrolmentError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Your request for “%(course)s” was sent to your head of section.") % {"course": course.display_title},
        )
    return redirect("careers:index")


# --- HR and heads: a profile's coverage -----------------------------------------------------


def _scope(request: HttpRequest) -> insight.Scope:
    scope = insight.insight_scope(request.user)
    if scope is None:
        raise PermissionDenied
    return scope


@login_required
def coverage(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    profiles = careers.coverage_profiles()
    code = request.GET.get("profile", "")
    profile = next((p for p in profiles if p.code == code.strip().upper()), None) if code else None
    if code and profile is None:
        raise Http404
    if profile is None and profiles:
        profile = profiles[0]
    data = None
    if profile is not None:
        data = careers.profile_coverage(profile=profile, scope=scope, departments=insight.DepartmentIndex.load())
    return render(
        request,
        "courses/hr/careers.html",
        {
            "scope": scope,
            "profiles": profiles,
            "profile": profile,
            "coverage": data,
            "charts": careers_charts.coverage_charts(data) if data is not None else [],
        },
    )


# --- HR and heads: a cross-department team -------------------------------------------------


class TeamForm(forms.Form):
    """Up to six skills with a level each, and the head count (GET: a proposal is a link)."""

    size = forms.IntegerField(label=gettext_lazy("People needed"), min_value=1, max_value=teams.MAX_SIZE, initial=4)

    def __init__(self, *args: Any, skills: list[Skill], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.skills = {s.code: s for s in skills}
        choices = [("", _("—"))] + [(s.code, s.display_name) for s in skills]
        for i in range(1, teams.MAX_NEEDS + 1):
            self.fields[f"skill_{i}"] = forms.ChoiceField(
                label=_("Skill %(n)s") % {"n": i}, choices=choices, required=False
            )
            self.fields[f"level_{i}"] = forms.TypedChoiceField(
                label=_("Level for skill %(n)s") % {"n": i},
                choices=SkillLevel.choices,
                coerce=int,
                required=False,
                empty_value=1,
            )

    @property
    def rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"skill_{i}"], self[f"level_{i}"]) for i in range(1, teams.MAX_NEEDS + 1)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        needs: list[teams.Need] = []
        seen: set[str] = set()
        for i in range(1, teams.MAX_NEEDS + 1):
            code = data.get(f"skill_{i}")
            if not code:
                continue
            if code in seen:
                raise forms.ValidationError(_("Choose each skill once."))
            seen.add(code)
            needs.append(teams.Need(self.skills[code], data.get(f"level_{i}") or 1))
        if not needs:
            raise forms.ValidationError(_("Choose at least one skill the team needs."))
        data["needs"] = needs
        return data


def _team(request: HttpRequest) -> tuple[insight.Scope, TeamForm, teams.TeamProposal | None]:
    scope = _scope(request)
    skills = list(Skill.objects.filter(is_active=True))
    form = TeamForm(request.GET or None, skills=skills)
    proposal = None
    if request.GET and form.is_valid():
        proposal = teams.team_propose(
            needs=form.cleaned_data["needs"],
            size=form.cleaned_data["size"],
            departments=insight.DepartmentIndex.load(),
        )
    return scope, form, proposal


def _log(request: HttpRequest, proposal: teams.TeamProposal, purpose: str) -> None:
    viewer = _user(request)
    path = request.get_full_path()[:300]
    RecordAccess.objects.bulk_create(
        [
            RecordAccess(viewer=viewer, subject=m.person, purpose=purpose, path=path)
            for m in proposal.members
            if m.person.pk != viewer.pk
        ]
    )


@login_required
def team(request: HttpRequest) -> HttpResponse:
    scope, form, proposal = _team(request)
    if proposal is not None:
        _log(request, proposal, RecordAccess.Purpose.TEAM_PROPOSAL)
        for m in proposal.members:
            m.profile_link = scope.may_see(m.person)  # type: ignore[attr-defined]
    query = request.GET.urlencode()
    return render(
        request, "courses/hr/teams.html", {"scope": scope, "form": form, "proposal": proposal, "query": query}
    )


TEAM_HEADERS = ["職員番号", "氏名", "カナ", "所属", "加わったスキル", "根拠"]


def _team_rows(proposal: teams.TeamProposal) -> list[list[str]]:
    with translation.override("ja"):
        return [
            [
                m.person.employee_number,
                m.person.full_name,
                m.person.full_name_kana,
                m.department_label,
                "、".join(f"{n.skill.name} {n.level_label}" for n in m.new_needs),
                " / ".join(e.text() for e in m.evidence),
            ]
            for m in proposal.members
        ]


@login_required
def team_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The proposal as CSV (UTF-8 with a BOM) or XLSX, Japanese columns; logged per person."""
    _scope, _form, proposal = _team(request)
    if proposal is None:
        messages.error(request, _("Choose at least one skill the team needs."))
        return redirect("hr:teams")
    _log(request, proposal, RecordAccess.Purpose.TEAM_EXPORT)
    rows = _team_rows(proposal)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "xlsx":
        body = exports.to_xlsx(
            rows, sheet_title="部局横断チーム案", headers=TEAM_HEADERS, widths=(12, 16, 20, 32, 24, 80)
        )
        content_type = exports.XLSX_CONTENT_TYPE
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(TEAM_HEADERS)
        writer.writerows([escape_cell(c) for c in row] for row in rows)
        body, content_type = buffer.getvalue().encode("utf-8-sig"), exports.CSV_CONTENT_TYPE
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="team-proposal-{stamp}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response
