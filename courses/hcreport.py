"""The human-capital report (人的資本): learning and development figures per fiscal year, for the
whole city and per division (部), with the change from the year before.

Definitions (docs/hcreport.md says which ISO 30414 learning-and-development indicators these
cover and how):

* **Headcount**: active staff (regular and fiscal-year appointed) in their **current**
  department. Every figure counts active staff only (people who left are in no denominator).
  The roster keeps today's organisation; every year of the report is divided by
  today's headcount, so a change between years is a change in learning, not in staff numbers
  (stated on the page).
* **Participants**: people with at least one enrolment that took a seat (approved, completed or
  not completed) in a course counted in the fiscal year; **participation** = participants ÷
  headcount. A course counts in the fiscal year in which it starts (no start date: the day
  applications close, else the day it was added), as the dashboard's subsidy.
* **Spend**: the city's subsidy and the staff's own share, as they stood when each person applied
  (``Enrolment.city_subsidy`` and ``staff_share``), over the same enrolments; per person =
  ÷ headcount.
* **Learning hours**: the course hours of completions in the fiscal year (``completed_on``), plus
  the hours HR gave confirmed external badges issued in it; per person = ÷ headcount.
* **Badges per 100 staff**: badges issued in the fiscal year (revoked ones included: they were
  issued) × 100 ÷ headcount.
* **Skill coverage**: people holding at least one skill (level 1 or above, ``SkillHolding``) by
  the end of the fiscal year (first completion or first badge before it) ÷ headcount. Holdings
  are today's: a badge revoked since no longer counts for past years.
* **Used for promotion**: completions in the fiscal year requested as evidence for promotion
  selection (昇任選考活用型) ÷ all completions in it.
* **External badges confirmed**: external badges HR confirmed in the fiscal year (``confirmed_at``).

Every figure is one GROUP BY over its table with the department and the fiscal year as keys
(seven queries plus the course list, whatever the size of the city), rolled up to divisions in
Python over at most a few thousand small rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Case, Count, IntegerField, Q, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from badges.models import ExternalBadge
from staff.models import StaffMember

from .insight import DepartmentIndex, Dept, Scope, fiscal_year_bounds
from .models import SEAT_STATES, AwardUse, Course, Enrolment, EnrolmentState, SkillHolding, UseType


@dataclass
class Counts:
    """The raw sums of one group (the city or a division) in one fiscal year."""

    headcount: int = 0
    participants: int = 0
    subsidy: int = 0
    staff_share: int = 0
    hours: float = 0.0
    completions: int = 0
    promotion_completions: int = 0
    badges: int = 0
    skill_holders: int = 0
    external_confirmed: int = 0

    def add(self, other: Counts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _share(part: float, whole: float) -> float | None:
    return None if not whole else 100.0 * part / whole


def _per(part: float, whole: float, times: float = 1.0) -> float | None:
    return None if not whole else times * part / whole


@dataclass(frozen=True)
class Metric:
    key: str
    label: Any  # lazy translation
    unit: str  # "percent", "hours", "yen", "count", "per100"
    compute: Callable[[Counts], float | None]
    iso: str  # the ISO 30414 area it answers (docs/hcreport.md)


METRICS: list[Metric] = [
    Metric(
        "participation",
        _("Share of staff who took part"),
        "percent",
        lambda c: _share(c.participants, c.headcount),
        "L&D",
    ),
    Metric("hours", _("Learning hours per person"), "hours", lambda c: _per(c.hours, c.headcount), "L&D"),
    Metric("subsidy", _("City subsidy per person"), "yen", lambda c: _per(c.subsidy, c.headcount), "Costs / L&D"),
    Metric("staff_share", _("Staff share per person"), "yen", lambda c: _per(c.staff_share, c.headcount), "Costs"),
    Metric("badges", _("Badges per 100 staff"), "per100", lambda c: _per(c.badges, c.headcount, 100.0), "L&D"),
    Metric(
        "coverage",
        _("Skill coverage"),
        "percent",
        lambda c: _share(c.skill_holders, c.headcount),
        "Skills and capabilities",
    ),
    Metric(
        "promotion",
        _("Share of learning used for promotion selection"),
        "percent",
        lambda c: _share(c.promotion_completions, c.completions),
        "Succession planning",
    ),
    Metric("external", _("External badges confirmed"), "count", lambda c: float(c.external_confirmed), "L&D"),
]
METRICS_BY_KEY = {m.key: m for m in METRICS}


@dataclass
class GroupRow:
    label: str
    dept: Dept | None  # None: the whole city
    counts: dict[int, Counts]  # fiscal year → counts

    def value(self, metric: Metric, fy: int) -> float | None:
        return metric.compute(self.counts.get(fy, Counts()))

    def change(self, metric: Metric, fy: int) -> float | None:
        now, before = self.value(metric, fy), self.value(metric, fy - 1)
        return None if now is None or before is None else now - before


@dataclass
class Report:
    fiscal_year: int
    years: list[int]  # the previous fiscal year, then the one reported
    city: GroupRow
    divisions: list[GroupRow] = field(default_factory=list)


def _t(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _fy_case(field_name: str, years: list[int], *, aware: bool) -> Case:
    """The index of the fiscal year a date (or moment) falls in, for ``years`` in order (the rows
    are already limited to the whole period)."""
    whens = []
    for i, fy in enumerate(years):
        end = fiscal_year_bounds(fy)[1]
        whens.append(When(**{f"{field_name}__lt": _aware(end) if aware else end}, then=Value(i)))
    return Case(*whens, output_field=IntegerField())


def _course_fiscal_years(years: list[int]) -> dict[int, int]:
    """Course id → index of the fiscal year it counts in (starts, else applications close, else
    added), for the courses in ``years``. One query over the catalogue."""
    start, end = fiscal_year_bounds(years[0])[0], fiscal_year_bounds(years[-1])[1]
    out = {}
    for pk, starts_on, closes_on, created_at in Course.objects.order_by().values_list(
        "pk", "starts_on", "application_closes_on", "created_at"
    ):
        day = starts_on or closes_on or timezone.localtime(created_at).date()
        if start <= day < end:
            for i, fy in enumerate(years):
                if day < fiscal_year_bounds(fy)[1]:
                    out[pk] = i
                    break
    return out


def report(*, scope: Scope, departments: DepartmentIndex, fiscal_year: int) -> Report:
    """The figures of ``fiscal_year`` and the year before, city-wide and per division: eight queries.
    For HR (the whole city): a head of section has no report (docs/roles.md)."""
    if not scope.is_hr:
        raise ValueError("the human-capital report is the whole city's")
    years = [fiscal_year - 1, fiscal_year]
    start, end = fiscal_year_bounds(years[0])[0], fiscal_year_bounds(years[-1])[1]
    start_at, end_at = _aware(start), _aware(end)
    raw: dict[tuple[int | None, int], Counts] = defaultdict(Counts)  # (department id, year index)

    # 1. Headcount today, per department (the same for both years).
    headcount = (
        StaffMember.objects.filter(is_active=True)
        .filter(scope.staff_q())
        .order_by()
        .values_list("department_id")
        .annotate(n=Count("pk"))
    )
    for dept_pk, n in headcount:
        for i in range(len(years)):
            raw[dept_pk, i].headcount += n

    # 2. Participants and spend: seated enrolments in the courses of each fiscal year, summed per
    #    person and year first (so that counting people needs no DISTINCT), then per department.
    course_fy = _course_fiscal_years(years)
    if course_fy:
        values = ", ".join(["(%s, %s)"] * len(course_fy))
        seats = ", ".join(["%s"] * len(SEAT_STATES))
        sql = f"""WITH cf(c, y) AS (VALUES {values})
                  SELECT s.department_id, e.y, COUNT(*), SUM(e.sub), SUM(e.share)
                    FROM (SELECT en.staff_id AS p, cf.y AS y, SUM(en.city_subsidy) AS sub, SUM(en.staff_share) AS share
                            FROM {_t(Enrolment)} en JOIN cf ON cf.c = en.course_id
                           WHERE en.state IN ({seats})
                           GROUP BY en.staff_id, cf.y) e
                    JOIN {_t(StaffMember)} s ON s.id = e.p
                   WHERE s.is_active
                   GROUP BY s.department_id, e.y"""  # noqa: S608 - table names from the models, values bound
        params: list[Any] = [v for pair in course_fy.items() for v in pair] + [str(x) for x in SEAT_STATES]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for dept_pk, i, people, subsidy, share in cursor.fetchall():
                c = raw[dept_pk, int(i)]
                c.participants += int(people)
                c.subsidy += int(subsidy or 0)
                c.staff_share += int(share or 0)

    # 3. Completions: hours, count, and those requested for promotion selection.
    for dept_pk, i, n, promo, hours in (
        Enrolment.objects.filter(
            scope.staff_q("staff__"),
            staff__is_active=True,
            state=EnrolmentState.COMPLETED,
            completed_on__gte=start,
            completed_on__lt=end,
        )
        .order_by()
        .annotate(fy=_fy_case("completed_on", years, aware=False))
        .values_list("staff__department_id", "fy")
        .annotate(n=Count("pk"), promo=Count("pk", filter=Q(use_type=UseType.PROMOTION)), hours=Sum("course__hours"))
    ):
        c = raw[dept_pk, i]
        c.completions += n
        c.promotion_completions += promo
        c.hours += float(hours or 0)

    # 4. External badges: hours by issue date, confirmations by the day HR confirmed them.
    confirmed = ExternalBadge.objects.filter(
        scope.staff_q("holder__"), holder__is_active=True, status=ExternalBadge.Status.CONFIRMED
    )
    for dept_pk, i, hours in (
        confirmed.filter(issued_on__gte=start, issued_on__lt=end)
        .order_by()
        .annotate(fy=_fy_case("issued_on", years, aware=False))
        .values_list("holder__department_id", "fy")
        .annotate(hours=Sum("hours"))
    ):
        raw[dept_pk, i].hours += float(hours or 0)
    for dept_pk, i, n in (
        confirmed.filter(confirmed_at__gte=start_at, confirmed_at__lt=end_at)
        .order_by()
        .annotate(fy=_fy_case("confirmed_at", years, aware=True))
        .values_list("holder__department_id", "fy")
        .annotate(n=Count("pk"))
    ):
        raw[dept_pk, i].external_confirmed += n

    # 5. Badges issued (AwardUse: one narrow row per issued badge).
    for dept_pk, i, n in (
        AwardUse.objects.filter(
            scope.staff_q("recipient__"), recipient__is_active=True, issued_at__gte=start_at, issued_at__lt=end_at
        )
        .order_by()
        .annotate(fy=_fy_case("issued_at", years, aware=True))
        .values_list("recipient__department_id", "fy")
        .annotate(n=Count("pk"))
    ):
        raw[dept_pk, i].badges += n

    # 6. Skill coverage: people with a skill at level 1 by the end of each fiscal year. The first
    #    completion and first badge per person first (one pass over the level-1 holdings), then
    #    a count per department and year.
    sums, params = [], []
    for fy in years:
        fy_end = fiscal_year_bounds(fy)[1]
        sums.append("SUM(CASE WHEN h.d < %s OR h.b < %s THEN 1 ELSE 0 END)")
        params += [fy_end, connection.ops.adapt_datetimefield_value(_aware(fy_end))]
    sql = f"""SELECT s.department_id, {", ".join(sums)}
                FROM (SELECT staff_id, MIN(completed_on) AS d, MIN(badge_since) AS b
                        FROM {_t(SkillHolding)} WHERE level = 1 GROUP BY staff_id) h
                JOIN {_t(StaffMember)} s ON s.id = h.staff_id
               WHERE s.is_active
               GROUP BY s.department_id"""  # noqa: S608 - table names from the models, values bound
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for dept_pk, *per_year in cursor.fetchall():
            for i, n in enumerate(per_year):
                raw[dept_pk, i].skill_holders += int(n or 0)

    # Roll up: the city, and each division (部) by the department's top ancestor.
    city = GroupRow(str(_("Whole city")), None, {fy: Counts() for fy in years})
    divisions: dict[int, GroupRow] = {}
    for (dept_pk, i), counts in raw.items():
        fy = years[i]
        city.counts[fy].add(counts)
        dept = departments.by_pk.get(dept_pk) if dept_pk else None
        if dept is None:
            continue
        top = departments.group_for(dept, scope)
        row = divisions.get(top.pk)
        if row is None:
            row = divisions[top.pk] = GroupRow(top.display_name, top, {y: Counts() for y in years})
        row.counts[fy].add(counts)
    ordered = sorted(divisions.values(), key=lambda r: r.dept.path if r.dept else "")
    return Report(fiscal_year, years, city, ordered)
