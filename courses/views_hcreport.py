"""The human-capital report page and its exports (/hr/report/).

Each figure is a chart (server-side SVG, ``courses.charts``) with its table: the divisions'
values for the fiscal year and the year before. A summary table gives the city's figures with
the change from the year before. The report holds counts, never a person, so nothing is logged.

HR sees the city and its divisions, and exports them. A head of section sees the city's figures
for comparison and those of the departments they head (``courses.hcreport``: no row of fewer than
five people); the exports stay HR's (403 for a head). Staff have no report: their own learning is
on マイ学習.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from staff.selectors import is_hr

from . import charts, exports_hc, hcreport, insight


class ReportForm(forms.Form):
    fy = forms.TypedChoiceField(label=gettext_lazy("Fiscal year"), coerce=int, required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        current = insight.fiscal_year_of(timezone.localdate())
        self.fields["fy"].choices = [(fy, insight.fiscal_year_label(fy)) for fy in range(current, current - 10, -1)]
        self.fields["fy"].initial = current

    def year(self) -> int:
        data = self.cleaned_data if self.is_valid() else {}
        return data.get("fy") or insight.fiscal_year_of(timezone.localdate())


def _scope(request: HttpRequest) -> insight.Scope:
    """HR, or a head of section (their departments); anyone else: 403."""
    scope = insight.insight_scope(request.user)
    if scope is None:
        raise PermissionDenied
    return scope


def _hr_scope(request: HttpRequest) -> insight.Scope:
    if not is_hr(request.user):  # type: ignore[arg-type]
        raise PermissionDenied
    return insight.Scope(is_hr=True, viewer_pk=request.user.pk)


def fmt_value(metric: hcreport.Metric, value: float | None) -> str:
    if value is None:
        return "—"
    if metric.unit == "percent":
        return f"{value:.1f}%"
    if metric.unit == "yen":
        return _("%(amount)s yen") % {"amount": formats.number_format(round(value), force_grouping=True)}
    if metric.unit == "hours":
        return _("%(hours)s h") % {"hours": f"{value:,.1f}"}
    if metric.unit == "count":
        return f"{round(value):,}"
    return f"{value:,.1f}"


def fmt_change(metric: hcreport.Metric, value: float | None) -> str:
    if value is None:
        return "—"
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    magnitude = abs(value)
    if metric.unit == "percent":
        return _("%(sign)s%(value)s points") % {"sign": sign, "value": f"{magnitude:.1f}"}
    return sign + fmt_value(metric, magnitude)


def _charts(data: hcreport.Report) -> list[charts.Chart]:
    fy, prev = data.fiscal_year, data.fiscal_year - 1
    fy_label, prev_label = insight.fiscal_year_label(fy), insight.fiscal_year_label(prev)
    groups = data.groups
    labels = [g.label for g in groups]
    out = []
    for metric in hcreport.METRICS:
        s_prev = charts.Series(prev_label, [g.value(metric, prev) for g in groups])
        s_now = charts.Series(fy_label, [g.value(metric, fy) for g in groups])
        title = str(metric.label)
        if data.for_head:
            desc = _(
                "Bar chart: %(metric)s for the whole city, the departments you head and each of them, %(prev)s "
                "and %(fy)s; the city's figure is %(value)s (%(change)s from the year before). The table that "
                "follows has the figures."
            )
        else:
            desc = _(
                "Bar chart: %(metric)s for the whole city and each division, %(prev)s and %(fy)s; "
                "the city's figure is %(value)s (%(change)s from the year before). "
                "The table that follows has the figures."
            )
        desc = desc % {
            "metric": title,
            "prev": prev_label,
            "fy": fy_label,
            "value": fmt_value(metric, data.city.value(metric, fy)),
            "change": fmt_change(metric, data.city.change(metric, fy)),
        }
        chart_id = f"hc-{metric.key}"
        rows = [
            [
                charts.Cell(g.label),
                charts.Cell(fmt_value(metric, g.value(metric, prev)), numeric=True),
                charts.Cell(fmt_value(metric, g.value(metric, fy)), numeric=True),
                charts.Cell(fmt_change(metric, g.change(metric, fy)), numeric=True),
            ]
            for g in groups
        ]
        out.append(
            charts.Chart(
                chart_id,
                title,
                desc,
                charts.bar_chart(
                    chart_id=chart_id,
                    title=title,
                    desc=desc,
                    labels=labels,
                    series=[s_prev, s_now],
                    fmt=lambda v, m=metric: fmt_value(m, v),  # type: ignore[misc]
                    max_value=100 if metric.unit == "percent" else None,
                    # A head's few rows: the narrow chart, whose text stays readable on a phone.
                    **({"width": 400, "label_width": 170, "css": "chart--compact"} if data.for_head else {}),  # type: ignore[arg-type]
                ),
                [_("Department") if data.for_head else _("Division"), prev_label, fy_label, _("Change")],
                rows,
            )
        )
    return out


@login_required
def report(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    form = ReportForm(request.GET or None)
    fy = form.year()
    data = hcreport.report(scope=scope, departments=insight.DepartmentIndex.load(), fiscal_year=fy)
    summary = [
        (
            m,
            fmt_value(m, data.city.value(m, fy - 1)),
            fmt_value(m, data.city.value(m, fy)),
            fmt_change(m, data.city.change(m, fy)),
        )
        for m in hcreport.METRICS
    ]
    section = data.section
    section_summary = (
        [
            (
                m,
                fmt_value(m, section.value(m, fy - 1)),
                fmt_value(m, section.value(m, fy)),
                fmt_change(m, section.change(m, fy)),
                fmt_value(m, data.city.value(m, fy)),
            )
            for m in hcreport.METRICS
        ]
        if section is not None
        else []
    )
    return render(
        request,
        "courses/hr/report.html",
        {
            "scope": scope,
            "form": form,
            "report": data,
            "summary": summary,
            "section_summary": section_summary,
            "section_headcount": section.counts[fy].headcount if section is not None else 0,
            "min_group": hcreport.MIN_GROUP_SIZE,
            "charts": _charts(data),
            "fy_label": insight.fiscal_year_label(fy),
            "prev_label": insight.fiscal_year_label(fy - 1),
            "headcount": data.city.counts[fy].headcount,
        },
    )


@login_required
def report_export(request: HttpRequest, fmt: str) -> HttpResponse:
    scope = _hr_scope(request)
    fy = ReportForm(request.GET or None).year()
    data = hcreport.report(scope=scope, departments=insight.DepartmentIndex.load(), fiscal_year=fy)
    if fmt == "xlsx":
        body = exports_hc.report_xlsx(data)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, content_type = exports_hc.report_csv(data), "text/csv; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="human-capital-{fy}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response
