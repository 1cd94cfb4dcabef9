"""The dashboard's charts are built from a table of definitions; their output is pinned.

The snapshot (``snapshots/insight_dashboard_charts.json``) was written by the long hand-written
function the table replaced (``courses/views_hr.py``'s ``_dashboard_charts``), from the same
figures: every chart's id, title, description, SVG, table head, rows and note must stay as they were,
for HR and for a head of section. English, so that the snapshot does not depend on the catalogue.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from courses.insight import Dashboard, DepartmentIndex, Dept, RateRow, Scope, WaitlistRow
from courses.insight.dashboard_charts import dashboard_charts

SNAPSHOT = Path(__file__).parent / "snapshots" / "insight_dashboard_charts.json"

WELFARE = Dept(1, "D100", "福祉部", "Welfare", "/D100/", None)
POLICY = Dept(2, "D110", "福祉政策課", "Welfare Policy", "/D100/D110/", 1)
PLANNING = Dept(3, "D111", "企画係", "Planning", "/D100/D110/D111/", 2)
FINANCE = Dept(4, "D200", "財務部", "Finance", "/D200/", None)
DEPARTMENTS = DepartmentIndex([WELFARE, POLICY, PLANNING, FINANCE])
SCOPES = {"hr": Scope(is_hr=True, viewer_pk=1), "head": Scope(is_hr=False, paths=("/D100/D110/",), viewer_pk=2)}


def _figures() -> Dashboard:
    months = [dt.date(2025, m, 1) for m in range(4, 13)] + [dt.date(2026, m, 1) for m in range(1, 4)]
    return Dashboard(
        fy_from=2024,
        fy_to=2025,
        months=months,
        requests=[3, 0, 12, 7, 1, 0, 4, 9, 2, 2, 5, 1234],
        completions=[1, 0, 8, 6, 0, 0, 3, 7, 2, 1, 4, 900],
        badges=[0, 1, 2, 3, 0, 0, 5, 1, 0, 2, 2, 40],
        badges_cumulative=[10, 11, 13, 16, 16, 16, 21, 22, 22, 24, 26, 66],
        provider_rates=[RateRow("Tokyo <Academy>", 18, 20, "P1"), RateRow("P2", 1, 3, "P2")],
        course_rates=[RateRow("Excel & more", 2, 9, "C-001"), RateRow("法務入門", 7, 8, "C-002")],
        badges_by_department=[(WELFARE, 12), (POLICY, 7), (FINANCE, 3)],
        badges_by_use_type=[("Self-development", [4, 9]), ("Promotion evidence", [1, 2]), ("Programme", [0, 3])],
        use_types=[("Self-development", 1200, 900), ("Promotion evidence", 79, 38)],
        subsidy=[(2024, 1_250_000, 2_000_000), (2025, 300_500, None)],
        waitlists=[WaitlistRow("C-003", "Data basics", 20, 14, 20), WaitlistRow("C-004", "Self-paced", None, 2, 5)],
    )


def _render() -> dict[str, list[dict[str, Any]]]:
    with translation.override("en"):
        return {
            name: [dataclasses.asdict(chart) for chart in dashboard_charts(_figures(), scope, DEPARTMENTS)]
            for name, scope in SCOPES.items()
        }


@pytest.mark.parametrize("who", sorted(SCOPES))
def test_the_dashboard_charts_are_what_the_long_function_drew(who):
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))[who]
    actual = json.loads(json.dumps(_render()[who]))
    assert [c["id"] for c in actual] == [c["id"] for c in expected]
    for got, want in zip(actual, expected, strict=True):
        assert got == want, want["id"]
