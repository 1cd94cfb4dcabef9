"""HR marks many enrolments completed at once: set-based, chunked, and the same outcome as one
by one (one award per completion, one history row and one email each, nothing twice)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from badges.models import Award
from badges.services import awards_enqueue_many as real_awards_enqueue_many
from courses import services
from courses.models import Enrolment, EnrolmentEvent
from courses.services import enrolments_bulk_complete
from staff.models import OutgoingEmail
from tests.factories import make_badge_class, make_enrolment, make_programme, make_staff, make_started_course, today


def _people(n: int) -> list:  # type: ignore[type-arg]
    return [make_staff(family_name="佐藤", given_name=f"一郎{i}") for i in range(n)]


def test_a_bulk_completion_records_history_awards_and_emails_once_each(
    carol, enqueued, emails_dispatched, django_capture_on_commit_callbacks
):
    course = make_started_course(badge_class=make_badge_class())
    enrolments = [make_enrolment(staff=p, course=course, state="approved") for p in _people(7)]
    with django_capture_on_commit_callbacks(execute=True):
        outcome = enrolments_bulk_complete(
            enrolments=enrolments, actor=carol, completed_on=today(), grade="A", result_note="合格"
        )
    assert len(outcome.done) == 7 and not outcome.errors and not outcome.unchanged
    assert set(Enrolment.objects.values_list("state", "grade", "result_note", "completed_on")) == {
        ("completed", "A", "合格", today())
    }
    assert EnrolmentEvent.objects.filter(to_state="completed", actor=carol).count() == 7
    awards = Award.objects.all()
    assert sorted(a.source_key for a in awards) == sorted(f"enrolment:{e.pk}" for e in enrolments)
    assert sorted(enqueued) == sorted(a.pk for a in awards)
    assert {a.evidence[0]["result"] for a in awards} == {"A"}
    assert OutgoingEmail.objects.filter(template="enrolment-decision").count() == 7
    assert len(mail.outbox) == 7
    assert all(e.state == "completed" for e in enrolments), "the caller's objects see the new state"


def test_marking_the_same_enrolments_completed_again_changes_nothing(
    carol, enqueued, django_capture_on_commit_callbacks
):
    course = make_started_course(badge_class=make_badge_class())
    enrolments = [make_enrolment(staff=p, course=course, state="approved") for p in _people(3)]
    with django_capture_on_commit_callbacks(execute=True):
        enrolments_bulk_complete(enrolments=enrolments, actor=carol, completed_on=today())
    again = list(Enrolment.objects.all())
    with django_capture_on_commit_callbacks(execute=True):
        outcome = enrolments_bulk_complete(enrolments=again, actor=carol, completed_on=today())
    assert len(outcome.unchanged) == 3 and not outcome.done
    assert Award.objects.count() == 3 and len(enqueued) == 3
    assert OutgoingEmail.objects.count() == 3


def test_a_mixed_selection_completes_what_it_can_and_says_why_not_for_the_rest(carol, enqueued):
    course = make_started_course(badge_class=make_badge_class())
    a, b, c, d = _people(4)
    approved = make_enrolment(staff=a, course=course, state="approved")
    requested = make_enrolment(staff=b, course=course, state="requested")
    done_before = make_enrolment(staff=c, course=course, state="approved")
    enrolments_bulk_complete(enrolments=[done_before], actor=carol, completed_on=today())
    done_before.refresh_from_db()
    corrected = make_enrolment(staff=d, course=course, state="not_completed")
    outcome = enrolments_bulk_complete(
        enrolments=[approved, requested, done_before, corrected], actor=carol, completed_on=today(), grade="B"
    )
    assert {e.pk for e in outcome.done} == {approved.pk, done_before.pk, corrected.pk}
    assert [(e.pk, reason) for e, reason in outcome.errors] == [
        (requested.pk, services._refusal(requested, "completed").message)
    ]
    assert Enrolment.objects.get(pk=requested.pk).state == "requested"
    assert Enrolment.objects.get(pk=done_before.pk).grade == "B", "a completed one gets its corrected grade"
    assert Award.objects.count() == 3, "one award per completion, none for the correction"


def test_a_future_completion_date_is_refused_for_every_enrolment(carol):
    enrolments = [make_enrolment(staff=p, course=make_started_course(), state="approved") for p in _people(2)]
    outcome = enrolments_bulk_complete(enrolments=enrolments, actor=carol, completed_on=today() + dt.timedelta(days=1))
    assert [reason for _, reason in outcome.errors] == ["修了日に未来の日付は指定できません。"] * 2
    assert not Enrolment.objects.filter(state="completed").exists()


def test_only_hr_may_complete_in_bulk(alice, bob):
    enrolment = make_enrolment(staff=alice, course=make_started_course(), state="approved")
    with pytest.raises(services.EnrolmentPermissionError):
        enrolments_bulk_complete(enrolments=[enrolment], actor=bob, completed_on=today())
    assert Enrolment.objects.get().state == "approved"


def test_completing_a_programmes_last_course_in_bulk_requests_its_badge_once(
    carol, enqueued, django_capture_on_commit_callbacks
):
    kenpo, gyosei = make_started_course(title="憲法"), make_started_course(title="行政法")
    programme = make_programme(courses=[kenpo, gyosei], badge_class=make_badge_class(name="自治体法務"))
    finished, halfway = _people(2)
    selection = [
        make_enrolment(staff=finished, course=kenpo, state="approved"),
        make_enrolment(staff=finished, course=gyosei, state="approved"),
        make_enrolment(staff=halfway, course=kenpo, state="approved"),
    ]
    make_enrolment(staff=halfway, course=gyosei, state="approved")
    with django_capture_on_commit_callbacks(execute=True):
        enrolments_bulk_complete(enrolments=selection, actor=carol, completed_on=today())
    award = Award.objects.get()
    assert award.source_key == f"programme:{programme.pk}:staff:{finished.pk}"
    assert sorted(e["name"] for e in award.evidence) == ["憲法", "行政法"]
    assert enqueued == [award.pk]


def test_chunks_commit_separately_and_queue_their_badges_in_batches(
    carol, monkeypatch, django_capture_on_commit_callbacks
):
    from badges import services as badge_services

    published: list[tuple[str, list[int]]] = []
    monkeypatch.setattr(services.bulk, "COMPLETE_CHUNK", 4)  # read where the chunks are cut
    monkeypatch.setattr(badge_services, "ISSUE_BATCH", 3)
    monkeypatch.setattr(badge_services, "awards_enqueue_many", real_awards_enqueue_many)  # not the recorder
    monkeypatch.setattr(
        "hachioji_portal.queueing.publish",
        lambda task, args=(), kwargs=None: published.append((task.name, args[0])) or True,
    )
    course = make_started_course(badge_class=make_badge_class())
    enrolments = [make_enrolment(staff=p, course=course, state="approved") for p in _people(10)]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        enrolments_bulk_complete(enrolments=enrolments, actor=carol, completed_on=today())
    award_batches = [ids for name, ids in published if name == "badges.tasks.awards_issue_batch_task"]
    # 10 completions in chunks of 4, 4 and 2; each chunk's awards in messages of at most 3.
    assert [len(b) for b in award_batches] == [3, 1, 3, 1, 2]
    assert sorted(pk for b in award_batches for pk in b) == sorted(Award.objects.values_list("pk", flat=True))
    assert Award.objects.filter(queued_at__isnull=False).count() == 10
    assert len(callbacks) >= 3


def test_the_number_of_queries_does_not_grow_with_the_selection(carol, django_capture_on_commit_callbacks):
    badge = make_badge_class()

    def queries_for(n: int) -> int:
        course = make_started_course(badge_class=badge)
        enrolments = list(
            Enrolment.objects.filter(
                pk__in=[make_enrolment(staff=p, course=course, state="approved").pk for p in _people(n)]
            )
        )
        with CaptureQueriesContext(connection) as queries:
            outcome = enrolments_bulk_complete(enrolments=enrolments, actor=carol, completed_on=today())
        assert len(outcome.done) == n
        return len(queries)

    queries_for(1)  # warms what is remembered per actor (HR's role)
    assert queries_for(3) == queries_for(30)


def test_a_bulk_completion_gives_the_course_skills_to_everyone_completed(carol):
    from courses.models import SkillHolding
    from tests.factories import make_skill

    skill = make_skill()
    course = make_started_course(skills={skill: 2})
    people = _people(3)
    refused = make_enrolment(staff=people[2], course=course, state="requested")
    enrolments = [make_enrolment(staff=p, course=course, state="approved") for p in people[:2]]
    enrolments_bulk_complete(enrolments=[*enrolments, refused], actor=carol, completed_on=today())
    held = set(SkillHolding.objects.values_list("staff_id", "skill_id", "level", "completed_on"))
    assert held == {(p.pk, skill.pk, level, today()) for p in people[:2] for level in (1, 2)}
