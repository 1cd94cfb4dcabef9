"""HR insight pages: dashboard, people search and export, a person's profile, skill matrix, access log.

HR sees everyone. A head of section sees the people of the departments they head (and below):
a department outside that scope answers 403, never an empty page. Everyone else gets 403;
anonymous visitors go to the sign-in page. Every view of a person's record is logged.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from staff.access_log import access_log_csv, access_log_filename
from staff.http import AuthenticatedHttpRequest
from staff.models import RecordAccess, StaffMember
from staff.selectors import is_hr
from staff.services import record_access_log

from . import charts, exports, insight
from .forms_hr import AccessLogForm, DashboardForm, MatrixForm, PeopleSearchForm
from .models import Skill

PAGE_SIZE = 50


def _scope(request: HttpRequest) -> insight.Scope:
    scope = insight.insight_scope(request.user)
    if scope is None:
        raise PermissionDenied
    return scope


def _department(code: str, scope: insight.Scope, departments: insight.DepartmentIndex) -> insight.Dept | None:
    """The chosen department; 404 if there is none with that code, 403 if it is outside the scope."""
    if not code:
        return None
    dept = departments.by_code.get(code)
    if dept is None:
        raise Http404
    if not scope.covers(dept.path):
        raise PermissionDenied
    return dept


def _query_without(request: HttpRequest, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


# --- People search ------------------------------------------------------------------------


def _search(request: HttpRequest) -> tuple[insight.Scope, PeopleSearchForm, insight.PeopleFilters | None, Any]:
    scope = _scope(request)
    departments = insight.DepartmentIndex.load()
    skills = list(Skill.objects.filter(is_active=True))
    form = PeopleSearchForm(request.GET or None, skills=skills, departments=departments.in_scope(scope))
    if not request.GET:
        return scope, form, None, departments
    if not form.is_valid():
        return scope, form, None, departments
    data = form.cleaned_data
    skill = next((s for s in skills if s.code == data["skill"]), None)
    filters = insight.PeopleFilters(
        q=data["q"],
        skill=skill,
        level=data["level"] or 1,
        badge=data["badge"].strip(),
        course=data["course"].strip(),
        department=_department(data["department"], scope, departments),
        grade=data["grade"],
        job_family=data["job_family"],
        employment_type=data["employment_type"],
        valid_only=data["valid_only"],
    )
    return scope, form, filters, departments


@login_required
def people(request: HttpRequest) -> HttpResponse:
    scope, form, filters, departments = _search(request)
    page = None
    results: list[insight.PersonMatch] = []
    if filters is not None:
        plan = insight.search_plan(scope=scope, filters=filters)
        # COUNT, then the page with LIMIT: the page query stops early in kana order. (A window
        # COUNT(*) OVER () in the page query was tried: it makes PostgreSQL evaluate every match
        # through a nested loop, 4x slower for broad badge/course searches.)
        page = Paginator(plan.people, PAGE_SIZE).get_page(request.GET.get("page"))
        results = insight.attach_evidence(plan, list(page.object_list), departments)
    return render(
        request,
        "courses/hr/people.html",
        {
            "scope": scope,
            "form": form,
            "filters": filters,
            "page": page,
            "results": results,
            "query": _query_without(request, "page"),
            "show_admin_links": scope.is_hr and request.user.is_staff,
        },
    )


@login_required
def people_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponse:
    """The whole result of a search as CSV or XLSX. Each exported person is logged (one bulk insert)."""
    scope, _form, filters, departments = _search(request)
    if filters is None:
        messages.error(request, _("Choose at least one filter before exporting."))
        return redirect("hr:people")
    plan = insight.search_plan(scope=scope, filters=filters)
    people = list(plan.people[: insight.EXPORT_MAX_ROWS + 1])
    if len(people) > insight.EXPORT_MAX_ROWS:
        messages.error(
            request,
            _("More than %(limit)s people match: narrow the search before exporting.")
            % {"limit": formats.number_format(insight.EXPORT_MAX_ROWS, force_grouping=True)},
        )
        return redirect(reverse("hr:people") + "?" + _query_without(request, "page"))
    matches = insight.attach_evidence(plan, people, departments, id_subquery=plan.people.values("pk"))
    viewer: StaffMember = request.user
    path = request.get_full_path()[:300]
    RecordAccess.objects.bulk_create(
        [
            RecordAccess(viewer=viewer, subject=m.person, purpose=insight.PURPOSE_EXPORT, path=path)
            for m in matches
            if m.person.pk != viewer.pk
        ],
        batch_size=insight.EXPORT_MAX_ROWS,
    )
    rows = exports.rows(matches, filters)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "xlsx":
        body, content_type = exports.to_xlsx(rows), exports.XLSX_CONTENT_TYPE
    else:
        body, content_type = exports.to_csv(rows), exports.CSV_CONTENT_TYPE
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="hr-people-{stamp}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response


# --- A person's profile -------------------------------------------------------------------


@login_required
def person_profile(request: AuthenticatedHttpRequest, employee_number: str) -> HttpResponse:
    scope = _scope(request)
    person = insight.person_for_profile(employee_number=employee_number)
    if person is None:
        raise Http404
    if not scope.may_see(person):
        raise PermissionDenied
    record_access_log(
        viewer=request.user,
        subject=person,
        purpose=scope.purpose,
        path=request.get_full_path(),
    )
    departments = insight.DepartmentIndex.load()
    data = insight.profile(person=person, departments=departments)
    return render(
        request,
        "courses/hr/profile.html",
        {
            "scope": scope,
            "profile": data,
            "person": person,
            "show_admin_links": scope.is_hr and request.user.is_staff,
            "back": request.GET.get("back", "") if url_is_local(request.GET.get("back", "")) else "",
        },
    )


def url_is_local(url: str) -> bool:
    return url.startswith("/hr/") and "//" not in url


# --- Skill matrix -------------------------------------------------------------------------


@login_required
def skill_matrix(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    departments = insight.DepartmentIndex.load()
    form = MatrixForm(request.GET or None, departments=departments.in_scope(scope))
    data = form.cleaned_data if form.is_valid() else {}
    parent = _department(data.get("department", ""), scope, departments)
    level = data.get("level") or 1
    as_of = data.get("as_of") or timezone.localdate()
    matrix = insight.skill_matrix(
        scope=scope,
        departments=departments,
        parent=parent,
        level=level,
        grade=data.get("grade", ""),
        as_of=as_of,
        valid_only=data.get("valid_only", False),
    )
    chart = _matrix_chart(matrix)
    trail = departments.ancestors(parent) if parent else []
    trail = [d for d in trail if scope.covers(d.path)]
    return render(
        request,
        "courses/hr/matrix.html",
        {"scope": scope, "form": form, "matrix": matrix, "chart": chart, "trail": trail},
    )


def _search_link(matrix: insight.SkillMatrix, dept: insight.Dept, skill: Skill | None) -> str:
    params = {"department": dept.code, "level": matrix.level}
    if skill is not None:
        params["skill"] = skill.code
    if matrix.grade:
        params["grade"] = matrix.grade
    if matrix.valid_only:
        params["valid_only"] = "on"
    return reverse("hr:people") + "?" + urlencode(params)


def _matrix_chart(matrix: insight.SkillMatrix) -> charts.Chart:
    col_labels = [s.display_name for s in matrix.skills]
    row_labels = [r.department.display_name for r in matrix.rows]
    values = [r.counts for r in matrix.rows]
    hrefs = [[_search_link(matrix, r.department, s) for s in matrix.skills] for r in matrix.rows]
    title = _("People holding each skill at level %(level)s or above, by department") % {"level": matrix.level}
    desc = _(
        "Heat map of %(rows)s departments by %(cols)s skills as of %(day)s; darker cells mean more people "
        "(shading runs from the smallest to the largest count). The same figures, with links to the "
        "people, are in the table that follows."
    ) % {"rows": len(row_labels), "cols": len(col_labels), "day": formats.date_format(matrix.as_of, "DATE_FORMAT")}
    svg = charts.heat_map(
        chart_id="skill-matrix",
        title=title,
        desc=desc,
        row_labels=row_labels,
        col_labels=col_labels,
        values=values,
    )
    minimum, maximum = charts.heat_range(values)
    rows = []
    for r, links in zip(matrix.rows, hrefs, strict=True):
        drill = (
            reverse("hr:matrix") + "?" + urlencode({"department": r.department.code, "level": matrix.level})
            if r.has_children
            else None
        )
        row = [charts.Cell(r.department.display_name, href=drill), charts.Cell(f"{r.headcount:,}", numeric=True)]
        for n, link in zip(r.counts, links, strict=True):
            row.append(
                charts.Cell(
                    f"{n:,}", href=link if n else None, numeric=True, level=charts.heat_level(n, maximum, minimum)
                )
            )
        rows.append(row)
    return charts.Chart(
        id="skill-matrix",
        title=title,
        desc=desc,
        svg=svg,
        head=[_("Department"), _("People"), *col_labels],
        rows=rows,
    )


# --- Dashboard ----------------------------------------------------------------------------


def _month_label(day: dt.date) -> str:
    return formats.date_format(day, "YEAR_MONTH_FORMAT")


def _yen(value: float | int) -> str:
    return _("%(amount)s yen") % {"amount": formats.number_format(int(value), force_grouping=True)}


def _percent(value: float | int) -> str:
    return f"{value:.0f}%"


def _dashboard_charts(
    d: insight.Dashboard, scope: insight.Scope, departments: insight.DepartmentIndex
) -> list[charts.Chart]:
    months = [_month_label(m) for m in d.months]
    period = _("%(start)s to %(end)s") % {
        "start": insight.fiscal_year_label(d.fy_from),
        "end": insight.fiscal_year_label(d.fy_to),
    }
    out = []

    s_req = charts.Series(_("Requests"), d.requests)
    s_done = charts.Series(_("Completions"), d.completions)
    title = _("Requests and completions per month")
    desc = _("Line chart, %(period)s: %(requests)s requests and %(completions)s completions in all.") % {
        "period": period,
        "requests": f"{sum(d.requests):,}",
        "completions": f"{sum(d.completions):,}",
    }
    out.append(
        charts.Chart(
            "requests-completions",
            title,
            desc,
            charts.line_chart(
                chart_id="requests-completions", title=title, desc=desc, labels=months, series=[s_req, s_done]
            ),
            [_("Month"), s_req.name, s_done.name],
            charts.table_rows(months, [s_req, s_done]),
        )
    )

    s_month = charts.Series(_("Badges issued"), d.badges)
    s_cum = charts.Series(_("Cumulative"), d.badges_cumulative)
    title = _("Badges issued per month, and the cumulative total")
    desc = _("Line chart, %(period)s: %(issued)s badges issued; %(total)s issued since the start.") % {
        "period": period,
        "issued": f"{sum(d.badges):,}",
        "total": f"{(d.badges_cumulative[-1] if d.badges_cumulative else 0):,}",
    }
    out.append(
        charts.Chart(
            "badges-monthly",
            title,
            desc,
            charts.line_chart(chart_id="badges-monthly", title=title, desc=desc, labels=months, series=[s_month])
            + charts.line_chart(
                chart_id="badges-cumulative",
                title=_("Cumulative badges issued"),
                desc=desc,
                labels=months,
                series=[s_cum],
            ),
            [_("Month"), s_month.name, s_cum.name],
            charts.table_rows(months, [s_month, s_cum]),
        )
    )

    labels = [r.label for r in d.provider_rates]
    rate = charts.Series(_("Completion rate"), [r.rate for r in d.provider_rates])
    title = _("Completion rate by provider")
    desc = _("Bar chart: completed ÷ (completed + not completed) for courses starting in %(period)s.") % {
        "period": period
    }
    out.append(
        charts.Chart(
            "provider-rates",
            title,
            desc,
            charts.bar_chart(
                chart_id="provider-rates",
                title=title,
                desc=desc,
                labels=labels,
                series=[rate],
                fmt=_percent,
                max_value=100,
            ),
            [_("Provider"), _("Completed"), _("Finished"), _("Completion rate")],
            [
                [
                    charts.Cell(r.label),
                    charts.Cell(f"{r.completed:,}", numeric=True),
                    charts.Cell(f"{r.finished:,}", numeric=True),
                    charts.Cell(_percent(r.rate), numeric=True),
                ]
                for r in d.provider_rates
            ],
        )
    )

    labels = [f"{r.label} ({r.code})" for r in d.course_rates]
    rate = charts.Series(_("Completion rate"), [r.rate for r in d.course_rates])
    title = _("Courses with the lowest completion rate")
    desc = _("Bar chart: the %(n)s courses with the lowest completion rate among those with enough finishers.") % {
        "n": len(labels)
    }
    out.append(
        charts.Chart(
            "course-rates",
            title,
            desc,
            charts.bar_chart(
                chart_id="course-rates",
                title=title,
                desc=desc,
                labels=labels,
                series=[rate],
                fmt=_percent,
                max_value=100,
            ),
            [_("Course"), _("Completed"), _("Finished"), _("Completion rate")],
            [
                [
                    charts.Cell(f"{r.label} ({r.code})", href=reverse("courses:detail", args=[r.code])),
                    charts.Cell(f"{r.completed:,}", numeric=True),
                    charts.Cell(f"{r.finished:,}", numeric=True),
                    charts.Cell(_percent(r.rate), numeric=True),
                ]
                for r in d.course_rates
            ],
        )
    )

    labels = [departments.label_within(dept, scope) for dept, _n in d.badges_by_department]
    s = charts.Series(_("Badges issued"), [n for _dept, n in d.badges_by_department])
    title = _("Badges issued by department")
    if scope.is_hr:
        desc = _("Bar chart, %(period)s, by the holder's current division.") % {"period": period}
    else:
        desc = _(
            "Bar chart, %(period)s, by the holder's current department: "
            "the departments you head and the units below them."
        ) % {"period": period}
    out.append(
        charts.Chart(
            "badges-department",
            title,
            desc,
            charts.bar_chart(chart_id="badges-department", title=title, desc=desc, labels=labels, series=[s]),
            [_("Department"), s.name],
            charts.table_rows(labels, [s]),
        )
    )

    labels = [insight.fiscal_year_label(fy) for fy in range(d.fy_from, d.fy_to + 1)]
    kinds = [charts.Series(label, counts) for label, counts in d.badges_by_use_type]
    title = _("Badges issued by use type")
    desc = _(
        "Bar chart per fiscal year, %(period)s: badges for a course taken for self-development or as "
        "evidence for promotion selection (the use type of the request the badge was issued for), and "
        "programme badges, which several courses earn together."
    ) % {"period": period}
    out.append(
        charts.Chart(
            "badges-use-types",
            title,
            desc,
            charts.bar_chart(chart_id="badges-use-types", title=title, desc=desc, labels=labels, series=kinds),
            [_("Fiscal year"), *(k.name for k in kinds)],
            charts.table_rows(labels, kinds),
        )
    )

    labels = [label for label, _r, _c in d.use_types]
    s_r = charts.Series(_("Requests"), [r for _label, r, _c in d.use_types])
    s_c = charts.Series(_("Completions"), [c for _label, _r, c in d.use_types])
    title = _("Requests and completions by use type")
    desc = _("Bar chart, %(period)s: self-development and evidence for promotion selection.") % {"period": period}
    out.append(
        charts.Chart(
            "use-types",
            title,
            desc,
            charts.bar_chart(chart_id="use-types", title=title, desc=desc, labels=labels, series=[s_r, s_c]),
            [_("Use type"), s_r.name, s_c.name],
            charts.table_rows(labels, [s_r, s_c]),
        )
    )

    labels = [insight.fiscal_year_label(fy) for fy, _s, _b in d.subsidy]
    s_spent = charts.Series(_("Subsidy spent"), [spent for _fy, spent, _b in d.subsidy])
    s_budget = charts.Series(_("Budget"), [budget for _fy, _s, budget in d.subsidy])
    title = _("Training subsidy spent against budget, per fiscal year")
    desc = _("Bar chart per fiscal year (April to March). %(budget_note)s") % {
        "budget_note": _("Budgets come from the TRAINING_BUDGET_BY_FISCAL_YEAR setting; a dash means none is set.")
    }
    out.append(
        charts.Chart(
            "subsidy",
            title,
            desc,
            charts.bar_chart(
                chart_id="subsidy", title=title, desc=desc, labels=labels, series=[s_spent, s_budget], fmt=_yen
            ),
            [_("Fiscal year"), s_spent.name, s_budget.name],
            charts.table_rows(labels, [s_spent, s_budget], fmt=_yen),
            note=str(insight.HELP_FISCAL_YEAR),
        )
    )

    labels = [f"{w.title} ({w.code})" for w in d.waitlists]
    s_w = charts.Series(_("On the waiting list"), [w.waitlisted for w in d.waitlists])
    title = _("Waiting-list pressure per course")
    desc = _("Bar chart: the %(n)s courses with the most people on the waiting list now.") % {"n": len(labels)}
    out.append(
        charts.Chart(
            "waitlists",
            title,
            desc,
            charts.bar_chart(chart_id="waitlists", title=title, desc=desc, labels=labels, series=[s_w]),
            [_("Course"), _("On the waiting list"), _("Seats taken"), _("Capacity")],
            [
                [
                    charts.Cell(f"{w.title} ({w.code})", href=reverse("courses:detail", args=[w.code])),
                    charts.Cell(f"{w.waitlisted:,}", numeric=True),
                    charts.Cell(f"{w.seated:,}", numeric=True),
                    charts.Cell("—" if w.capacity is None else f"{w.capacity:,}", numeric=True),
                ]
                for w in d.waitlists
            ],
        )
    )
    return out


def _dashboard_heading(scope: insight.Scope, departments: insight.DepartmentIndex) -> str:
    """HR sees the whole city; a head sees the departments they head, so the page says which."""
    if scope.is_hr:
        return _("Learning across the city")
    names = pgettext("list separator", ", ").join(d.display_name for d in departments.roots(scope))
    return _("Learning in %(departments)s") % {"departments": names}


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    form = DashboardForm(request.GET or None)
    fy_from, fy_to = form.years()
    departments = insight.DepartmentIndex.load()
    data = insight.dashboard(scope=scope, departments=departments, fy_from=fy_from, fy_to=fy_to)
    return render(
        request,
        "courses/hr/dashboard.html",
        {
            "scope": scope,
            "form": form,
            "dashboard": data,
            "charts": _dashboard_charts(data, scope, departments),
            "period": (insight.fiscal_year_label(fy_from), insight.fiscal_year_label(fy_to)),
            "heading": _dashboard_heading(scope, departments),
        },
    )


# --- Access log (HR only) -----------------------------------------------------------------


def _access_log_entries(request: HttpRequest) -> tuple[AccessLogForm, QuerySet[RecordAccess]]:
    """The log as filtered by the page's form (HR only); the page and its export show the same rows."""
    if not is_hr(request.user):
        raise PermissionDenied
    form = AccessLogForm(request.GET or None)
    entries = RecordAccess.objects.select_related("viewer", "subject").order_by("-at", "-pk")
    if form.is_valid():
        data = form.cleaned_data
        if data["person"]:
            entries = entries.filter(subject__employee_number=data["person"].strip())
        if data["viewer"]:
            entries = entries.filter(viewer__employee_number=data["viewer"].strip())
        if data["purpose"]:
            entries = entries.filter(purpose=data["purpose"])
        # Days in Japan time (the current time zone), both ends included.
        if data["date_from"]:
            entries = entries.filter(at__date__gte=data["date_from"])
        if data["date_to"]:
            entries = entries.filter(at__date__lte=data["date_to"])
    return form, entries


@login_required
def access_log(request: HttpRequest) -> HttpResponse:
    form, entries = _access_log_entries(request)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "courses/hr/access_log.html",
        {"form": form, "page": page, "query": _query_without(request, "page")},
    )


@login_required
def access_log_export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered log as CSV (UTF-8 with a BOM, Japanese headers and labels, like the people
    export), streamed: a year of the log does not have to fit in memory."""
    _form, entries = _access_log_entries(request)
    response = StreamingHttpResponse(
        access_log_csv(entries.iterator(chunk_size=2000)), content_type=exports.CSV_CONTENT_TYPE
    )
    response["Content-Disposition"] = f'attachment; filename="{access_log_filename()}"'
    response["Cache-Control"] = "no-store"
    return response
