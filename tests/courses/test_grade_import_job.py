"""A large grade report's confirmation runs as a background job (courses/jobs.py), like the
roster's: HR gets the job's page at once, a worker imports the report (all or nothing, each
line through the completion services), the job page shows the result, a second click goes to
the running job, and HR's 「最近行った操作」 lists what the import did."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from badges.models import Award
from courses import jobs as course_jobs
from courses.jobs import GRADE_IMPORT, grade_import_run
from courses.models import Enrolment
from staff.jobs import job_run
from staff.models import BackgroundJob
from tests.factories import make_badge_class, make_enrolment, make_staff, make_started_course

pytestmark = pytest.mark.django_db

CONFIRM_URL = reverse("admin:courses_enrolment_process_import")
HEADER = "職員番号,科目コード,結果,成績,修了日,備考\n"
DAY = dt.date(2026, 3, 10)


def _ja(message: str) -> str:
    with translation.override("ja"):
        return gettext(message)


COMPLETED = _ja("Marked completed (grade report import)")
NOT_COMPLETED = _ja("Marked not completed (grade report import)")


@pytest.fixture
def hr_client(client, carol):  # type: ignore[no-untyped-def]
    client.force_login(carol)
    return client


@pytest.fixture(autouse=True)
def in_background(settings):  # type: ignore[no-untyped-def]
    settings.PORTAL_BACKGROUND_FROM = 3  # reports of three lines or more (the default is 200)


@pytest.fixture
def five():  # type: ignore[no-untyped-def]
    """Five approved enrolments in one course with a badge, under way since March."""
    course = make_started_course(code="CHUO-MINPO", badge_class=make_badge_class(), starts_on=dt.date(2026, 3, 1))
    people = [make_staff(family_name="受講", given_name=f"者{i}") for i in range(5)]
    return [make_enrolment(staff=p, course=course, state="approved") for p in people]


def _report(enrolments, *, not_completed: int = 0) -> bytes:  # type: ignore[no-untyped-def]
    lines = [
        f"{e.staff.employee_number},{e.course.code},{'未修了' if i < not_completed else '修了'},優,{DAY},"
        for i, e in enumerate(enrolments)
    ]
    return (HEADER + "\n".join(lines) + "\n").encode("cp932")


def _confirm_data(client, data: bytes) -> dict[str, str]:  # type: ignore[no-untyped-def]
    upload = SimpleUploadedFile("seiseki.csv", data, content_type="text/csv")
    preview = client.post(reverse("admin:courses_enrolment_import"), {"import_file": upload, "format": "0"})
    form = preview.context["confirm_form"]
    assert form is not None, preview.content.decode()[-2000:]
    return {**{name: form.initial.get(name, "") for name in form.fields}, "resource": "0"}


def test_confirming_a_large_grade_report_answers_with_the_job_page_and_a_worker_imports_it(
    hr_client, carol, five, enqueued, django_capture_on_commit_callbacks
):
    data = _confirm_data(hr_client, _report(five, not_completed=1))
    with django_capture_on_commit_callbacks() as queued:
        response = hr_client.post(CONFIRM_URL, data)
    job = BackgroundJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:staff_backgroundjob_change", args=[job.pk])
    assert len(queued) == 1  # the job's task, after the commit
    assert (job.kind, job.state, job.total, job.started_by) == (GRADE_IMPORT, "queued", 5, carol)
    # Nothing is done in HR's request.
    assert set(Enrolment.objects.values_list("state", flat=True)) == {"approved"}
    page = hr_client.get(response["Location"]).content.decode()
    assert '<progress max="5" value="0"' in page and "成績報告の取込み" in page

    with django_capture_on_commit_callbacks(execute=True):
        assert job_run(job_id=job.pk) == "done"

    job.refresh_from_db()
    assert job.result == {"counts": {"completed": 4, "not_completed": 1, "unchanged": 0}, "errors": []}
    assert sorted(Enrolment.objects.values_list("state", flat=True)) == ["completed"] * 4 + ["not_completed"]
    assert Enrolment.objects.filter(state="completed", grade="優", completed_on=DAY).count() == 4
    assert Award.objects.count() == 4 and len(enqueued) == 4
    page = hr_client.get(response["Location"]).content.decode()
    assert 'data-job-state="done"' in page and "<progress" not in page
    # The upload is not kept once imported (it holds grades).
    assert cache.get(f"background-job-upload:{job.input['upload']}") is None


def test_the_job_records_hrs_actions_so_the_admin_index_lists_them(hr_client, carol, five, enqueued):
    index = hr_client.get(reverse("admin:index")).content.decode()
    assert "利用不可" in index  # nothing done yet
    hr_client.post(CONFIRM_URL, _confirm_data(hr_client, _report(five, not_completed=2)))
    job_run(job_id=BackgroundJob.objects.get().pk)

    entries = LogEntry.objects.filter(user=carol)
    assert entries.count() == 5 and {e.action_flag for e in entries} == {CHANGE}
    assert {int(e.object_id) for e in entries} == {e.pk for e in five}
    # In the language of the officer who started it (Japanese once the catalogue has the
    # pending translations: 「修了を記録（成績報告の取込み）」).
    assert sorted(e.get_change_message() for e in entries) == [COMPLETED] * 3 + [NOT_COMPLETED] * 2
    index = hr_client.get(reverse("admin:index")).content.decode()
    assert "利用不可" not in index
    recent = index[index.index('id="recent-actions-module"') :]
    assert str(five[0]) in recent


def test_a_small_report_is_still_imported_in_the_request_and_logged_in_words(
    hr_client, carol, five, settings, enqueued
):
    settings.PORTAL_BACKGROUND_FROM = 200
    response = hr_client.post(CONFIRM_URL, _confirm_data(hr_client, _report(five[:2])))
    assert response.status_code == 302 and response["Location"] == reverse("admin:courses_enrolment_changelist")
    assert not BackgroundJob.objects.exists()
    assert Enrolment.objects.filter(state="completed").count() == 2
    messages = [e.get_change_message() for e in LogEntry.objects.filter(user=carol)]
    assert messages == [COMPLETED] * 2  # not import-export's 「インポート／エクスポートによるupdate」


def test_a_second_click_or_the_same_report_again_goes_to_the_running_job(hr_client, five):
    data = _confirm_data(hr_client, _report(five))
    first = hr_client.post(CONFIRM_URL, data)
    second = hr_client.post(CONFIRM_URL, data)  # the same form, clicked twice
    assert second["Location"] == first["Location"]
    # HR uploads the same report again and confirms it while the first still waits.
    third = hr_client.post(CONFIRM_URL, _confirm_data(hr_client, _report(five)))
    assert third["Location"] == first["Location"]
    assert BackgroundJob.objects.count() == 1
    # Another report is another job.
    other = hr_client.post(CONFIRM_URL, _confirm_data(hr_client, _report(five, not_completed=1)))
    assert other["Location"] != first["Location"] and BackgroundJob.objects.count() == 2


def test_a_job_run_twice_changes_nothing_twice_and_requests_no_second_badge(
    hr_client, five, enqueued, django_capture_on_commit_callbacks
):
    """A worker that dies after the import committed: the sweep queues the job again."""
    hr_client.post(CONFIRM_URL, _confirm_data(hr_client, _report(five)))
    job = BackgroundJob.objects.get()
    data = cache.get(f"background-job-upload:{job.input['upload']}")
    with django_capture_on_commit_callbacks(execute=True):
        first = grade_import_run(job, lambda done: None)
    cache.set(f"background-job-upload:{job.input['upload']}", data)  # still there on the rerun
    with django_capture_on_commit_callbacks(execute=True):
        again = grade_import_run(job, lambda done: None)
    assert first["counts"] == {"completed": 5, "not_completed": 0, "unchanged": 0}
    assert again["counts"] == {"completed": 0, "not_completed": 0, "unchanged": 5}
    assert Award.objects.count() == 5 and len(enqueued) == 5
    assert sum(e.events.filter(to_state="completed").count() for e in five) == 5


def test_the_grade_job_reports_its_progress_every_few_lines(hr_client, five, monkeypatch):
    monkeypatch.setattr(course_jobs, "PROGRESS_EVERY", 2)
    hr_client.post(CONFIRM_URL, _confirm_data(hr_client, _report(five)))
    seen: list[int] = []
    grade_import_run(BackgroundJob.objects.get(), seen.append)
    assert seen == [2, 4]


def test_a_line_that_no_longer_passes_imports_nothing_and_the_job_says_which_line(hr_client, five):
    hr_client.post(CONFIRM_URL, _confirm_data(hr_client, _report(five)))
    # Meanwhile the person on the report's line 4 withdraws (written directly, as set-up).
    Enrolment.objects.filter(pk=five[2].pk).update(state="withdrawn")
    job = BackgroundJob.objects.get()

    assert job_run(job_id=job.pk) == "failed"

    job.refresh_from_db()
    errors = job.result["errors"]
    assert errors[0].startswith("何も取り込んでいません。")
    assert any(e.startswith("4 行目:") and five[2].staff.employee_number in e for e in errors[1:]), errors
    assert set(Enrolment.objects.exclude(pk=five[2].pk).values_list("state", flat=True)) == {"approved"}
    assert not Award.objects.exists()
    page = hr_client.get(reverse("admin:staff_backgroundjob_change", args=[job.pk])).content.decode()
    assert "4 行目" in page


def test_a_completion_date_before_the_course_starts_stops_the_job_with_the_japanese_reason(hr_client, five):
    hr_client.post(CONFIRM_URL, _confirm_data(hr_client, _report(five)))
    # The course is moved later after the preview: the report's date is now before its start.
    five[0].course.__class__.objects.filter(pk=five[0].course_id).update(starts_on=DAY + dt.timedelta(days=1))
    job = BackgroundJob.objects.get()
    assert job_run(job_id=job.pk) == "failed"
    job.refresh_from_db()
    assert any("講座の開始日" in e for e in job.result["errors"]), job.result["errors"]
    assert set(Enrolment.objects.values_list("state", flat=True)) == {"approved"}
