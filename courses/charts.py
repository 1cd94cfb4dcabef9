"""Server-side SVG charts for the HR insight pages: pure functions, no ORM, no scripts.

Each builder returns an SVG string that is ready to be placed inline in a page:
``role="img"`` with ``aria-labelledby`` pointing at its own ``<title>`` and ``<desc>``, so a
screen reader announces the chart's name and a one-sentence summary; the figures themselves
are in the table each chart comes with (:class:`Chart`), which is what screen readers, print
and copy-paste use. Colours come from classes styled in ``static/css/hr.css`` (the CSP forbids
``style`` attributes); every value is also written as text, so nothing depends on colour.

All text that comes from data is escaped here; the result can be marked safe by the caller.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape

from django.utils.safestring import SafeString, mark_safe

Number = int | float
Formatter = Callable[[Number], str]

WIDTH = 720  # viewBox units; the SVG scales to its container
FONT = 13  # text size in viewBox units (hr.css sets the same)


def _fmt_default(value: Number) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def text_width(text: str, size: float = FONT) -> float:
    """Rough rendered width: CJK and full-width characters are square, others about half."""
    wide = sum(1 for ch in text if ord(ch) > 0x2E80)
    return (wide + 0.58 * (len(text) - wide)) * size


def truncate(text: str, max_width: float, size: float = FONT) -> str:
    if text_width(text, size) <= max_width:
        return text
    out = ""
    for ch in text:
        if text_width(out + ch + "…", size) > max_width:
            break
        out += ch
    return out + "…"


def nice_max(value: Number) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ that is at least ``value`` (an axis that reads well)."""
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        candidate = step * 10**exponent
        if candidate >= value:
            return float(candidate)
    return float(10 ** (exponent + 1))  # pragma: no cover - the loop always returns


def _open(chart_id: str, title: str, desc: str, height: float, css: str, width: float = WIDTH) -> list[str]:
    cid = _e(chart_id)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css}" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'role="img" aria-labelledby="{cid}-title {cid}-desc" focusable="false">',
        f'<title id="{cid}-title">{_e(title)}</title>',
        f'<desc id="{cid}-desc">{_e(desc)}</desc>',
    ]


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[Number | None]


def _legend(series: Sequence[Series], y: float, kind: str) -> list[str]:
    if len(series) < 2:
        return []
    out = ['<g class="chart__legend">']
    x = 0.0
    for i, s in enumerate(series):
        if kind == "line":
            out.append(
                f'<line class="chart__line chart__line--{i}" x1="{x:.0f}" y1="{y - 4:.0f}" '
                f'x2="{x + 24:.0f}" y2="{y - 4:.0f}"/>'
            )
        else:
            out.append(
                f'<rect class="chart__bar chart__bar--{i}" x="{x:.0f}" y="{y - 11:.0f}" width="14" height="14"/>'
            )
        out.append(f'<text x="{x + 30:.0f}" y="{y:.0f}">{_e(s.name)}</text>')
        x += 30 + text_width(s.name) + 24
    out.append("</g>")
    return out


def bar_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[Series],
    fmt: Formatter = _fmt_default,
    max_value: Number | None = None,
    width: float = WIDTH,
    label_width: float = 210.0,
    css: str = "",
) -> str:
    """Horizontal bars: one group per label, one bar per series, the value written at the end.

    ``width`` and ``label_width`` (viewBox units) draw a narrower chart for a few short labels,
    whose text stays large on a phone (class ``chart--compact`` in ``css`` caps its width on a
    desktop, ``static/css/hr.css``)."""
    bar_h, gap = 16, 10
    group_h = bar_h * len(series) + gap
    legend_h = 26 if len(series) > 1 else 0
    height = legend_h + group_h * max(len(labels), 1) + 8
    label_w = label_width
    value_w = 90.0 if width >= WIDTH else 64.0
    plot_w = width - label_w - value_w
    top = max((v or 0) for s in series for v in s.values) if labels else 0
    scale_max = float(max_value) if max_value else nice_max(top)
    out = _open(chart_id, title, desc, height, f"chart--bar {css}".strip(), width)
    out += _legend(series, 16, "bar")
    for i, label in enumerate(labels):
        y0 = legend_h + i * group_h
        out.append('<g class="chart__group">')
        out.append(f"<title>{_e(label)}</title>")
        out.append(
            f'<text class="chart__label" x="{label_w - 8:.0f}" y="{y0 + (group_h - gap) / 2 + 5:.0f}" '
            f'text-anchor="end">{_e(truncate(label, label_w - 12))}</text>'
        )
        for j, s in enumerate(series):
            value = s.values[i] if i < len(s.values) else None
            y = y0 + j * bar_h
            w = 0.0 if not value else max(plot_w * float(value) / scale_max, 1.0)
            out.append(
                f'<rect class="chart__bar chart__bar--{j}" x="{label_w:.0f}" y="{y:.0f}" '
                f'width="{w:.1f}" height="{bar_h - 2}"/>'
            )
            shown = "—" if value is None else fmt(value)
            out.append(
                f'<text class="chart__value" x="{label_w + w + 6:.1f}" y="{y + bar_h - 4:.0f}">{_e(shown)}</text>'
            )
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


def line_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[Series],
    fmt: Formatter = _fmt_default,
) -> str:
    """Lines over time (months): an axis with four gridlines, a dot for every value."""
    height = 300.0
    left, right, top_pad, bottom = 64.0, 16.0, 34.0 if len(series) > 1 else 12.0, 44.0
    plot_w, plot_h = WIDTH - left - right, height - top_pad - bottom
    top = max((v or 0) for s in series for v in s.values) if labels else 0
    scale_max = nice_max(top)
    n = max(len(labels), 1)
    step = plot_w / max(n - 1, 1)
    out = _open(chart_id, title, desc, height, "chart--line")
    out += _legend(series, 16, "line")
    for k in range(5):
        value = scale_max * k / 4
        y = top_pad + plot_h - plot_h * k / 4
        out.append(f'<line class="chart__grid" x1="{left:.0f}" y1="{y:.1f}" x2="{WIDTH - right:.0f}" y2="{y:.1f}"/>')
        out.append(
            f'<text class="chart__axis" x="{left - 6:.0f}" y="{y + 4:.1f}" text-anchor="end">{_e(fmt(value))}</text>'
        )
    every = max(1, math.ceil(n / 12))
    for i, label in enumerate(labels):
        if i % every == 0 or i == n - 1:
            x = left + i * step
            out.append(
                f'<text class="chart__axis" x="{x:.1f}" y="{height - bottom + 18:.0f}" '
                f'text-anchor="middle">{_e(label)}</text>'
            )
    for j, s in enumerate(series):
        points = [
            (left + i * step, top_pad + plot_h - plot_h * float(v) / scale_max)
            for i, v in enumerate(s.values)
            if v is not None
        ]
        if points:
            coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            out.append(f'<polyline class="chart__line chart__line--{j}" points="{coords}"/>')
            for x, y in points:
                out.append(f'<circle class="chart__dot chart__dot--{j}" cx="{x:.1f}" cy="{y:.1f}" r="2.5"/>')
    out.append("</svg>")
    return "".join(out)


def heat_level(value: Number, maximum: Number, minimum: Number = 0, levels: int = 6) -> int:
    """0 for nothing; otherwise 1…levels-1 in equal steps from ``minimum`` to ``maximum``.

    Shading spans the smallest to the largest count shown, so similar counts still differ.
    """
    if not value or not maximum:
        return 0
    low = float(minimum) if 0 < minimum < maximum else 0.0
    share = (float(value) - low) / (float(maximum) - low)
    return max(1, min(levels - 1, 1 + math.floor((levels - 2) * share + 1e-9)))


def heat_range(values: Sequence[Sequence[Number]]) -> tuple[Number, Number]:
    """The smallest non-zero and the largest value of a grid (0, 0 when empty)."""
    shown = [v for row in values for v in row if v]
    return (min(shown), max(shown)) if shown else (0, 0)


def heat_map(
    *,
    chart_id: str,
    title: str,
    desc: str,
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    values: Sequence[Sequence[Number]],
    fmt: Formatter = _fmt_default,
) -> str:
    """A grid of cells shaded by value, the value written in each cell.

    The cells are not links: an ``role="img"`` element must hold nothing interactive (WCAG
    4.1.2; axe's nested-interactive), even with ``tabindex="-1"``. The links to the people are
    in the chart's table, next to it, for everyone.
    """
    label_w = 200.0
    head_h = 96.0
    cols = max(len(col_labels), 1)
    right_pad = 70.0  # the last column's label is rotated out to the right
    cell_w = max(min((WIDTH - label_w - right_pad) / cols, 80.0), 28.0)
    cell_h = 28.0
    width = label_w + cell_w * cols + right_pad
    height = head_h + cell_h * max(len(row_labels), 1) + 4
    minimum, maximum = heat_range(values)
    cid = _e(chart_id)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart--heat" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'role="img" aria-labelledby="{cid}-title {cid}-desc" focusable="false">',
        f'<title id="{cid}-title">{_e(title)}</title>',
        f'<desc id="{cid}-desc">{_e(desc)}</desc>',
    ]
    for j, label in enumerate(col_labels):
        x = label_w + j * cell_w + cell_w / 2
        out.append(
            f'<text class="chart__axis" transform="translate({x:.1f} {head_h - 8:.0f}) rotate(-50)">'
            f"{_e(truncate(label, head_h * 1.2))}</text>"
        )
    for i, label in enumerate(row_labels):
        y = head_h + i * cell_h
        out.append(
            f'<text class="chart__label" x="{label_w - 8:.0f}" y="{y + cell_h / 2 + 5:.1f}" '
            f'text-anchor="end">{_e(truncate(label, label_w - 12))}</text>'
        )
        for j in range(len(col_labels)):
            value = values[i][j] if i < len(values) and j < len(values[i]) else 0
            level = heat_level(value, maximum, minimum)
            x = label_w + j * cell_w
            out.append(
                f'<rect class="heat heat--{level}" x="{x:.1f}" y="{y:.1f}" '
                f'width="{cell_w - 2:.1f}" height="{cell_h - 2:.1f}">'
                f"<title>{_e(label)} × {_e(col_labels[j])}: {_e(fmt(value))}</title></rect>"
                f'<text class="heat__value{" heat__value--dark" if level >= 4 else ""}" x="{x + (cell_w - 2) / 2:.1f}" '
                f'y="{y + cell_h / 2 + 4:.1f}" text-anchor="middle">{_e(fmt(value))}</text>'
            )
    out.append("</svg>")
    return "".join(out)


# --- Chart + table, for templates ---------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    text: str
    href: str | None = None
    numeric: bool = False
    level: int | None = None  # heat-map shading of the table cell, if any


@dataclass
class Chart:
    """An SVG and the table with the same figures (``templates/courses/hr/_chart.html``)."""

    id: str
    title: str
    desc: str
    svg: str
    head: list[str] = field(default_factory=list)
    rows: list[list[Cell]] = field(default_factory=list)
    note: str = ""

    @property
    def svg_html(self) -> SafeString:
        # Every piece of text in ``svg`` went through ``_e`` in the builders above.
        return mark_safe(self.svg)  # noqa: S308

    @property
    def labelled_rows(self) -> list[list[tuple[Cell, str]]]:
        """Each row's cells with their column's heading: on a phone the table is a stack of cards
        and each cell names its column (``data-label``), as the portal's other tables do."""
        return [list(zip(row, self.head, strict=False)) for row in self.rows]


def table_rows(labels: Sequence[str], series: Sequence[Series], fmt: Formatter = _fmt_default) -> list[list[Cell]]:
    """One row per label: the label, then each series' value (an em dash for none)."""
    rows = []
    for i, label in enumerate(labels):
        row = [Cell(label)]
        for s in series:
            v = s.values[i] if i < len(s.values) else None
            row.append(Cell("—" if v is None else fmt(v), numeric=True))
        rows.append(row)
    return rows
