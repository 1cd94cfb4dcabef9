from __future__ import annotations

import datetime as dt
import smtplib

import pytest
from django.core import mail

from courses.models import Enrolment
from courses.services import enrolment_approve, enrolment_complete, enrolment_recommend, enrolment_reject
from staff.emails import email_dispatch, render_templated_email
from staff.models import OutgoingEmail
from staff.tasks import send_email_task
from tests.factories import make_course, make_enrolment

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(db):  # type: ignore[no-untyped-def]
    return make_course(
        code="CHUO-GYOSEI", title="行政法", title_en="Administrative Law", starts_on=dt.date(2026, 4, 10)
    )


def test_each_decision_emails_the_person_after_the_commit(
    alice, bob, carol, course, django_capture_on_commit_callbacks
):
    enrolment = make_enrolment(staff=alice, course=course)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        enrolment_recommend(enrolment=enrolment, actor=bob, comment="推薦します")
    assert mail.outbox == []  # nothing is sent before the commit
    for callback in callbacks:
        callback()
    with django_capture_on_commit_callbacks(execute=True):
        enrolment_approve(enrolment=enrolment, actor=carol)
        enrolment_complete(enrolment=enrolment, actor=carol, grade="優")
    # carol is HR: she is told of the recommendation (tests/courses/test_hr_notification.py).
    assert [m.to for m in mail.outbox] == [[alice.email], [carol.email], [alice.email], [alice.email]]
    assert "推薦します" in mail.outbox[0].body
    assert "優" in mail.outbox[3].body


def test_japanese_staff_get_japanese_email_and_english_staff_english(
    alice, dave, carol, course, django_capture_on_commit_callbacks
):
    dave.preferred_language = "en"
    dave.save()
    with django_capture_on_commit_callbacks(execute=True):
        for person in (alice, dave):
            enrolment_approve(enrolment=make_enrolment(staff=person, course=course, state="recommended"), actor=carol)
    ja, en = mail.outbox
    assert "行政法" in ja.subject and "2026年4月10日" in ja.body
    assert ja.extra_headers["Content-Language"] == "ja"
    assert "Administrative Law" in en.subject and "April 10, 2026" in en.body
    assert en.extra_headers["Content-Language"] == "en"
    assert '<html lang="en">' in en.alternatives[0][0]


def test_a_rejection_email_carries_the_reason(alice, carol, course, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        enrolment_reject(enrolment=make_enrolment(staff=alice, course=course), actor=carol, reason="予算超過のため")
    assert "予算超過のため" in mail.outbox[0].body


def test_a_broker_that_is_down_never_rolls_back_a_decision(
    alice, carol, course, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.undo()  # use the real dispatch, with a broken broker
    from kombu.exceptions import OperationalError

    def down(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError("Connection refused")

    monkeypatch.setattr(send_email_task, "apply_async", down)
    monkeypatch.setattr("badges.services.award_enqueue", lambda award_id: True)
    enrolment = make_enrolment(staff=alice, course=course, state="recommended")
    with django_capture_on_commit_callbacks(execute=True):
        enrolment_approve(enrolment=enrolment, actor=carol)
    assert Enrolment.objects.get().state == "approved"
    # The email waits in the outbox for the sweep: nothing is lost.
    email = OutgoingEmail.objects.get(to=alice, template="enrolment-decision")
    assert email.sent_at is None and email.queued_at is None
    assert email_dispatch(email.pk) is False


def test_the_task_skips_people_who_left(alice):
    email = OutgoingEmail.objects.create(to=alice, template="enrolment-decision", context={"state": "approved"})
    alice.is_active = False
    alice.save()
    assert send_email_task(email.pk) == "skipped"
    assert mail.outbox == []


def test_the_task_sends_an_outbox_email_once(alice):
    email = OutgoingEmail.objects.create(
        to=alice, template="enrolment-decision", context={"state": "approved", "course_title": "行政法"}
    )
    assert send_email_task(email.pk) == "sent"
    assert send_email_task(email.pk) == "already"
    assert len(mail.outbox) == 1


def test_a_failed_send_is_released_for_the_retry(alice, monkeypatch):
    email = OutgoingEmail.objects.create(to=alice, template="enrolment-decision", context={"state": "approved"})

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        send_email_task(email.pk)
    email.refresh_from_db()
    assert email.sent_at is None and email.attempts == 1 and "gone" in email.outcome


def test_the_sweep_queues_emails_the_broker_never_took(alice, monkeypatch):
    from django.utils import timezone

    from staff.emails import emails_requeue_stale

    queued: list[int] = []
    monkeypatch.setattr("staff.emails.emails_dispatch", lambda email_ids: queued.extend(email_ids) or len(email_ids))
    old = OutgoingEmail.objects.create(to=alice, template="enrolment-decision", context={})
    OutgoingEmail.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(minutes=10))
    OutgoingEmail.objects.create(to=alice, template="enrolment-decision", context={})  # just written
    assert emails_requeue_stale(older_than=dt.timedelta(minutes=2), now=timezone.now()) == 1
    assert queued == [old.pk]


def test_the_task_retries_smtp_errors_with_backoff():
    assert smtplib.SMTPException in send_email_task.autoretry_for
    assert send_email_task.retry_backoff is True
    assert send_email_task.max_retries == 5


def test_an_email_has_a_text_and_an_html_part_and_escapes_html(alice, course):
    message = render_templated_email(
        to=alice,
        template="enrolment-decision",
        context={
            "state": "rejected",
            "course_code": "X",
            "course_title": "<b>A&B</b>",
            "comment": "<script>",
            "url": "u",
        },
    )
    html = message.alternatives[0][0]
    assert "<b>A&B</b>" in message.body  # plain text is not HTML-escaped
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "\n" not in message.subject
