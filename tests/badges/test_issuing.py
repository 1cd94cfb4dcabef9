"""Issuing: one completion gives one pending award, and the worker's service turns it into a
signed, baked PNG exactly once."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import mail
from django.db import IntegrityError

from badges import issuing, services
from badges.core import baking, credentials
from badges.models import Award

pytestmark = pytest.mark.django_db


def _request(alice, badge_class, key="enrolment:1"):  # type: ignore[no-untyped-def]
    return services.award_request(
        recipient=alice,
        badge_class=badge_class,
        source_key=key,
        achieved_on=dt.date(2026, 4, 1),
        evidence=[{"name": "憲法", "narrative": "成績: A"}],
    )


def test_requesting_the_same_completion_twice_keeps_one_award_and_queues_once(
    alice, badge_class, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first, created = _request(alice, badge_class)
        second, created_again = _request(alice, badge_class)
    assert created and not created_again
    assert first.pk == second.pk
    assert Award.objects.count() == 1
    assert enqueued == [first.pk]


def test_the_database_refuses_a_second_current_award_for_one_completion(alice, badge_class, enqueued):
    award, _ = _request(alice, badge_class)
    with pytest.raises(IntegrityError):
        Award.objects.create(
            recipient=alice,
            badge_class=badge_class,
            issuer=badge_class.issuer,
            source_key=award.source_key,
            achieved_on=award.achieved_on,
        )


def test_issuing_renders_signs_and_bakes_a_verifiable_png(alice, badge_class, signing_key, enqueued):
    award, _ = _request(alice, badge_class)
    assert issuing.award_ensure_issued(award_id=award.pk) == "issued"
    award.refresh_from_db()
    assert award.status == Award.Status.ISSUED
    with award.baked_image.open("rb") as handle:
        png = handle.read()
    chunks = baking.read_baked(png)
    assertion = json.loads(chunks[baking.KEYWORD_OB2])
    credential = json.loads(chunks[baking.KEYWORD_OB3])
    assert assertion["id"].endswith(f"/public/assertions/{award.public_id}")
    assert assertion["recipient"]["identity"] == credentials.hash_identity("alice@city.test", award.salt)
    result = credentials.verify_credential(credential)
    assert result.valid, result
    assert result.issuer_id.startswith("did:key:z6Mk")
    # No plain email or employee number in what is published.
    published = chunks[baking.KEYWORD_OB2] + chunks[baking.KEYWORD_OB3]
    assert "alice@city.test" not in published and alice.employee_number not in published


def test_issuing_twice_keeps_one_image_and_one_signature(alice, badge_class, signing_key, enqueued):
    award, _ = _request(alice, badge_class)
    issuing.award_ensure_issued(award_id=award.pk)
    award.refresh_from_db()
    first_image, first_proof = award.baked_image.name, award.credential["proof"][0]["proofValue"]
    assert issuing.award_ensure_issued(award_id=award.pk) == "already"
    award.refresh_from_db()
    assert (award.baked_image.name, award.credential["proof"][0]["proofValue"]) == (first_image, first_proof)
    assert award.attempts == 1


def test_a_missing_signing_key_is_a_permanent_failure_shown_to_hr(alice, badge_class, settings, tmp_path, enqueued):
    from badges.tasks import award_issue_task

    settings.BADGE_SIGNING_KEY_FILE = str(tmp_path / "nowhere.pem")
    award, _ = _request(alice, badge_class)
    assert award_issue_task.run(award.pk) == "failed"
    award.refresh_from_db()
    assert award.status == Award.Status.FAILED
    assert "signing key" in award.failure_reason


def test_hr_can_queue_a_failed_award_again(alice, badge_class, enqueued, django_capture_on_commit_callbacks):
    award, _ = _request(alice, badge_class)
    Award.objects.filter(pk=award.pk).update(status=Award.Status.FAILED, failure_reason="no key")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.award_requeue(award=award)
    award.refresh_from_db()
    assert award.status == Award.Status.PENDING
    assert enqueued[-1] == award.pk


def test_an_expiring_badge_carries_its_expiry_in_both_standards(alice, badge_class, signing_key, enqueued):
    badge_class.validity_days = 365
    badge_class.save()
    award, _ = _request(alice, badge_class)
    issuing.award_ensure_issued(award_id=award.pk)
    award.refresh_from_db()
    assert award.expires_at - award.issued_at == dt.timedelta(days=365)
    assert "expires" in award.assertion and "validUntil" in award.credential


def test_the_holder_is_emailed_once_with_the_badge_attached(alice, badge_class, signing_key, enqueued):
    from badges.notifications import award_notify_holder

    award, _ = _request(alice, badge_class)
    issuing.award_ensure_issued(award_id=award.pk)
    assert award_notify_holder(award_id=award.pk) == "sent"
    assert award_notify_holder(award_id=award.pk) == "already"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert badge_class.name in message.subject
    assert message.attachments[0][2] == "image/png"


def test_the_email_is_in_the_holders_language(alice, badge_class, signing_key, enqueued):
    from badges.notifications import award_notify_holder

    alice.preferred_language = "en"
    alice.save()
    award, _ = _request(alice, badge_class)
    issuing.award_ensure_issued(award_id=award.pk)
    award_notify_holder(award_id=award.pk)
    assert badge_class.name_en in mail.outbox[0].subject


def test_the_sweep_requeues_awards_left_pending_and_not_those_just_queued(alice, badge_class, enqueued):
    from django.utils import timezone

    old, _ = _request(alice, badge_class, key="enrolment:1")
    _request(alice, badge_class, key="enrolment:2")
    Award.objects.filter(pk=old.pk).update(requested_at=timezone.now() - dt.timedelta(hours=1))
    queued = services.awards_requeue_stale(older_than=dt.timedelta(minutes=2), now=timezone.now())
    assert queued == 1
    assert enqueued == [old.pk]


def test_revoking_needs_a_reason_and_notifies_once(
    alice, badge_class, signing_key, enqueued, django_capture_on_commit_callbacks
):
    award, _ = _request(alice, badge_class)
    issuing.award_ensure_issued(award_id=award.pk)
    with pytest.raises(ValueError):
        services.award_revoke(award=award, reason="  ")
    assert services.award_revoke(award=award, reason="成績の誤りのため") is True
    assert services.award_revoke(award=award, reason="again") is False
    award.refresh_from_db()
    assert award.status == Award.Status.REVOKED and award.revocation_reason == "成績の誤りのため"


def test_reissuing_revokes_the_old_award_and_links_the_new_one(alice, badge_class, signing_key, enqueued):
    award, _ = _request(alice, badge_class)
    issuing.award_ensure_issued(award_id=award.pk)
    new = services.award_reissue(award=award, reason="氏名の訂正")
    award.refresh_from_db()
    assert award.status == Award.Status.REVOKED and not award.is_current
    assert new.supersedes == award and new.source_key == award.source_key and new.status == Award.Status.PENDING
