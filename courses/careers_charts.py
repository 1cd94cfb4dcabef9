"""The charts of a career path's coverage (/hr/careers/, ``careers.profile_coverage``), from a
table of definitions drawn like the dashboard's (``courses/insight/dashboard_charts.py``).

* ``coverage-skills``: per skill the profile needs, the share of the scope's people (HR: the
  city; a head: their departments) holding it at the level needed or higher, and the share
  holding every one of them: the gaps, at a glance;
* ``coverage-departments``: per department row of the coverage table, the share holding every
  skill needed (only when there are two rows or more: one row is the first chart's last bar).

Each chart comes with the table of its figures (``templates/courses/hr/_chart.html``); the
department table of the page stays the full source. Counts only, no names.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import charts
from .careers import Coverage
from .insight.dashboard_charts import ChartDef, draw

#: Narrow charts (viewBox units): a few short labels, readable on a 375 px phone.
WIDTH, LABEL_WIDTH = 400, 170


def _percent(value: float | int) -> str:
    return f"{value:.0f}%"


def _bar(**kwargs: object) -> str:
    return charts.bar_chart(width=WIDTH, label_width=LABEL_WIDTH, css="chart--compact", **kwargs)  # type: ignore[arg-type]


def _who(c: Coverage) -> str:
    return _("the city's staff") if c.is_city else _("the staff of your departments")


def _skill_labels(c: Coverage) -> list[str]:
    return [*c.total.labels, _("Every skill needed")]


def _skill_shares(c: Coverage) -> list[float]:
    return [*(c.total.share(n) for n in c.total.holders), c.total.complete_share]


def _skill_rows(c: Coverage) -> list[list[charts.Cell]]:
    counts = [*c.total.holders, c.total.complete]
    return [
        [
            charts.Cell(label),
            charts.Cell(f"{n:,}", numeric=True),
            charts.Cell(_percent(c.total.share(n)), numeric=True),
            charts.Cell(f"{c.total.headcount - n:,}", numeric=True),
        ]
        for label, n in zip(_skill_labels(c), counts, strict=True)
    ]


def _skills_desc(c: Coverage) -> str:
    if not c.needs:
        return _("Bar chart: this career path lists no skills yet.")
    least = min(zip(c.total.labels, c.total.holders, strict=True), key=lambda x: x[1])
    return _(
        "Bar chart: of %(people)s people, %(who)s, the share holding each skill the career path needs at the level "
        "needed or higher, and every one of them (%(complete)s). The least held is %(skill)s (%(share)s). "
        "The table that follows has the figures."
    ) % {
        "people": f"{c.total.headcount:,}",
        "who": _who(c),
        "complete": _percent(c.total.complete_share),
        "skill": least[0],
        "share": _percent(c.total.share(least[1])),
    }


def _department_rows(c: Coverage) -> list[list[charts.Cell]]:
    return [
        [
            charts.Cell(r.label),
            charts.Cell(f"{r.headcount:,}", numeric=True),
            charts.Cell(f"{r.complete:,}", numeric=True),
            charts.Cell(_percent(r.complete_share), numeric=True),
        ]
        for r in c.rows
    ]


def _departments_desc(c: Coverage) -> str:
    best = max(c.rows, key=lambda r: (r.complete_share, r.headcount)) if c.rows else None
    return _(
        "Bar chart: per department, the share of its people holding every skill the career path needs; "
        "the highest is %(department)s (%(share)s). The table that follows has the figures."
    ) % {
        "department": best.label if best else "—",
        "share": _percent(best.complete_share) if best else "—",
    }


PEOPLE_HEAD = (gettext_lazy("People holding it"), gettext_lazy("Share holding it"), gettext_lazy("People lacking it"))

COVERAGE_CHARTS: tuple[ChartDef[Coverage], ...] = (
    ChartDef(
        id="coverage-skills",
        draw=_bar,
        title=gettext_lazy("Share holding each skill needed"),
        desc=_skills_desc,
        labels=_skill_labels,
        series=lambda c: [charts.Series(_("Share holding it"), _skill_shares(c))],
        head=(gettext_lazy("Skill needed"), *PEOPLE_HEAD),
        rows=_skill_rows,
        fmt=_percent,
        max_value=100,
    ),
    ChartDef(
        id="coverage-departments",
        draw=_bar,
        title=gettext_lazy("Share holding every skill needed, by department"),
        desc=_departments_desc,
        labels=lambda c: [r.label for r in c.rows],
        series=lambda c: [charts.Series(_("Every skill needed"), [r.complete_share for r in c.rows])],
        head=(
            gettext_lazy("Department"),
            gettext_lazy("People"),
            gettext_lazy("Holding every skill"),
            gettext_lazy("Share holding every skill"),
        ),
        rows=_department_rows,
        fmt=_percent,
        max_value=100,
    ),
)


def coverage_charts(coverage: Coverage) -> list[charts.Chart]:
    """The coverage's charts with their tables; none for a profile without skills, and the
    department chart only when there are two department rows or more."""
    if not coverage.needs:
        return []
    wanted = [d for d in COVERAGE_CHARTS if d.id != "coverage-departments" or len(coverage.rows) > 1]
    return [draw(d, coverage) for d in wanted]
