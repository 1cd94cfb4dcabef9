"""The dashboard's figures: requests, completions, badges, rates, subsidy and waiting lists."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone

from badges.models import Award

from ..models import SEAT_STATES, AwardUse, Course, Enrolment, EnrolmentState, UseType
from .departments import DepartmentIndex, Dept
from .fiscal import fiscal_year_bounds, fiscal_year_of, month_starts
from .scope import Scope

S = EnrolmentState


@dataclass
class RateRow:
    label: str
    completed: int
    finished: int
    code: str = ""

    @property
    def rate(self) -> float:
        return 100.0 * self.completed / self.finished if self.finished else 0.0


@dataclass
class WaitlistRow:
    code: str
    title: str
    capacity: int | None
    waitlisted: int
    seated: int


@dataclass
class Dashboard:
    fy_from: int
    fy_to: int
    months: list[dt.date]
    requests: list[int]
    completions: list[int]
    badges: list[int]
    badges_cumulative: list[int]
    provider_rates: list[RateRow]
    course_rates: list[RateRow]
    badges_by_department: list[tuple[Dept, int]]
    badges_by_use_type: list[tuple[str, list[int]]]  # label, badges per fiscal year fy_from…fy_to
    use_types: list[tuple[str, int, int]]  # label, requests, completions
    subsidy: list[tuple[int, int, int | None]]  # fiscal year, spent, budget (None: none set)
    waitlists: list[WaitlistRow]


def training_budgets() -> dict[int, int]:
    """Budget per fiscal year from settings (TRAINING_BUDGET_BY_FISCAL_YEAR) until a model exists."""
    raw = getattr(settings, "TRAINING_BUDGET_BY_FISCAL_YEAR", {}) or {}
    return {int(k): int(v) for k, v in raw.items()}


def count_many(querysets: dict[str, QuerySet[Any]]) -> dict[str, int]:
    """COUNT(*) of many querysets in one query: ``SELECT (SELECT COUNT(*) …), (SELECT COUNT(*) …), …``.

    Each count is a range scan the database can answer from an index alone (see the migration
    ``courses/migrations/0003_hr_insight_indexes``), which on PostgreSQL is much cheaper than one
    GROUP BY over a computed month (``date_trunc`` in the local time zone costs ~0.6 µs a row).
    """
    if not querysets:
        return {}
    parts, params = [], []
    for qs in querysets.values():
        sql, p = qs.order_by().values("pk").query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) c)")  # noqa: S608 - ORM-built SQL, bound params
        params.extend(p)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return {name: int(n or 0) for name, n in zip(querysets, row, strict=True)}


def _course_fiscal_day(starts_on: dt.date | None, closes_on: dt.date | None, created_at: dt.datetime) -> dt.date:
    """The day that places a course's subsidy in a fiscal year: it starts, else applications close,
    else (a self-paced course with neither) the day it was added to the catalogue."""
    return starts_on or closes_on or timezone.localtime(created_at).date()


@dataclass
class MonthlySeries:
    requests: dict[str, list[int]]  # use type → per month
    completions: dict[str, list[int]]
    badges: list[int]
    badges_before: int


def _monthly_counts(
    *,
    scope: Scope,
    enrolments: QuerySet[Enrolment],
    issued: QuerySet[Award],
    months: list[dt.date],
    end: dt.date,
    aware: Any,
    tz: Any,
) -> MonthlySeries:
    """Counts per month, two ways with the same result.

    HR (everyone): one row of COUNTs over index ranges (:func:`count_many`), one per use type and
    month, so each index entry is read once and no row needs its month computed. A head of
    section: their people are few, so GROUP BY month over just their rows is cheaper than a
    hundred range counts that each join the staff table (three queries).
    """
    bounds = [*months, end]
    index = {m: i for i, m in enumerate(months)}
    start_at, end_at = aware(months[0]), aware(end)
    completed = enrolments.filter(state=S.COMPLETED)
    out = MonthlySeries(
        requests={u: [0] * len(months) for u in UseType.values},
        completions={u: [0] * len(months) for u in UseType.values},
        badges=[0] * len(months),
        badges_before=0,
    )
    if scope.is_hr:
        counts: dict[str, QuerySet[Any]] = {"before": issued.filter(issued_at__lt=start_at)}
        for i, (a, b) in enumerate(pairwise(bounds)):
            for u in UseType.values:
                counts[f"r{i}{u}"] = enrolments.filter(
                    use_type=u, requested_at__gte=aware(a), requested_at__lt=aware(b)
                )
                counts[f"c{i}{u}"] = completed.filter(use_type=u, completed_on__gte=a, completed_on__lt=b)
            counts[f"b{i}"] = issued.filter(issued_at__gte=aware(a), issued_at__lt=aware(b))
        n = count_many(counts)
        for i in range(len(months)):
            for u in UseType.values:
                out.requests[u][i] = n[f"r{i}{u}"]
                out.completions[u][i] = n[f"c{i}{u}"]
            out.badges[i] = n[f"b{i}"]
        out.badges_before = n["before"]
        return out

    def month(value: dt.date | dt.datetime | None) -> int | None:
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            value = timezone.localtime(value, tz).date() if timezone.is_aware(value) else value.date()
        return index.get(value.replace(day=1))

    for use, m, k in (
        enrolments.filter(requested_at__gte=start_at, requested_at__lt=end_at)
        .order_by()
        .annotate(m=TruncMonth("requested_at"))
        .values_list("use_type", "m")
        .annotate(n=Count("pk"))
    ):
        i = month(m)
        if i is not None and use in out.requests:
            out.requests[use][i] += k
    for use, m, k in (
        completed.filter(completed_on__gte=months[0], completed_on__lt=end)
        .order_by()
        .annotate(m=TruncMonth("completed_on"))
        .values_list("use_type", "m")
        .annotate(n=Count("pk"))
    ):
        i = month(m)
        if i is not None and use in out.completions:
            out.completions[use][i] += k
    # Badges: the months of the period, and every month before it (summed as "before").
    for m, k in (
        issued.filter(issued_at__lt=end_at)
        .order_by()
        .annotate(m=TruncMonth("issued_at"))
        .values_list("m")
        .annotate(n=Count("pk"))
    ):
        i = month(m)
        if i is not None:
            out.badges[i] += k
        elif m is not None:
            out.badges_before += k
    return out


def dashboard(
    *,
    scope: Scope,
    departments: DepartmentIndex,
    fy_from: int,
    fy_to: int,
    min_finished: int = 5,
    limit: int = 15,
) -> Dashboard:
    """Everything the dashboard shows for fiscal years ``fy_from``…``fy_to``: four queries for HR,
    six for a head of section.

    1. the catalogue (code, title, provider, dates, capacity) of every course;
    2. per course: completed, not completed, waiting, seated and subsidy (rates, waiting lists
       and subsidy are rolled up from this in Python);
    3. requests and completions per use type and month, badges per month and before the period
       (:func:`_monthly_counts`: one query for HR, three for a head);
    4. badges issued in the period by the holder's department, by use type and by fiscal year
       (one GROUP BY over ``AwardUse``).
    """
    start, _ = fiscal_year_bounds(fy_from)
    _, end = fiscal_year_bounds(fy_to)
    tz = timezone.get_current_timezone()

    def aware(day: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min), tz)

    start_at, end_at = aware(start), aware(end)
    months = month_starts(start, end)
    staff_q = scope.staff_q("staff__")
    recipient_q = scope.staff_q("recipient__")
    enrolments = Enrolment.objects.filter(staff_q)
    issued = Award.objects.public().filter(recipient_q)

    # 1. The catalogue.
    courses = {
        pk: row
        for pk, *row in Course.objects.order_by().values_list(
            "pk",
            "code",
            "title",
            "capacity",
            "provider__code",
            "provider__name",
            "starts_on",
            "application_closes_on",
            "created_at",
        )
    }

    # 2. Per course (served by the (course, state, staff, city_subsidy) index).
    seat = Q(state__in=SEAT_STATES)
    today = timezone.localdate()
    # Only courses that count in the period, or that can still have a waiting list.
    relevant = [
        pk
        for pk, (_c, _t, _cap, _pc, _pn, starts_on, closes_on, created_at) in courses.items()
        if start <= _course_fiscal_day(starts_on, closes_on, created_at) < end or (starts_on or today) >= today
    ]
    per_course = (
        enrolments.filter(course_id__in=relevant)
        .order_by()
        .values_list("course_id")
        .annotate(
            c=Count("pk", filter=Q(state=S.COMPLETED)),
            nc=Count("pk", filter=Q(state=S.NOT_COMPLETED)),
            w=Count("pk", filter=Q(state=S.WAITLISTED)),
            seated=Count("pk", filter=seat),
            subsidy=Sum("city_subsidy", filter=seat),
        )
    )
    providers: dict[str, RateRow] = {}
    course_rows: list[RateRow] = []
    waitlists: list[WaitlistRow] = []
    spent: dict[int, int] = defaultdict(int)
    for course_id, c, nc, w, seated, subsidy in per_course:
        code, title, capacity, p_code, p_name, starts_on, closes_on, created_at = courses[course_id]
        if w:
            waitlists.append(WaitlistRow(code, title, capacity, w, seated))
        day = _course_fiscal_day(starts_on, closes_on, created_at)
        if start <= day < end:
            spent[fiscal_year_of(day)] += int(subsidy or 0)
        # Completion rate: courses starting in the period, completed ÷ (completed + not completed).
        if starts_on is not None and start <= starts_on < end and (c or nc):
            row = providers.setdefault(p_code, RateRow(p_name or p_code, 0, 0, p_code))
            row.completed += c
            row.finished += c + nc
            if c + nc >= min_finished:
                course_rows.append(RateRow(title, c, c + nc, code))
    provider_rates = sorted(providers.values(), key=lambda r: r.code)
    course_rates = sorted(course_rows, key=lambda r: (r.rate, r.code))[:limit]
    waitlists = sorted(waitlists, key=lambda w: (-w.waitlisted, w.code))[:limit]
    budgets = training_budgets() if scope.is_hr else {}
    subsidy = [(fy, spent.get(fy, 0), budgets.get(fy)) for fy in range(fy_from, fy_to + 1)]

    # 3. Monthly series and use-type totals.
    series = _monthly_counts(
        scope=scope, enrolments=enrolments, issued=issued, months=months, end=end, aware=aware, tz=tz
    )
    requests = [sum(series.requests[u][i] for u in UseType.values) for i in range(len(months))]
    completions = [sum(series.completions[u][i] for u in UseType.values) for i in range(len(months))]
    badges = series.badges
    running = series.badges_before
    cumulative = []
    for k in badges:
        running += k
        cumulative.append(running)
    use_types = [
        (str(label), sum(series.requests[value]), sum(series.completions[value])) for value, label in UseType.choices
    ]

    # 4. Badges issued in the period by the holder's current division (部; for a head, the
    #    departments they head and the units below: DepartmentIndex.group_for), and by what they were
    #    issued for and fiscal year: one GROUP BY over AwardUse (kept by courses.holdings), which
    #    holds each issued award's holder, date and use type, so no award is joined to its
    #    enrolment here (that join cost ~0.5 s for three fiscal years of the whole city).
    fiscal_years = list(range(fy_from, fy_to + 1))
    fy_index = Case(
        *(When(issued_at__lt=aware(fiscal_year_bounds(fy)[1]), then=Value(i)) for i, fy in enumerate(fiscal_years)),
        output_field=IntegerField(),
    )
    by_division: dict[int, int] = defaultdict(int)
    by_kind: dict[str, list[int]] = {kind: [0] * len(fiscal_years) for kind in AwardUse.Kind.values}
    for dept_pk, kind, i, k in (
        AwardUse.objects.filter(recipient_q, issued_at__gte=start_at, issued_at__lt=end_at)
        .order_by()
        .annotate(fy=fy_index)
        .values_list("recipient__department_id", "kind", "fy")
        .annotate(n=Count("pk"))
    ):
        by_kind[kind if kind in by_kind else AwardUse.Kind.OTHER][i] += k
        dept = departments.by_pk.get(dept_pk) if dept_pk else None
        if dept is not None:
            by_division[departments.group_for(dept, scope).pk] += k
    badges_by_use_type = [
        (str(label), by_kind[kind])
        for kind, label in AwardUse.Kind.choices
        if kind != AwardUse.Kind.OTHER or any(by_kind[kind])  # "other source" only when there are some
    ]
    badges_by_department = sorted(
        ((departments.by_pk[pk], k) for pk, k in by_division.items()), key=lambda x: (-x[1], x[0].path)
    )
    return Dashboard(
        fy_from=fy_from,
        fy_to=fy_to,
        months=months,
        requests=requests,
        completions=completions,
        badges=badges,
        badges_cumulative=cumulative,
        provider_rates=provider_rates,
        course_rates=course_rates,
        badges_by_department=badges_by_department,
        badges_by_use_type=badges_by_use_type,
        use_types=use_types,
        subsidy=subsidy,
        waitlists=waitlists,
    )
