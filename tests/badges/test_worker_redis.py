"""A real worker process on Redis and PostgreSQL, from completion to a stored, verifiable PNG."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import transaction

from badges import services
from badges.core import baking, credentials
from badges.models import Award
from tests.worker import running_worker, sent_emails, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_completion_becomes_an_issued_baked_badge_and_one_email(
    alice, badge_class, signing_key, private_queue, tmp_path
):
    with running_worker(tmp_path):
        with transaction.atomic():
            award, _ = services.award_request(
                recipient=alice, badge_class=badge_class, source_key="enrolment:501", achieved_on=dt.date(2026, 4, 1)
            )
        assert wait_for(lambda: Award.objects.get(pk=award.pk).status == Award.Status.ISSUED, timeout=60)
        assert wait_for(lambda: Award.objects.get(pk=award.pk).notified_at is not None, timeout=30)
        assert wait_for(lambda: len(sent_emails(tmp_path)) >= 1, timeout=30)
    award.refresh_from_db()
    with award.baked_image.open("rb") as handle:
        chunks = baking.read_baked(handle.read())
    assert credentials.verify_credential(json.loads(chunks[baking.KEYWORD_OB3])).valid
    assert json.loads(chunks[baking.KEYWORD_OB2])["id"].endswith(str(award.public_id))
    assert len(sent_emails(tmp_path)) == 1


def test_a_task_delivered_twice_still_gives_one_issued_award(alice, badge_class, signing_key, private_queue, tmp_path):
    from badges.tasks import award_issue_task

    with transaction.atomic():
        award, _ = services.award_request(
            recipient=alice, badge_class=badge_class, source_key="enrolment:502", achieved_on=dt.date(2026, 4, 1)
        )
    for _ in range(3):
        award_issue_task.apply_async(args=[award.pk])
    with running_worker(tmp_path, concurrency=2):
        assert wait_for(lambda: Award.objects.get(pk=award.pk).status == Award.Status.ISSUED, timeout=60)
        assert wait_for(lambda: len(sent_emails(tmp_path)) >= 1, timeout=30)
    award.refresh_from_db()
    assert award.attempts == 1
    assert Award.objects.filter(source_key="enrolment:502").count() == 1
    assert len(sent_emails(tmp_path)) == 1
