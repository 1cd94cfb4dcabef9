"""Property-based tests: whatever bytes HR uploads, the roster and grade-report importers answer
with a result or a clear RosterFileError, never an exception that would be a server error, and
nothing is written when a file has errors."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courses.resources import GradeReportResource
from staff.formats import RosterCSV, RosterFileError, RosterXLSX
from staff.models import StaffMember
from staff.resources import StaffRosterResource

pytestmark = pytest.mark.django_db

HEADER = "職員番号,姓,名,姓カナ,名カナ,メールアドレス,所属コード,職層,職種,雇用形態,異動日\r\n"
GRADE_HEADER = "職員番号,科目コード,修了日,成績\r\n"
cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["", "100001", "４０１０", "主事", "係長", "正規", "2026/4/1", "=1+1", "a@city.test", "髙①㈱", "\x00"]
    ),
)
row = st.lists(cell, min_size=0, max_size=13)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _csv(header: str, rows: list[list[str]], encoding: str) -> bytes:
    lines = [",".join(c.replace(",", "、").replace("\n", " ") for c in r) for r in rows]
    return (header + "\r\n".join(lines)).encode(encoding, errors="replace")


def _import_roster(data: bytes, fmt: object) -> None:
    try:
        dataset = fmt.create_dataset(data)  # type: ignore[attr-defined]
    except RosterFileError as exc:
        assert str(exc)  # a message HR can read
        return
    result = StaffRosterResource().import_data(dataset, dry_run=False, raise_errors=False)
    if result.has_errors() or result.has_validation_errors():
        assert StaffMember.objects.count() == 0, "a file with errors imported something"


@FUZZ
@given(data=st.binary(max_size=2000))
def test_any_bytes_as_a_roster_csv_give_a_result_or_a_clear_error(data):
    _import_roster(data, RosterCSV())


@FUZZ
@given(data=st.binary(max_size=2000))
def test_any_bytes_as_a_roster_xlsx_give_a_result_or_a_clear_error(data):
    _import_roster(data, RosterXLSX())


@FUZZ
@given(rows=st.lists(row, max_size=6), encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp932"]))
def test_roster_like_csv_files_never_raise(rows, encoding):
    _import_roster(_csv(HEADER, rows, encoding), RosterCSV())


@FUZZ
@given(rows=st.lists(row, max_size=6), data=st.binary(max_size=300), encoding=st.sampled_from(["utf-8", "cp932"]))
def test_grade_reports_never_raise_and_unmatched_rows_are_errors(rows, data, encoding, carol):
    for payload in (_csv(GRADE_HEADER, rows, encoding), data):
        try:
            dataset = RosterCSV().create_dataset(payload)
        except RosterFileError as exc:
            assert str(exc)
            continue
        result = GradeReportResource(actor=carol).import_data(dataset, dry_run=True, use_transactions=True)
        # No enrolment exists here, so any data row is an error, never a silent skip.
        if len(dataset) and any(any(str(v or "").strip() for v in r) for r in dataset):
            assert result.has_errors() or result.has_validation_errors()
