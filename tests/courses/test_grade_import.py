from __future__ import annotations

import datetime as dt
import re

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from badges.models import Award
from courses.models import Enrolment
from courses.resources import GradeReportResource
from staff.formats import RosterCSV
from tests.factories import make_badge_class, make_enrolment, make_started_course

pytestmark = pytest.mark.django_db

HEADER = "employee_number,course_code,result,grade,completed_on,note\n"


@pytest.fixture
def approved(alice, dave):  # type: ignore[no-untyped-def]
    # Under way since March: the report's completion dates (2026-03-10) fall within it.
    course = make_started_course(code="CHUO-GYOSEI", badge_class=make_badge_class(), starts_on=dt.date(2026, 3, 1))
    return [make_enrolment(staff=p, course=course, state="approved") for p in (alice, dave)]


def _import(text: str, actor, *, dry_run: bool, encoding: str = "utf-8"):  # type: ignore[no-untyped-def]
    dataset = RosterCSV().create_dataset(text.encode(encoding))
    return GradeReportResource(actor=actor).import_data(dataset, dry_run=dry_run, use_transactions=True)


REPORT = HEADER + "100001,CHUO-GYOSEI,修了,優,2026-03-10,\n100004,chuo-gyosei,不合格,,,試験欠席\n"


def test_a_dry_run_reports_what_would_change_and_changes_nothing(approved, carol, enqueued):
    result = _import(REPORT, carol, dry_run=True)
    assert not result.has_errors() and not result.has_validation_errors()
    assert [row.import_type for row in result.rows] == ["update", "update"]
    assert set(Enrolment.objects.values_list("state", flat=True)) == {"approved"}
    assert not Award.objects.exists()
    assert enqueued == []


def test_the_import_completes_and_requests_one_award(approved, carol, enqueued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = _import(REPORT, carol, dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors()
    alice_enrolment, dave_enrolment = (Enrolment.objects.get(pk=e.pk) for e in approved)
    assert (alice_enrolment.state, alice_enrolment.grade, str(alice_enrolment.completed_on)) == (
        "completed",
        "優",
        "2026-03-10",
    )
    assert dave_enrolment.state == "not_completed"
    assert Award.objects.get().source_key == f"enrolment:{alice_enrolment.pk}"
    assert len(enqueued) == 1
    assert alice_enrolment.events.last().actor == carol


def test_re_importing_the_same_report_changes_nothing_and_requests_no_second_award(
    approved, carol, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _import(REPORT, carol, dry_run=False)
    events = sum(e.events.count() for e in Enrolment.objects.all())
    with django_capture_on_commit_callbacks(execute=True):
        result = _import(REPORT, carol, dry_run=False)
    assert [row.import_type for row in result.rows] == ["skip", "skip"]
    assert sum(e.events.count() for e in Enrolment.objects.all()) == events
    assert Award.objects.count() == 1
    assert len(enqueued) == 1


def test_rows_that_match_no_approved_enrolment_are_errors_and_nothing_is_saved(approved, carol, bob):
    report = REPORT + "100002,CHUO-GYOSEI,修了,良,,\n999999,CHUO-GYOSEI,修了,,,\n100001,NO-SUCH-COURSE,修了,,,\n"
    result = _import(report, carol, dry_run=False)
    assert result.has_validation_errors()
    assert [row.number for row in result.invalid_rows] == [3, 4, 5]
    assert "職員番号 100002 の講座 CHUO-GYOSEI への受講決定済みの申込がありません" in str(result.invalid_rows[0].error)
    # The whole file is refused: the good rows were not saved either.
    assert set(Enrolment.objects.values_list("state", flat=True)) == {"approved"}


def test_an_enrolment_that_is_only_requested_does_not_match(carol, alice):
    make_enrolment(staff=alice, course=make_started_course(code="CHUO-KENPO"), state="requested")
    result = _import(HEADER + "100001,CHUO-KENPO,修了,,,\n", carol, dry_run=True)
    assert result.has_validation_errors()


def test_unknown_results_and_bad_dates_are_errors(approved, carol):
    result = _import(
        HEADER + "100001,CHUO-GYOSEI,maybe,,,\n100004,CHUO-GYOSEI,修了,,31/31/2026,\n", carol, dry_run=True
    )
    assert [row.number for row in result.invalid_rows] == [1, 2]


def test_missing_columns_are_reported(approved, carol):
    result = _import("職員番号,成績\n100001,優\n", carol, dry_run=True)
    assert result.has_errors()
    assert "course_code" in str(result.base_errors[0].error)


def test_japanese_headers_and_a_cp932_file_are_read(approved, carol):
    report = "職員番号,科目コード,結果,成績,修了日,備考\n100001,CHUO-GYOSEI,合格,優,2026/3/10,髙評価①\n"
    result = _import(report, carol, dry_run=False, encoding="cp932")
    assert not result.has_validation_errors(), [r.error for r in result.invalid_rows]
    enrolment = Enrolment.objects.get(staff__employee_number="100001")
    assert (enrolment.state, enrolment.result_note) == ("completed", "髙評価①")


def test_a_utf8_file_with_a_bom_is_read(approved, carol):
    dataset = RosterCSV().create_dataset(("\ufeff" + REPORT).encode("utf-8"))
    assert dataset.headers[0] == "employee_number"


def test_hr_imports_a_grade_report_in_the_admin_with_a_dry_run_first(
    client, carol, approved, enqueued, django_capture_on_commit_callbacks
):
    client.force_login(carol)
    upload = SimpleUploadedFile("grades.csv", REPORT.encode("cp932"), content_type="text/csv")
    response = client.post(
        reverse("admin:courses_enrolment_import"), {"import_file": upload, "format": "0", "resource": "0"}
    )
    assert response.status_code == 200
    confirm = response.context["confirm_form"]
    assert confirm is not None, response.context["result"].invalid_rows
    assert set(Enrolment.objects.values_list("state", flat=True)) == {"approved"}
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            reverse("admin:courses_enrolment_process_import"),
            {**confirm.initial, "resource": "0"},
            follow=True,
        )
    assert done.status_code == 200
    assert sorted(Enrolment.objects.values_list("state", flat=True)) == ["completed", "not_completed"]
    assert len(enqueued) == 1


def test_a_report_with_errors_offers_no_confirm_step(client, carol, approved):
    client.force_login(carol)
    upload = SimpleUploadedFile(
        "grades.csv", (HEADER + "999999,CHUO-GYOSEI,修了,,,\n").encode(), content_type="text/csv"
    )
    response = client.post(
        reverse("admin:courses_enrolment_import"), {"import_file": upload, "format": "0", "resource": "0"}
    )
    assert response.context.get("confirm_form") is None
    assert "職員番号 999999 の講座 CHUO-GYOSEI への受講決定済みの申込がありません" in response.content.decode()


def test_the_grade_report_sheet_exports_approved_enrolments_with_a_blank_result(approved):
    dataset: tablib.Dataset = GradeReportResource().export()
    assert dataset.headers == ["職員番号", "科目コード", "結果", "成績", "修了日", "備考"]
    assert sorted(row[0] for row in dataset) == ["100001", "100004"]
    assert {row[2] for row in dataset} == {""}


# --- The preview HR reads (issue 13): Japanese, spreadsheet lines, reasons in the table -----

ONE_BAD = (
    HEADER
    + "100001,CHUO-GYOSEI,修了,優,2026-03-10,\n"  # line 2
    + "999999,CHUO-GYOSEI,修了,,,\n"  # line 3: nobody with this number is enrolled
    + "100004,CHUO-GYOSEI,不合格,,,試験欠席\n"  # line 4
)


def _preview(client, text: str, *, encoding: str = "utf-8"):  # type: ignore[no-untyped-def]
    upload = SimpleUploadedFile("grades.csv", text.encode(encoding), content_type="text/csv")
    return client.post(
        reverse("admin:courses_enrolment_import"), {"import_file": upload, "format": "0", "resource": "0"}
    )


def _lines(html: str) -> dict[int, str]:
    """The preview table's rows by their line number, as the text a person reads in each."""
    rows = re.findall(r'<tr class="grade-line[^"]*" data-line="(\d+)">(.*?)</tr>', html, flags=re.S)
    return {int(line): re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip() for line, body in rows}


def test_the_preview_of_a_file_with_an_error_is_japanese_numbered_as_the_spreadsheet_with_the_reason_in_the_table(
    client, carol, approved
):
    client.force_login(carol)
    response = _preview(client, ONE_BAD, encoding="cp932")
    html = response.content.decode()
    assert response.context.get("confirm_form") is None
    # Not the package's English screens.
    for english in ("Some rows failed", "Import finished", "Non field specific", "validation-error-count"):
        assert english not in html
    assert "<th>employee_number</th>" not in html and "EMPLOYEE_NUMBER" not in html
    assert '<th scope="col">職員番号</th>' in html
    # The upload form names the columns as the university's sheet does.
    assert (
        "<code>職員番号, 科目コード, 結果, 成績, 修了日, 備考, 修了日の理由</code>" in html
        and "employee_number" not in html
    )
    # One table row per line of the file, numbered as the spreadsheet: the header is line 1.
    lines = _lines(html)
    assert sorted(lines) == [2, 3, 4]
    assert "999999" in lines[3] and "エラー" in lines[3]
    # The reason is written in the row itself, not behind a hover.
    assert "職員番号 999999 の講座 CHUO-GYOSEI への受講決定済みの申込がありません" in lines[3]
    assert "山田 花子" in lines[2] and "受講決定 → 修了" in lines[2]
    assert "受講決定 → 未修了" in lines[4]
    assert "新規 0 件、更新 2 件、エラー 1 件" in html
    assert set(Enrolment.objects.values_list("state", flat=True)) == {"approved"}


def test_a_good_preview_shows_each_change_in_words_and_the_confirmation_says_what_was_imported_in_japanese(
    client, carol, approved, enqueued, django_capture_on_commit_callbacks
):
    client.force_login(carol)
    response = _preview(client, REPORT)
    html = response.content.decode()
    confirm = response.context["confirm_form"]
    assert confirm is not None
    lines = _lines(html)
    assert sorted(lines) == [2, 3]
    assert "受講決定 → 修了" in lines[2] and "成績：優" in lines[2] and "修了日：2026年3月10日" in lines[2]
    assert "受講決定 → 未修了" in lines[3] and "備考：試験欠席" in lines[3]
    assert "新規 0 件、更新 2 件、エラー 0 件" in html
    assert 'name="discard"' in html
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            reverse("admin:courses_enrolment_process_import"), {**confirm.initial, "resource": "0"}, follow=True
        )
    page = done.content.decode()
    assert "Import finished" not in page
    assert "成績を取り込みました（新規 0 件、更新 2 件、変更なし 0 件）。" in page
    assert sorted(Enrolment.objects.values_list("state", flat=True)) == ["completed", "not_completed"]


def test_a_re_imported_report_counts_its_lines_as_unchanged(client, carol, approved, enqueued):
    _import(REPORT, carol, dry_run=False)
    client.force_login(carol)
    html = _preview(client, REPORT).content.decode()
    assert "新規 0 件、更新 0 件、エラー 0 件（変更なし 2 件）" in html
    assert all("変更なし" in text for text in _lines(html).values())


def test_the_completion_date_rule_gives_its_japanese_reason_on_the_line_it_concerns(client, carol, approved):
    future = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    report = HEADER + f"100001,CHUO-GYOSEI,修了,優,2026-02-01,\n100004,CHUO-GYOSEI,修了,良,{future},\n"
    client.force_login(carol)
    response = _preview(client, report)
    lines = _lines(response.content.decode())
    assert response.context.get("confirm_form") is None
    assert "修了日 2026年2月1日 は講座の開始日（2026年3月1日）より前です" in lines[2]
    assert "修了日に未来の日付は指定できません。" in lines[3]
    assert set(Enrolment.objects.values_list("state", flat=True)) == {"approved"}


def test_the_result_numbers_its_lines_as_the_spreadsheet_and_lists_each_failing_lines_reasons(approved, carol):
    report = REPORT + "100001,NO-SUCH-COURSE,maybe,,31/31/2026,\n"
    result = _import(report, carol, dry_run=True)
    assert [(row.line, row.import_type) for row in result.lines] == [(2, "update"), (3, "update"), (4, "invalid")]
    assert (result.count_new, result.count_updated, result.count_unchanged, result.count_failed) == (0, 2, 0, 1)
    bad = result.lines[2]
    assert (bad.employee_number, bad.course) == ("100001", "NO-SUCH-COURSE")
    assert len(bad.reasons) == 1 and "NO-SUCH-COURSE" in bad.reasons[0]
    # A line that matches but is wrong in two ways lists both reasons.
    two = _import(HEADER + "100001,CHUO-GYOSEI,maybe,,31/31/2026,\n", carol, dry_run=True).lines[0]
    assert two.line == 2 and len(two.reasons) == 2


def test_a_confirmation_that_no_longer_passes_imports_nothing_and_shows_why_on_its_line(client, carol, approved):
    client.force_login(carol)
    confirm = _preview(client, REPORT).context["confirm_form"]
    Enrolment.objects.filter(pk=approved[1].pk).update(state="requested")  # between preview and confirm
    done = client.post(
        reverse("admin:courses_enrolment_process_import"), {**confirm.initial, "resource": "0"}, follow=True
    )
    html = done.content.decode()
    assert "Import finished" not in html and "成績を取り込みました" not in html
    assert "何も取り込んでいません" in html
    assert "職員番号 100004 の講座 CHUO-GYOSEI への受講決定済みの申込がありません" in _lines(html)[3]
    assert Enrolment.objects.get(pk=approved[0].pk).state == "approved"
