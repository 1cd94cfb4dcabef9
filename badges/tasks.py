"""Celery tasks: thin wrappers that take ids and call one service.

Their options come from ``hachioji_portal.queueing.TASK_OPTIONS``; the services queue them by
dotted path through that seam, so nothing here is imported by the modules it calls.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from hachioji_portal.queueing import TASK_OPTIONS, broker_up

from .issuing import award_ensure_issued, awards_ensure_issued
from .notifications import award_notify_holder, awards_remind_expiring
from .obapi.services import obapi_expired_tokens_clear
from .publisher import publications_requeue_stale, publications_run
from .services import awards_requeue_stale


@shared_task(**TASK_OPTIONS["run"])
def award_issue_task(self: object, award_id: int) -> str:
    return award_ensure_issued(award_id=award_id)


@shared_task(**TASK_OPTIONS["run"])
def awards_issue_batch_task(self: object, award_ids: list[int]) -> dict[str, int]:
    """Issue a batch of awards from one bulk completion (see ``issuing.awards_ensure_issued``)."""
    return awards_ensure_issued(award_ids=award_ids)


@shared_task(**TASK_OPTIONS["run_email"])
def awards_notify_batch_task(self: object, award_ids: list[int]) -> dict[str, int]:
    """Email the holders of a batch of awards. A retry after a failed send skips those already
    sent (each email is claimed on ``notified_at`` first)."""
    return dict(Counter(award_notify_holder(award_id=award_id) for award_id in award_ids))


@shared_task(**TASK_OPTIONS["sweep"])
def awards_sweep_task(older_than_seconds: int = 120) -> int:
    """Queue again every award still pending after ``older_than_seconds`` (lost messages,
    a broker that was down at completion time). Run by celery beat every minute."""
    broker_up()
    return awards_requeue_stale(older_than=dt.timedelta(seconds=older_than_seconds), now=timezone.now())


@shared_task(**TASK_OPTIONS["sweep"])
def awards_expiry_remind_task() -> int:
    """Email holders whose badges expire within BADGE_EXPIRY_REMINDER_DAYS (once per badge).
    Run by celery beat every hour; each award is claimed before its email is sent."""
    return awards_remind_expiring(now=timezone.now(), days=settings.BADGE_EXPIRY_REMINDER_DAYS)


@shared_task(**TASK_OPTIONS["run"])
def publications_publish_task(self: object, request_ids: list[int]) -> int:
    """Write the public files that ``request_ids`` ask for (``publisher.publications_run``). A
    target directory that cannot be written (``OSError``) is retried with backoff; the rows
    stay until it succeeds, and the sweep queues them again meanwhile."""
    return publications_run(request_ids=request_ids)


@shared_task(**TASK_OPTIONS["sweep"])
def obapi_tokens_clear_task() -> None:
    """Daily: the Open Badges API's expired tokens and codes (badges/obapi/services.py)."""
    obapi_expired_tokens_clear()


@shared_task(**TASK_OPTIONS["sweep"])
def publications_sweep_task(older_than_seconds: int = 20) -> int:
    """Queue again every publication request left for ``older_than_seconds`` (a broker or a
    target directory that was down). Run by celery beat every 30 seconds, so a revocation
    reaches the published tree within a minute of either coming back."""
    broker_up()
    return publications_requeue_stale(older_than=dt.timedelta(seconds=older_than_seconds), now=timezone.now())
