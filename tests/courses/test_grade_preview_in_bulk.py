"""The grade report's preview (the dry run) checks its lines in bulk (issue 13): a few queries
whatever the file's length, and the same lines, results and Japanese reasons as running the
services on each line inside a rolled-back transaction (the way it worked before)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courses.models import Enrolment
from courses.resources import GradeReportResource
from staff.formats import RosterCSV
from staff.models import StaffMember
from tests.factories import make_badge_class, make_enrolment, make_staff, make_started_course

pytestmark = pytest.mark.django_db

HEADER = "職員番号,科目コード,結果,成績,修了日,備考,修了日の理由\n"


class ServicesPerLine(GradeReportResource):
    """The dry run as it was: every line through the services, rolled back at the end."""

    checks_in_bulk = False


@pytest.fixture
def course():  # type: ignore[no-untyped-def]
    return make_started_course(code="CHUO-GYOSEI", badge_class=make_badge_class(), starts_on=dt.date(2026, 3, 1))


def _people(course, count: int):  # type: ignore[no-untyped-def]
    people = [make_staff(employee_number=f"7{i:05d}", family_name="試験", given_name=f"{i}") for i in range(count)]
    for person in people:
        make_enrolment(staff=person, course=course, state="approved")
    return people


def _dry_run(resource_class, text: str, actor):  # type: ignore[no-untyped-def]
    dataset = RosterCSV().create_dataset(text.encode("cp932"))
    return resource_class(actor=actor).import_data(dataset, dry_run=True, use_transactions=True)


def _seen(result) -> list[tuple]:  # type: ignore[no-untyped-def]
    """Each line as the preview shows it."""
    return [
        (row.line, row.import_type, row.employee_number, row.name, row.course, row.change, row.details, row.reasons)
        for row in result.lines
    ]


def test_the_preview_in_bulk_shows_what_running_the_services_on_each_line_shows(course, carol, alice, dave, bob):  # type: ignore[no-untyped-def]
    later = make_started_course(code="CHUO-KENPO", starts_on=dt.date(2026, 3, 1))
    make_enrolment(staff=alice, course=course, state="approved")
    make_enrolment(staff=dave, course=course, state="completed", grade="良", completed_on=dt.date(2026, 3, 20))
    make_enrolment(staff=bob, course=course, state="not_completed")
    make_enrolment(staff=alice, course=later, state="approved")
    make_enrolment(staff=dave, course=later, state="approved")
    future = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    report = HEADER + "".join(
        f"{line}\n"
        for line in (
            "100001,CHUO-GYOSEI,修了,優,2026-03-10,,",  # approved → completed
            "100001,chuo-gyosei,修了,優,2026-03-10,,",  # the same again: unchanged after line 2
            "100001,CHUO-GYOSEI,未修了,,,欠席,",  # completed by line 2: refused
            "100004,CHUO-GYOSEI,修了,良,2026-03-20,,",  # as recorded: unchanged
            "100004,CHUO-GYOSEI,修了,優,2026-03-20,,",  # grade corrected
            "100004,CHUO-GYOSEI,修了,優,2026-02-01,,",  # date moved before the start, no reason
            "100004,CHUO-GYOSEI,修了,優,2026-02-01,,講座の日程変更",  # with the reason
            "100002,CHUO-GYOSEI,未修了,,,",  # not completed already: unchanged
            "100002,CHUO-GYOSEI,合格,可,2026-03-15,遅れて合格,",  # not completed → completed
            "100002,CHUO-GYOSEI,未修了,,,",  # completed by the line above: refused
            f"100001,CHUO-KENPO,修了,,{future},,",  # future date
            "100004,CHUO-KENPO,不合格,,,試験欠席,",  # approved → not completed
            "100004,CHUO-KENPO,修了,良,2026-02-01,,前年度に同等科目を修了",  # then completed before the start
            "999999,CHUO-GYOSEI,修了,,,,",  # nobody
            "100001,NO-SUCH,maybe,,31/31/2026,,",  # no enrolment
            "100001,CHUO-KENPO,maybe,,31/31/2026,,",  # two reasons
            ",CHUO-KENPO,修了,,,,",  # no number
        )
    )
    in_bulk = _dry_run(GradeReportResource, report, carol)
    per_line = _dry_run(ServicesPerLine, report, carol)
    assert _seen(in_bulk) == _seen(per_line)
    # The file exercises each rule (a comparison of two empty previews would prove nothing).
    kinds = [row.import_type for row in in_bulk.lines]
    assert kinds.count("update") == 6 and kinds.count("skip") == 3 and kinds.count("invalid") == 8
    reasons = " ".join(" ".join(row.reasons) for row in in_bulk.lines)
    assert "未修了として記録できるのは受講決定済みの申込だけです。この申込は「修了」です。" in reasons
    assert "修了日の理由" in reasons and "未来" in reasons
    assert set(Enrolment.objects.filter(course=later).values_list("state", flat=True)) == {"approved"}


def test_someone_who_is_not_hr_gets_the_services_refusal_on_each_line_in_the_preview_too(course, alice, dave):  # type: ignore[no-untyped-def]
    report = HEADER + "100001,CHUO-GYOSEI,修了,優,2026-03-10,,\n100004,CHUO-GYOSEI,未修了,,,,\n"
    make_enrolment(staff=alice, course=course, state="approved")
    make_enrolment(staff=dave, course=course, state="approved")
    in_bulk = _dry_run(GradeReportResource, report, alice)
    assert _seen(in_bulk) == _seen(_dry_run(ServicesPerLine, report, alice))
    assert [row.import_type for row in in_bulk.lines] == ["invalid", "invalid"]


def _report(people) -> str:  # type: ignore[no-untyped-def]
    return HEADER + "".join(
        f"{p.employee_number},CHUO-GYOSEI,{'未修了' if i % 3 else '修了'},優,2026-03-10,,\n"
        for i, p in enumerate(people)
    )


def _data_queries(queries: CaptureQueriesContext) -> int:
    # The session, the user, the admin log... and a savepoint or two: count what reads data.
    return sum(1 for q in queries.captured_queries if "SAVEPOINT" not in q["sql"])


def _queries(text: str, actor) -> int:  # type: ignore[no-untyped-def]
    actor = StaffMember.objects.get(pk=actor.pk)  # its roles not yet read
    with CaptureQueriesContext(connection) as queries:
        result = _dry_run(GradeReportResource, text, actor)
    assert result.count_updated == text.count("\n") - 1  # every line checked, none failed
    return _data_queries(queries)


def test_the_preview_reads_a_few_queries_whatever_the_number_of_lines(course, carol, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    people = _people(course, 40)
    few = _queries(_report(people[:3]), carol)
    many = _queries(_report(people), carol)
    # The actor's roles and the file's enrolments. Before: a dozen queries per line (the
    # services' locks, events, outbox) in the rolled-back transaction.
    assert many == few <= 2
    # And no savepoint around each line (import-export's, two statements a line): nothing is written.
    with django_assert_max_num_queries(6):
        _dry_run(GradeReportResource, _report(people), carol)


def test_the_admin_preview_page_makes_as_many_queries_for_40_lines_as_for_3(client, course, carol):  # type: ignore[no-untyped-def]
    people = _people(course, 40)
    client.force_login(carol)

    def preview(text: str) -> int:
        upload = SimpleUploadedFile("grades.csv", text.encode("cp932"), content_type="text/csv")
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                reverse("admin:courses_enrolment_import"), {"import_file": upload, "format": "0", "resource": "0"}
            )
        assert response.status_code == 200 and response.context["confirm_form"] is not None
        return _data_queries(queries)

    assert preview(_report(people)) == preview(_report(people[:3]))
