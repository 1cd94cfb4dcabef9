"""The dashboard's charts, from a table of definitions (``CHARTS``).

Each definition says what one chart shows: its title, its one-sentence description, the labels
and series it reads from the dashboard's figures, the first column of its table, and, where the
table is not simply "label, then each series", its own head and rows. :func:`dashboard_charts`
draws them all the same way (``courses/charts.py``), so a new chart is a new row, not new code.

A definition reads from any figures (``ChartDef[F]``): the dashboard's are :class:`Figures`;
``courses/careers_charts.py`` defines the charts of a career path's coverage the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.urls import reverse
from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import charts
from .dashboard_data import Dashboard, RateRow
from .departments import DepartmentIndex
from .fiscal import fiscal_year_label
from .help_texts import HELP_FISCAL_YEAR
from .scope import Scope


def _month_label(day: dt.date) -> str:
    return formats.date_format(day, "YEAR_MONTH_FORMAT")


def _yen(value: float | int) -> str:
    return _("%(amount)s yen") % {"amount": formats.number_format(int(value), force_grouping=True)}


def _percent(value: float | int) -> str:
    return f"{value:.0f}%"


@dataclass(frozen=True)
class Figures:
    """What a definition reads: the dashboard's figures and the words the page uses for them."""

    d: Dashboard
    scope: Scope
    departments: DepartmentIndex
    months: list[str]  # the months' labels
    period: str  # "FY2024 to FY2025"

    @property
    def fiscal_years(self) -> list[str]:
        return [fiscal_year_label(fy) for fy in range(self.d.fy_from, self.d.fy_to + 1)]


F = TypeVar("F")
Rows = Callable[[Figures], list[list[charts.Cell]]]


@dataclass(frozen=True)
class ChartDef(Generic[F]):
    id: str
    draw: Callable[..., str]  # charts.line_chart or charts.bar_chart
    title: Promise
    desc: Callable[[F], str]
    labels: Callable[[F], Sequence[str]]
    series: Callable[[F], list[charts.Series]]
    first_column: Promise | None = None  # the table: this column, then one per series...
    head: tuple[Promise, ...] = ()  # ...unless the table has its own head and rows
    rows: Callable[[F], list[list[charts.Cell]]] | None = None
    fmt: charts.Formatter | None = None  # values on the chart and in the table
    max_value: float | None = None
    drawn: int | None = None  # how many series the chart draws (None: all)...
    companion: tuple[str, Promise] | None = None  # ...and the id and title of a second chart of the rest
    note: Promise | None = None


def _rate_rows(rates: Callable[[Figures], list[RateRow]], course_links: bool = False) -> Rows:
    def rows(f: Figures) -> list[list[charts.Cell]]:
        return [
            [
                charts.Cell(f"{r.label} ({r.code})", href=reverse("courses:detail", args=[r.code]))
                if course_links
                else charts.Cell(r.label),
                charts.Cell(f"{r.completed:,}", numeric=True),
                charts.Cell(f"{r.finished:,}", numeric=True),
                charts.Cell(_percent(r.rate), numeric=True),
            ]
            for r in rates(f)
        ]

    return rows


def _waitlist_rows(f: Figures) -> list[list[charts.Cell]]:
    return [
        [
            charts.Cell(f"{w.title} ({w.code})", href=reverse("courses:detail", args=[w.code])),
            charts.Cell(f"{w.waitlisted:,}", numeric=True),
            charts.Cell(f"{w.seated:,}", numeric=True),
            charts.Cell("—" if w.capacity is None else f"{w.capacity:,}", numeric=True),
        ]
        for w in f.d.waitlists
    ]


def _department_desc(f: Figures) -> str:
    if f.scope.is_hr:
        return _("Bar chart, %(period)s, by the holder's current division.") % {"period": f.period}
    return _(
        "Bar chart, %(period)s, by the holder's current department: the departments you head and the units below them."
    ) % {"period": f.period}


RATE_HEAD = (gettext_lazy("Completed"), gettext_lazy("Finished"), gettext_lazy("Completion rate"))

CHARTS: tuple[ChartDef[Figures], ...] = (
    ChartDef(
        id="requests-completions",
        draw=charts.line_chart,
        title=gettext_lazy("Requests and completions per month"),
        desc=lambda f: (
            _("Line chart, %(period)s: %(requests)s requests and %(completions)s completions in all.")
            % {"period": f.period, "requests": f"{sum(f.d.requests):,}", "completions": f"{sum(f.d.completions):,}"}
        ),
        labels=lambda f: f.months,
        series=lambda f: [
            charts.Series(_("Requests"), f.d.requests),
            charts.Series(_("Completions"), f.d.completions),
        ],
        first_column=gettext_lazy("Month"),
    ),
    ChartDef(
        id="badges-monthly",
        draw=charts.line_chart,
        title=gettext_lazy("Badges issued per month, and the cumulative total"),
        desc=lambda f: (
            _("Line chart, %(period)s: %(issued)s badges issued; %(total)s issued since the start.")
            % {
                "period": f.period,
                "issued": f"{sum(f.d.badges):,}",
                "total": f"{(f.d.badges_cumulative[-1] if f.d.badges_cumulative else 0):,}",
            }
        ),
        labels=lambda f: f.months,
        series=lambda f: [
            charts.Series(_("Badges issued"), f.d.badges),
            charts.Series(_("Cumulative"), f.d.badges_cumulative),
        ],
        first_column=gettext_lazy("Month"),
        drawn=1,
        companion=("badges-cumulative", gettext_lazy("Cumulative badges issued")),
    ),
    ChartDef(
        id="provider-rates",
        draw=charts.bar_chart,
        title=gettext_lazy("Completion rate by provider"),
        desc=lambda f: (
            _("Bar chart: completed ÷ (completed + not completed) for courses starting in %(period)s.")
            % {"period": f.period}
        ),
        labels=lambda f: [r.label for r in f.d.provider_rates],
        series=lambda f: [charts.Series(_("Completion rate"), [r.rate for r in f.d.provider_rates])],
        head=(gettext_lazy("Provider"), *RATE_HEAD),
        rows=_rate_rows(lambda f: f.d.provider_rates),
        fmt=_percent,
        max_value=100,
    ),
    ChartDef(
        id="course-rates",
        draw=charts.bar_chart,
        title=gettext_lazy("Courses with the lowest completion rate"),
        desc=lambda f: (
            _("Bar chart: the %(n)s courses with the lowest completion rate among those with enough finishers.")
            % {"n": len(f.d.course_rates)}
        ),
        labels=lambda f: [f"{r.label} ({r.code})" for r in f.d.course_rates],
        series=lambda f: [charts.Series(_("Completion rate"), [r.rate for r in f.d.course_rates])],
        head=(gettext_lazy("Course"), *RATE_HEAD),
        rows=_rate_rows(lambda f: f.d.course_rates, course_links=True),
        fmt=_percent,
        max_value=100,
    ),
    ChartDef(
        id="badges-department",
        draw=charts.bar_chart,
        title=gettext_lazy("Badges issued by department"),
        desc=_department_desc,
        labels=lambda f: [f.departments.label_within(dept, f.scope) for dept, _n in f.d.badges_by_department],
        series=lambda f: [charts.Series(_("Badges issued"), [n for _dept, n in f.d.badges_by_department])],
        first_column=gettext_lazy("Department"),
    ),
    ChartDef(
        id="badges-use-types",
        draw=charts.bar_chart,
        title=gettext_lazy("Badges issued by use type"),
        desc=lambda f: (
            _(
                "Bar chart per fiscal year, %(period)s: badges for a course taken for self-development or as "
                "evidence for promotion selection (the use type of the request the badge was issued for), and "
                "programme badges, which several courses earn together."
            )
            % {"period": f.period}
        ),
        labels=lambda f: f.fiscal_years,
        series=lambda f: [charts.Series(label, counts) for label, counts in f.d.badges_by_use_type],
        first_column=gettext_lazy("Fiscal year"),
    ),
    ChartDef(
        id="use-types",
        draw=charts.bar_chart,
        title=gettext_lazy("Requests and completions by use type"),
        desc=lambda f: (
            _("Bar chart, %(period)s: self-development and evidence for promotion selection.") % {"period": f.period}
        ),
        labels=lambda f: [label for label, _r, _c in f.d.use_types],
        series=lambda f: [
            charts.Series(_("Requests"), [r for _label, r, _c in f.d.use_types]),
            charts.Series(_("Completions"), [c for _label, _r, c in f.d.use_types]),
        ],
        first_column=gettext_lazy("Use type"),
    ),
    ChartDef(
        id="subsidy",
        draw=charts.bar_chart,
        title=gettext_lazy("Training subsidy spent against budget, per fiscal year"),
        desc=lambda f: (
            _("Bar chart per fiscal year (April to March). %(budget_note)s")
            % {
                "budget_note": _(
                    "Budgets come from the TRAINING_BUDGET_BY_FISCAL_YEAR setting; a dash means none is set."
                )
            }
        ),
        labels=lambda f: [fiscal_year_label(fy) for fy, _s, _b in f.d.subsidy],
        series=lambda f: [
            charts.Series(_("Subsidy spent"), [spent for _fy, spent, _b in f.d.subsidy]),
            charts.Series(_("Budget"), [budget for _fy, _s, budget in f.d.subsidy]),
        ],
        first_column=gettext_lazy("Fiscal year"),
        fmt=_yen,
        note=HELP_FISCAL_YEAR,
    ),
    ChartDef(
        id="waitlists",
        draw=charts.bar_chart,
        title=gettext_lazy("Waiting-list pressure per course"),
        desc=lambda f: (
            _("Bar chart: the %(n)s courses with the most people on the waiting list now.") % {"n": len(f.d.waitlists)}
        ),
        labels=lambda f: [f"{w.title} ({w.code})" for w in f.d.waitlists],
        series=lambda f: [charts.Series(_("On the waiting list"), [w.waitlisted for w in f.d.waitlists])],
        head=(
            gettext_lazy("Course"),
            gettext_lazy("On the waiting list"),
            gettext_lazy("Seats taken"),
            gettext_lazy("Capacity"),
        ),
        rows=_waitlist_rows,
    ),
)


def draw(definition: ChartDef[F], f: F) -> charts.Chart:
    """One chart and its table, as ``definition`` describes them."""
    title, desc = str(definition.title), definition.desc(f)
    labels, series = list(definition.labels(f)), definition.series(f)
    options: dict[str, object] = {}
    if definition.fmt is not None:
        options["fmt"] = definition.fmt
    if definition.max_value is not None:
        options["max_value"] = definition.max_value
    drawn = series[: definition.drawn] if definition.drawn is not None else series
    svg = definition.draw(chart_id=definition.id, title=title, desc=desc, labels=labels, series=drawn, **options)
    if definition.companion is not None:
        chart_id, companion_title = definition.companion
        rest = series[len(drawn) :]
        svg += definition.draw(
            chart_id=chart_id, title=str(companion_title), desc=desc, labels=labels, series=rest, **options
        )
    if definition.rows is not None:
        head, rows = [str(h) for h in definition.head], definition.rows(f)
    else:
        head = [str(definition.first_column), *(s.name for s in series)]
        rows = charts.table_rows(labels, series, **({"fmt": definition.fmt} if definition.fmt else {}))
    note = str(definition.note) if definition.note is not None else ""
    return charts.Chart(definition.id, title, desc, svg, head, rows, note=note)


def dashboard_charts(d: Dashboard, scope: Scope, departments: DepartmentIndex) -> list[charts.Chart]:
    """Every chart of the dashboard, in the order of ``CHARTS``."""
    period = _("%(start)s to %(end)s") % {"start": fiscal_year_label(d.fy_from), "end": fiscal_year_label(d.fy_to)}
    figures = Figures(d, scope, departments, [_month_label(m) for m in d.months], period)
    return [draw(definition, figures) for definition in CHARTS]
