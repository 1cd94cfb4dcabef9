"""Cells that spreadsheets would run as formulas, full-width ones included (issue 12, part 5)."""

from __future__ import annotations

import io

import openpyxl
import pytest

from staff.models import StaffMember
from staff.spreadsheets import escape_cell, unescape_cell
from tests.staff.test_roster_import import CSV, XLSX, export, preview, totals

FULL_WIDTH = ['＝HYPERLINK("http://evil.example","花子")', "＋81-42-626-3111", "－1+2", "＠SUM(A1)"]


@pytest.mark.parametrize("value", FULL_WIDTH)
def test_a_cell_starting_with_a_full_width_formula_sign_is_escaped_and_comes_back_unchanged(value):
    assert escape_cell(value) == "'" + value
    assert unescape_cell(escape_cell(value)) == value


def test_full_width_signs_elsewhere_in_a_cell_are_left_alone():
    for value in ("花子＝はなこ", "山田 ＠本庁", "１＋１"):
        assert escape_cell(value) == value


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", [CSV, XLSX])
def test_a_full_width_formula_in_a_name_is_exported_as_text_and_reimports_unchanged(client, carol, alice, fmt):
    client.force_login(carol)
    StaffMember.objects.filter(pk=alice.pk).update(given_name=FULL_WIDTH[0])
    response = export(client, fmt)
    assert response.status_code == 200
    if fmt == CSV:
        assert "'＝HYPERLINK(" in response.content.decode("utf-8-sig")
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        cells = [cell.value for row in sheet.iter_rows() for cell in row if "HYPERLINK" in str(cell.value)]
        assert cells == ["'" + FULL_WIDTH[0]]
    response = preview(client, response.content, name=f"roster.{'xlsx' if fmt == XLSX else 'csv'}", fmt=fmt)
    assert totals(response)["changed"] == 0 and totals(response)["invalid"] == 0
