from __future__ import annotations

import datetime as dt

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from badges.models import Award
from courses.models import Enrolment
from courses.resources import GradeReportResource
from staff.formats import RosterCSV
from tests.courses.factories import make_badge_class, make_enrolment, make_started_course

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


def test_a_dry_run_reports_what_would_change_and_changes_nothing(approved, carol, award_enqueued):
    result = _import(REPORT, carol, dry_run=True)
    assert not result.has_errors() and not result.has_validation_errors()
    assert [row.import_type for row in result.rows] == ["update", "update"]
    assert set(Enrolment.objects.values_list("state", flat=True)) == {"approved"}
    assert not Award.objects.exists()
    assert award_enqueued == []


def test_the_import_completes_and_requests_one_award(
    approved, carol, award_enqueued, django_capture_on_commit_callbacks
):
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
    assert len(award_enqueued) == 1
    assert alice_enrolment.events.last().actor == carol


def test_re_importing_the_same_report_changes_nothing_and_requests_no_second_award(
    approved, carol, award_enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _import(REPORT, carol, dry_run=False)
    events = sum(e.events.count() for e in Enrolment.objects.all())
    with django_capture_on_commit_callbacks(execute=True):
        result = _import(REPORT, carol, dry_run=False)
    assert [row.import_type for row in result.rows] == ["skip", "skip"]
    assert sum(e.events.count() for e in Enrolment.objects.all()) == events
    assert Award.objects.count() == 1
    assert len(award_enqueued) == 1


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
    client, carol, approved, award_enqueued, django_capture_on_commit_callbacks
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
    assert len(award_enqueued) == 1


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
    assert dataset.headers == ["employee_number", "course_code", "result", "grade", "completed_on", "note"]
    assert sorted(row[0] for row in dataset) == ["100001", "100004"]
    assert {row[2] for row in dataset} == {""}
