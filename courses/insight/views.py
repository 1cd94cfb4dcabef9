"""HR insight pages: dashboard, people search and export, a person's profile, skill matrix, access log.

HR sees everyone. A head of section sees the people of the departments they head (and below):
a department outside that scope answers 403, never an empty page. Everyone else gets 403;
anonymous visitors go to the sign-in page. Every view of a person's record is logged.
"""

from __future__ import annotations

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

from .. import charts, exports, insight
from ..models import Skill
from .dashboard_charts import dashboard_charts
from .forms import AccessLogForm, DashboardForm, MatrixForm, PeopleSearchForm

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
    people = list(plan.people[: insight.search.EXPORT_MAX_ROWS + 1])
    if len(people) > insight.search.EXPORT_MAX_ROWS:
        messages.error(
            request,
            _("More than %(limit)s people match: narrow the search before exporting.")
            % {"limit": formats.number_format(insight.search.EXPORT_MAX_ROWS, force_grouping=True)},
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
        batch_size=insight.search.EXPORT_MAX_ROWS,
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
            "charts": dashboard_charts(data, scope, departments),
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
