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

Heads of section (:func:`report` with a head's scope) see the city's figures for comparison, then
the departments they head together and each of them (the departments they head and the units
just below, as on their other pages), computed from the same three queries. The head is counted
in their own department, like everyone on its roster. Counts only, never a person; and since a
figure of one or two people is that person's learning, a row of fewer than
:data:`MIN_GROUP_SIZE` people is not shown on its own: such units are counted together in one
"other units" row, which takes the next smallest units too until it reaches that size (so no
small unit can be worked out as the section's total minus the rows shown); if all of a head's
departments together are smaller than that, only the city's figures are shown.

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


#: The fewest people a row of a head's report may describe (see the module docstring).
MIN_GROUP_SIZE = 5


@dataclass
class Report:
    fiscal_year: int
    years: list[int]  # the previous fiscal year, then the one reported
    city: GroupRow
    divisions: list[GroupRow] = field(default_factory=list)  # HR: the divisions; a head: their rows
    section: GroupRow | None = None  # a head: the departments they head, together
    for_head: bool = False
    too_small: bool = False  # a head whose departments hold fewer than MIN_GROUP_SIZE people
    pooled: int = 0  # a head: the units counted together in the "other units" row

    @property
    def groups(self) -> list[GroupRow]:
        """The rows of every chart: the city, the head's departments together, then each row."""
        return [self.city, *([self.section] if self.section else []), *self.divisions]

    @property
    def headcount(self) -> int:
        return self.city.counts[self.fiscal_year].headcount


def report(*, scope: Scope, departments: DepartmentIndex, fiscal_year: int) -> Report:
    """The figures of ``fiscal_year`` and the year before, city-wide and per division (HR), or
    city-wide and for the departments a head heads (a head: the module docstring): three queries.
    The queries are the city's in both cases: a head's rows are picked from them."""
    years = [fiscal_year - 1, fiscal_year]
    raw: dict[tuple[int | None, int], Counts] = defaultdict(Counts)  # (department id, year index)

    # 1. Headcount today, per department (the same for both years).
    headcount = (
        StaffMember.objects.filter(is_active=True).order_by().values_list("department_id").annotate(n=Count("pk"))
    )
    for dept_pk, n in headcount:
        for i in range(len(years)):
            raw[dept_pk, i].headcount += n

    # 2. Everything else from each person's rows of the two years (``LearningYear``, kept by
    #    ``courses.learning``): one GROUP BY per department and year over narrow rows.
    learning = LearningYear.objects.filter(staff__is_active=True).order_by()
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

    # Roll up: the city, and each division (部) by the department's top ancestor (HR), or each
    # department a head heads and the units just below it.
    city = GroupRow(str(_("Whole city")), None, {fy: Counts() for fy in years})
    rows: dict[int, GroupRow] = {}
    section = None if scope.is_hr else GroupRow(str(_("Your departments")), None, {fy: Counts() for fy in years})
    for (dept_pk, i), counts in raw.items():
        fy = years[i]
        city.counts[fy].add(counts)
        dept = departments.by_pk.get(dept_pk) if dept_pk else None
        if dept is None or not scope.covers(dept.path):
            continue
        top = departments.group_for(dept, scope)
        row = rows.get(top.pk)
        if row is None:
            label = top.display_name if scope.is_hr else departments.label_within(top, scope)
            row = rows[top.pk] = GroupRow(label, top, {y: Counts() for y in years})
        row.counts[fy].add(counts)
        if section is not None:
            section.counts[fy].add(counts)
    ordered = sorted(rows.values(), key=lambda r: r.dept.path if r.dept else "")
    if section is None:
        return Report(fiscal_year, years, city, ordered)
    return _head_report(fiscal_year, years, city, section, ordered)


def _head_report(fiscal_year: int, years: list[int], city: GroupRow, section: GroupRow, rows: list[GroupRow]) -> Report:
    """A head's rows, none of fewer than :data:`MIN_GROUP_SIZE` people (the module docstring)."""

    def size(row: GroupRow) -> int:
        return row.counts[years[-1]].headcount  # today's headcount, the same for both years

    if size(section) < MIN_GROUP_SIZE:
        return Report(fiscal_year, years, city, [], section=None, for_head=True, too_small=True)
    shown = [r for r in rows if size(r) >= MIN_GROUP_SIZE]
    small = [r for r in rows if size(r) < MIN_GROUP_SIZE]
    while small and sum(size(r) for r in small) < MIN_GROUP_SIZE and shown:
        smallest = min(shown, key=lambda r: (size(r), r.dept.path if r.dept else ""))
        shown.remove(smallest)
        small.append(smallest)
    if small and shown:
        other = GroupRow(str(_("Other units, counted together")), None, {fy: Counts() for fy in years})
        for r in small:
            for fy in years:
                other.counts[fy].add(r.counts[fy])
        shown.append(other)
    # Only one row left (everything pooled, or one unit): the section's own row says it all.
    if len(shown) == 1:
        shown = []
    return Report(fiscal_year, years, city, shown, section=section, for_head=True, pooled=len(small) if shown else 0)
