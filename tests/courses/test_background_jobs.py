"""HR's bulk completion of many enrolments runs as a background job (staff/jobs.py,
courses/jobs.py): the request answers with the job's page, a worker does the work chunk by
chunk, the page shows the progress and then the result, and a second click finds the job
already running instead of starting another."""

from __future__ import annotations

import threading

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import close_old_connections, connection
from django.urls import reverse
from django.utils import timezone

from courses import jobs as course_jobs
from courses.jobs import BULK_COMPLETE, bulk_complete_job_start, bulk_complete_run
from courses.models import Enrolment
from staff.jobs import job_run, jobs_requeue_stale
from staff.models import BackgroundJob
from tests.factories import make_enrolment, make_staff, make_started_course, today
from tests.test_faults_broker import private_redis  # noqa: F401 - the fixture

CHANGELIST = "admin:courses_enrolment_changelist"


@pytest.fixture
def hr_client(client, carol):  # type: ignore[no-untyped-def]
    client.force_login(carol)
    return client


@pytest.fixture
def in_background(settings):  # type: ignore[no-untyped-def]
    """Selections of three or more go to the background (the default is 200)."""
    settings.PORTAL_BACKGROUND_FROM = 3


def _mark_completed(client, enrolments, **extra):  # type: ignore[no-untyped-def]
    data = {
        "action": "mark_completed",
        ACTION_CHECKBOX_NAME: [e.pk for e in enrolments],
        "apply": "1",
        "completed_on": today().isoformat(),
        "grade": "修了",
        "result_note": "",
        **extra,
    }
    return client.post(reverse(CHANGELIST), data)


def _approved(count: int) -> list[Enrolment]:
    course = make_started_course(capacity=count + 10)
    return [make_enrolment(staff=make_staff(), course=course, state="approved") for _ in range(count)]


def _start(actor, enrolments, **fields):  # type: ignore[no-untyped-def]
    values = {"completed_on": None, "grade": "", "result_note": "", "date_reason": "", **fields}
    return bulk_complete_job_start(enrolment_ids=[e.pk for e in enrolments], actor=actor, **values)


@pytest.mark.django_db
def test_marking_many_completed_answers_with_the_job_page_and_a_worker_completes_them(
    hr_client, in_background, django_capture_on_commit_callbacks
):
    enrolments = _approved(5)
    with django_capture_on_commit_callbacks() as queued:
        response = _mark_completed(hr_client, enrolments)
    job = BackgroundJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:staff_backgroundjob_change", args=[job.pk])
    assert len(queued) == 1  # the task is queued after the commit
    # Nothing is done in the request: the job waits for a worker.
    assert (job.kind, job.state, job.total, job.done_count) == (BULK_COMPLETE, "queued", 5, 0)
    assert not Enrolment.objects.filter(state="completed").exists()
    page = hr_client.get(response["Location"]).content.decode()
    assert '<progress max="5" value="0"' in page and 'http-equiv="refresh"' in page

    assert job_run(job_id=job.pk) == "done"  # what the worker's task does

    job.refresh_from_db()
    assert (job.state, job.done_count) == ("done", 5)
    assert job.started_at is not None and job.finished_at is not None
    assert job.result == {"counts": {"done": 5, "waitlisted": 0, "unchanged": 0, "errors": 0}, "errors": []}
    assert Enrolment.objects.filter(state="completed", grade="修了").count() == 5
    page = hr_client.get(response["Location"]).content.decode()
    assert "<progress" not in page and 'http-equiv="refresh"' not in page
    assert 'data-job-state="done"' in page
    # HR comes back later: the list of recent jobs has it.
    listing = hr_client.get(reverse("admin:staff_backgroundjob_changelist")).content.decode()
    assert reverse("admin:staff_backgroundjob_change", args=[job.pk]) in listing
    status = hr_client.get(reverse("admin:staff_backgroundjob_status", args=[job.pk])).json()
    assert status == {"state": "done", "done": 5, "total": 5, "active": False}


@pytest.mark.django_db
def test_a_small_selection_is_still_done_in_the_request(hr_client, settings):
    settings.PORTAL_BACKGROUND_FROM = 200
    enrolments = _approved(2)
    response = _mark_completed(hr_client, enrolments)
    assert response.status_code == 302
    assert response["Location"] == reverse(CHANGELIST)
    assert not BackgroundJob.objects.exists()
    assert Enrolment.objects.filter(state="completed").count() == 2


@pytest.mark.django_db
def test_the_job_reports_its_progress_after_each_chunk(carol, monkeypatch):
    monkeypatch.setattr(course_jobs, "COMPLETE_CHUNK", 2)  # five enrolments: chunks of 2, 2, 1
    enrolments = _approved(5)
    job, _created = bulk_complete_job_start(
        enrolment_ids=[e.pk for e in enrolments],
        actor=carol,
        completed_on=today(),
        grade="A",
        result_note="",
        date_reason="",
    )
    seen: list[tuple[int, int]] = []

    def progress(done: int) -> None:
        seen.append((done, Enrolment.objects.filter(state="completed").count()))

    result = bulk_complete_run(job, progress)
    # After each chunk: how many are handled, and they are already saved.
    assert seen == [(0, 0), (2, 2), (4, 4), (5, 5)]
    assert result["counts"]["done"] == 5


@pytest.mark.django_db
def test_while_it_runs_the_job_page_shows_how_far_it_has_got(hr_client, carol, monkeypatch):
    monkeypatch.setattr(course_jobs, "COMPLETE_CHUNK", 2)
    enrolments = _approved(4)
    job, _created = bulk_complete_job_start(
        enrolment_ids=[e.pk for e in enrolments],
        actor=carol,
        completed_on=today(),
        grade="",
        result_note="",
        date_reason="",
    )
    pages: list[str] = []
    original = course_jobs.enrolments_bulk_complete

    def and_look(**kwargs):  # type: ignore[no-untyped-def]
        # HR looks at the page while the worker is between chunks.
        pages.append(hr_client.get(reverse("admin:staff_backgroundjob_change", args=[job.pk])).content.decode())
        return original(**kwargs)

    monkeypatch.setattr(course_jobs, "enrolments_bulk_complete", and_look)
    job_run(job_id=job.pk)
    assert '<progress max="4" value="0"' in pages[0] and 'data-job-state="running"' in pages[0]
    assert '<progress max="4" value="2"' in pages[1]


@pytest.mark.django_db
def test_a_second_click_on_the_same_selection_goes_to_the_running_job(hr_client, in_background):
    enrolments = _approved(4)
    first = _mark_completed(hr_client, enrolments)
    second = _mark_completed(hr_client, list(reversed(enrolments)), grade="別の評価")
    assert BackgroundJob.objects.count() == 1
    assert second["Location"] == first["Location"]
    # Another selection is another job.
    other = _mark_completed(hr_client, enrolments[:3])
    assert BackgroundJob.objects.count() == 2 and other["Location"] != first["Location"]
    # Once the first has ended, the same selection may be run again (e.g. with a corrected grade).
    job_run(job_id=BackgroundJob.objects.order_by("pk").first().pk)  # type: ignore[union-attr]
    again = _mark_completed(hr_client, enrolments)
    assert BackgroundJob.objects.count() == 3 and again["Location"] != first["Location"]


@pytest.mark.django_db
def test_enrolments_that_cannot_be_completed_are_listed_in_the_result(hr_client, carol, in_background):
    enrolments = _approved(3)
    refused = make_enrolment(
        staff=make_staff(family_name="拒否"), course=make_started_course(code="FUTURE-1"), state="requested"
    )
    response = _mark_completed(hr_client, [*enrolments, refused])
    assert response.status_code == 302, response.content.decode()[-3000:]
    job = BackgroundJob.objects.get()
    job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == "done"
    assert job.result["counts"] == {"done": 3, "waitlisted": 0, "unchanged": 0, "errors": 1}
    assert len(job.result["errors"]) == 1 and "FUTURE-1" in job.result["errors"][0]
    page = hr_client.get(reverse("admin:staff_backgroundjob_change", args=[job.pk])).content.decode()
    assert "FUTURE-1" in page


@pytest.mark.django_db
def test_a_job_that_fails_is_recorded_as_failed_with_the_reason_and_frees_its_input(carol):
    enrolments = _approved(3)
    job, _created = bulk_complete_job_start(
        enrolment_ids=[e.pk for e in enrolments],
        actor=carol,
        completed_on=None,
        grade="",
        result_note="",
        date_reason="",
    )
    # A date no one can read (written by an older version, say): the runner raises.
    BackgroundJob.objects.filter(pk=job.pk).update(input={**job.input, "completed_on": "令和8年"})
    assert job_run(job_id=job.pk) == "failed"
    job.refresh_from_db()
    assert job.state == "failed" and job.finished_at is not None
    assert "ValueError" in job.result["errors"][0]
    assert not Enrolment.objects.filter(state="completed").exists()
    # Failed is not running: the same selection can be started again.
    again, created = bulk_complete_job_start(
        enrolment_ids=[e.pk for e in enrolments],
        actor=carol,
        completed_on=None,
        grade="",
        result_note="",
        date_reason="",
    )
    assert created and again.pk != job.pk


@pytest.mark.django_db
def test_a_job_runs_once_even_when_its_message_is_delivered_twice(carol):
    enrolments = _approved(3)
    job, _created = bulk_complete_job_start(
        enrolment_ids=[e.pk for e in enrolments],
        actor=carol,
        completed_on=None,
        grade="",
        result_note="",
        date_reason="",
    )
    assert job_run(job_id=job.pk) == "done"
    assert job_run(job_id=job.pk) == "not-queued"
    job.refresh_from_db()
    assert job.attempts == 1


@pytest.mark.django_db
def test_the_sweep_queues_jobs_left_waiting_and_those_whose_worker_died(
    carol, private_queue, django_capture_on_commit_callbacks
):
    enrolments = _approved(3)
    with django_capture_on_commit_callbacks():  # the request ended without queueing (broker down)
        waiting, _created = bulk_complete_job_start(
            enrolment_ids=[e.pk for e in enrolments],
            actor=carol,
            completed_on=None,
            grade="",
            result_note="",
            date_reason="",
        )
    now = timezone.now()
    minutes, hours = timezone.timedelta(minutes=2), timezone.timedelta(hours=3)
    # Too recent: its message may still be on its way.
    assert jobs_requeue_stale(older_than=minutes, now=now, running_for=hours) == 0
    # Later, the sweep queues it (on this test's own queue of the real broker).
    assert jobs_requeue_stale(older_than=minutes, now=now + timezone.timedelta(minutes=3), running_for=hours) == 1
    # A job "running" for hours (its worker was killed) is put back in the queue.
    BackgroundJob.objects.filter(pk=waiting.pk).update(state="running", started_at=now)
    assert jobs_requeue_stale(older_than=minutes, now=now + timezone.timedelta(hours=1), running_for=hours) == 0
    assert jobs_requeue_stale(older_than=minutes, now=now + timezone.timedelta(hours=4), running_for=hours) == 1
    assert BackgroundJob.objects.get(pk=waiting.pk).state == "queued"
    assert job_run(job_id=waiting.pk) == "done"
    assert Enrolment.objects.filter(state="completed").count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_clicks_at_the_same_moment_start_one_job(carol):
    enrolments = _approved(20)
    ids = [e.pk for e in enrolments]
    barrier = threading.Barrier(2)
    got: list[tuple[int, bool]] = []
    errors: list[BaseException] = []

    def click() -> None:
        try:
            barrier.wait(timeout=10)
            from django.db import transaction

            with transaction.atomic():  # as the admin's request does
                job, created = bulk_complete_job_start(
                    enrolment_ids=ids, actor=carol, completed_on=None, grade="", result_note="", date_reason=""
                )
                got.append((job.pk, created))
        except BaseException as exc:  # pragma: no cover - would be a bug
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    close_old_connections()
    assert errors == []
    assert BackgroundJob.objects.count() == 1
    assert {pk for pk, _created in got} == {BackgroundJob.objects.get().pk}
    assert sorted(created for _pk, created in got) == [False, True]


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_job_started_while_the_broker_is_down_is_run_by_a_real_worker_after_the_sweep(
    client,
    carol,
    settings,
    private_redis,  # noqa: F811 - the fixture imported above
    tmp_path,
):
    from hachioji_portal import queueing
    from tests.test_faults_broker import _queue
    from tests.worker import running_worker, wait_for

    settings.PORTAL_BACKGROUND_FROM = 100
    enrolments = _approved(300)
    client.force_login(carol)
    # Redis is down (not started yet): HR's click still answers with the job's page.
    response = _mark_completed(client, enrolments)
    job = BackgroundJob.objects.get()
    assert response["Location"] == reverse("admin:staff_backgroundjob_change", args=[job.pk])
    assert queueing.broker_marked_down()
    assert job.state == "queued"

    private_redis.start()
    with running_worker(tmp_path, REDIS_URL=private_redis.url, CELERY_QUEUE=_queue()):
        queueing.reset()
        assert (
            jobs_requeue_stale(
                older_than=timezone.timedelta(0), now=timezone.now(), running_for=timezone.timedelta(hours=3)
            )
            == 1
        )
        assert wait_for(lambda: BackgroundJob.objects.get(pk=job.pk).state == "done", timeout=240)
    job.refresh_from_db()
    assert (job.done_count, job.total, job.attempts) == (300, 300, 1)
    assert job.result["counts"] == {"done": 300, "waitlisted": 0, "unchanged": 0, "errors": 0}
    assert Enrolment.objects.filter(state="completed").count() == 300
