"""Expiry reminders: holders are emailed before a badge expires, once, with the renewal link."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from badges import notifications
from badges.models import Award, BadgeClass
from tests.badges.conftest import issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def expiring(alice, badge_class, signing_key, enqueued):  # type: ignore[no-untyped-def]
    BadgeClass.objects.filter(pk=badge_class.pk).update(
        validity_days=365, renewal_url="http://127.0.0.1:8000/courses/LAW-101/"
    )
    badge_class.refresh_from_db()
    return issue(alice, badge_class, "enrolment:701")


def remind(days_before_expiry: int, award: Award, days: int = 30) -> int:
    now = award.expires_at - dt.timedelta(days=days_before_expiry)
    return notifications.awards_remind_expiring(now=now, days=days)


def test_the_holder_is_reminded_before_expiry_with_the_renewal_course(expiring, alice):
    assert remind(20, expiring) == 1
    (message,) = mail.outbox
    assert message.to == [alice.email]
    assert expiring.badge_class.name in message.subject
    assert "http://127.0.0.1:8000/courses/LAW-101/" in message.body
    assert f"/badges/{expiring.public_id}/" in message.body
    html = message.alternatives[0][0]
    assert 'href="http://127.0.0.1:8000/courses/LAW-101/"' in html
    expiring.refresh_from_db()
    assert expiring.reminded_at is not None


def test_a_badge_is_reminded_only_once(expiring):
    assert remind(20, expiring) == 1
    assert remind(10, expiring) == 0
    assert len(mail.outbox) == 1


def test_nobody_is_reminded_too_early_after_expiry_or_about_a_revoked_badge(expiring):
    from badges import services

    assert remind(40, expiring) == 0
    assert remind(-1, expiring) == 0
    services.award_revoke(award=expiring, reason="取消")
    assert remind(20, expiring) == 0
    assert mail.outbox == []


def test_a_badge_already_renewed_is_not_reminded(expiring, alice):
    renewed = issue(alice, expiring.badge_class, "enrolment:702")
    Award.objects.filter(pk=renewed.pk).update(expires_at=expiring.expires_at + dt.timedelta(days=365))
    assert remind(20, expiring) == 0


def test_without_a_renewal_course_the_email_points_to_hr(expiring):
    BadgeClass.objects.filter(pk=expiring.badge_class_id).update(renewal_url="")
    remind(20, expiring)
    assert "HR" in mail.outbox[0].body or "人事" in mail.outbox[0].body


def test_a_failed_send_is_tried_again_next_time(expiring, monkeypatch):
    import smtplib

    def broken(**kwargs):  # type: ignore[no-untyped-def]
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr("staff.emails.send_templated_email", broken)
    assert remind(20, expiring) == 0
    expiring.refresh_from_db()
    assert expiring.reminded_at is None
    monkeypatch.undo()
    assert remind(19, expiring) == 1


def test_the_beat_task_uses_the_configured_number_of_days(expiring, settings, monkeypatch):
    from badges.tasks import awards_expiry_remind_task

    settings.BADGE_EXPIRY_REMINDER_DAYS = 400
    assert awards_expiry_remind_task() == 1
    assert "badges-expiry-reminders" in settings.CELERY_BEAT_SCHEDULE


def test_the_reminder_is_in_the_holders_language(expiring, alice):
    alice.preferred_language = "en"
    alice.save(update_fields=["preferred_language"])
    remind(20, expiring)
    assert "expires on" in mail.outbox[0].subject
    assert timezone.localdate(expiring.expires_at).strftime("%Y") in mail.outbox[0].subject
