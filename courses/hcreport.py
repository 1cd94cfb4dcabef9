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

Every figure but the headcount is read from ``LearningYear`` (each person's learning per fiscal
year, kept by ``courses.learning`` in the transaction of each change): three queries whatever the
size of the city (the headcount, the two years' sums, skill coverage), each a GROUP BY with the
department and the fiscal year as keys, rolled up to divisions in Python over at most a few
thousand small rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from staff.models import StaffMember

from .insight import DepartmentIndex, Dept, Scope
from .models import LearningYear


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


def report(*, scope: Scope, departments: DepartmentIndex, fiscal_year: int) -> Report:
    """The figures of ``fiscal_year`` and the year before, city-wide and per division: three queries.
    For HR (the whole city): a head of section has no report (docs/roles.md)."""
    if not scope.is_hr:
        raise ValueError("the human-capital report is the whole city's")
    years = [fiscal_year - 1, fiscal_year]
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

    # 2. Everything else from each person's rows of the two years (``LearningYear``, kept by
    #    ``courses.learning``): one GROUP BY per department and year over narrow rows.
    learning = LearningYear.objects.filter(scope.staff_q("staff__"), staff__is_active=True).order_by()
    for dept_pk, fy, people, subsidy, share, hours, n, promo, badges, external in (
        learning.filter(fiscal_year__in=years)
        .values_list("staff__department_id", "fiscal_year")
        .annotate(
            people=Count("pk", filter=Q(seats__gt=0)),
            subsidy=Sum("subsidy"),
            share=Sum("staff_share"),
            hours=Sum("hours"),
            n=Sum("completions"),
            promo=Sum("promotion_completions"),
            badges=Sum("badges"),
            external=Sum("external_confirmed"),
        )
    ):
        c = raw[dept_pk, years.index(fy)]
        c.participants += people
        c.subsidy += int(subsidy or 0)
        c.staff_share += int(share or 0)
        c.hours += float(hours or 0)
        c.completions += int(n or 0)
        c.promotion_completions += int(promo or 0)
        c.badges += int(badges or 0)
        c.external_confirmed += int(external or 0)

    # 3. Skill coverage: people who first held a skill in or before each year.
    by_year = {f"y{i}": Count("pk", filter=Q(fiscal_year__lte=fy)) for i, fy in enumerate(years)}
    for dept_pk, *per_year in (
        learning.filter(first_skill=True, fiscal_year__lte=years[-1])
        .values_list("staff__department_id")
        .annotate(**by_year)
        .values_list("staff__department_id", *by_year)
    ):
        for i, n in enumerate(per_year):
            raw[dept_pk, i].skill_holders += n

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
