"""People-search exports: CSV (UTF-8 with BOM) and XLSX, Japanese headers, logged per person."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from courses import exports, insight
from staff.models import RecordAccess
from tests.courses.insight_helpers import add_data_holders
from tests.factories import role_query

pytestmark = pytest.mark.django_db

SEARCH = {"skill": "DATA", "level": 2, "department": "40"}
HEADERS = ["職員番号", "氏名", "カナ", "所属", "職層", "職種", "該当スキル", "根拠"]


def _csv_rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_csv_starts_with_a_bom_and_has_japanese_headers(client, city, carol):
    client.force_login(carol)
    response = client.get(reverse("hr:people_export_csv"), SEARCH)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = _csv_rows(response.content)
    assert rows[0] == HEADERS
    by_number = {r[0]: r for r in rows[1:]}
    assert set(by_number) == {"100001", "100005"}  # alice and erika: DATA level 2 in 福祉部
    alice = by_number["100001"]
    assert alice[1:4] == ["山田 花子", "ヤマダ ハナコ", "福祉部 › 福祉政策課"]
    assert "主任" in alice[4]
    assert alice[6] == "データ活用 Lv2"
    assert "データ分析実践" in alice[7] and "バッジ" in alice[7]


def test_the_xlsx_opens_with_openpyxl_with_the_same_rows(client, city, carol):
    client.force_login(carol)
    response = client.get(reverse("hr:people_export_xlsx"), SEARCH)
    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    values = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    assert list(values[0]) == HEADERS
    assert sorted(r[0] for r in values[1:]) == ["100001", "100005"]


def test_each_exported_person_is_logged_once_as_an_export(client, city, carol):
    client.force_login(carol)
    client.get(reverse("hr:people_export_csv"), SEARCH)
    entries = RecordAccess.objects.all()
    assert sorted(e.subject.employee_number for e in entries) == ["100001", "100005"]
    assert {(e.viewer_id, e.purpose) for e in entries} == {(carol.pk, "export")}
    assert all(e.path.startswith(reverse("hr:people_export_csv")) for e in entries)


def test_a_heads_export_holds_only_their_people(client, city, bob):
    client.force_login(bob)
    response = client.get(reverse("hr:people_export_csv"), {"skill": "DATA"})
    numbers = sorted(r[0] for r in _csv_rows(response.content)[1:])
    assert numbers == ["100001", "100006", "100007"]  # 福祉政策課 only, and not bob himself


def test_an_export_needs_a_filter(client, city, carol):
    client.force_login(carol)
    response = client.get(reverse("hr:people_export_csv"))
    assert response.status_code == 302
    assert not RecordAccess.objects.exists()


def test_a_too_large_export_is_refused_with_a_message(client, city, carol, monkeypatch):
    monkeypatch.setattr(insight.search, "EXPORT_MAX_ROWS", 1)
    client.force_login(carol)
    response = client.get(reverse("hr:people_export_csv"), SEARCH)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("hr:people"))
    assert not RecordAccess.objects.exists()


@pytest.mark.parametrize("extra", [0, 30])
def test_an_export_costs_the_same_queries_for_few_or_many_people(client, city, carol, extra, django_assert_num_queries):
    add_data_holders(city, extra)
    client.force_login(carol)
    client.get(reverse("hr:people"))
    # session, user with roles (staff/auth_backends.py), MFA check, departments, skills,
    # alignment (2), people, completions, awards, and the log: one bulk insert.
    with django_assert_num_queries(11 + role_query()):
        response = client.get(reverse("hr:people_export_csv"), SEARCH)
    assert len(_csv_rows(response.content)) == 3 + extra


def test_a_cell_that_looks_like_a_formula_is_exported_as_text(client, city, carol):
    from staff.models import StaffMember

    StaffMember.objects.filter(employee_number="100001").update(family_name="=1+2")
    client.force_login(carol)
    rows = _csv_rows(client.get(reverse("hr:people_export_csv"), SEARCH).content)
    assert [r[1] for r in rows[1:] if r[0] == "100001"] == ["'=1+2 花子"]
    book = load_workbook(io.BytesIO(client.get(reverse("hr:people_export_xlsx"), SEARCH).content))
    cells = {cell.value: cell.data_type for row in book.active.iter_rows() for cell in row}
    assert cells["'=1+2 花子"] == "s"
    assert "f" not in cells.values()
