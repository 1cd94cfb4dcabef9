"""Celery tasks: thin wrappers that take ids and call one service."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections import Counter
from typing import Any

from celery import shared_task
from django.db import DatabaseError, InterfaceError, OperationalError
from django.utils import timezone

logger = logging.getLogger(__name__)

# Failures that heal by themselves: the database restarting, a full disk freed, SMTP hiccups.
TRANSIENT = (OperationalError, InterfaceError, OSError, smtplib.SMTPException)


# Retried with backoff on transient failures; acknowledged only once done (a worker killed
# half-way leaves the message for another).
RETRYING: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "autoretry_for": TRANSIENT,
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 8,
}
# Emails wait behind issuing: on Redis, priority 9 is served after the default 0
# (see CELERY_BROKER_TRANSPORT_OPTIONS).
EMAIL_PRIORITY = 9


@shared_task(**RETRYING)
def award_issue_task(self: object, award_id: int) -> str:
    from .issuing import award_ensure_issued

    return award_ensure_issued(award_id=award_id)


@shared_task(**RETRYING)
def awards_issue_batch_task(self: object, award_ids: list[int]) -> dict[str, int]:
    """Issue a batch of awards from one bulk completion (see ``issuing.awards_ensure_issued``)."""
    from .issuing import awards_ensure_issued

    return awards_ensure_issued(award_ids=award_ids)


@shared_task(**RETRYING, priority=EMAIL_PRIORITY)
def awards_notify_batch_task(self: object, award_ids: list[int]) -> dict[str, int]:
    """Email the holders of a batch of awards. A retry after a failed send skips those already
    sent (each email is claimed on ``notified_at`` first)."""
    from .notifications import award_notify_holder

    return dict(Counter(award_notify_holder(award_id=award_id) for award_id in award_ids))


@shared_task(acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=3)
def awards_sweep_task(older_than_seconds: int = 120) -> int:
    """Queue again every award still pending after ``older_than_seconds`` (lost messages,
    a broker that was down at completion time). Run by celery beat every minute."""
    from hachioji_portal.queueing import reset

    from .services import awards_requeue_stale

    reset()  # this worker just received a message: the broker is up again
    return awards_requeue_stale(older_than=dt.timedelta(seconds=older_than_seconds), now=timezone.now())


@shared_task(acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=3)
def awards_expiry_remind_task() -> int:
    """Email holders whose badges expire within BADGE_EXPIRY_REMINDER_DAYS (once per badge).
    Run by celery beat every hour; each award is claimed before its email is sent."""
    from django.conf import settings

    from .notifications import awards_remind_expiring

    return awards_remind_expiring(now=timezone.now(), days=settings.BADGE_EXPIRY_REMINDER_DAYS)


@shared_task(**RETRYING)
def publications_publish_task(self: object, request_ids: list[int]) -> int:
    """Write the public files that ``request_ids`` ask for (``publisher.publications_run``). A
    target directory that cannot be written (``OSError``) is retried with backoff; the rows
    stay until it succeeds, and the sweep queues them again meanwhile."""
    from .publisher import publications_run

    return publications_run(request_ids=request_ids)


@shared_task(acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=3)
def obapi_tokens_clear_task() -> None:
    """Daily: the Open Badges API's expired tokens and codes (badges/obapi/services.py)."""
    from .obapi.services import obapi_expired_tokens_clear

    obapi_expired_tokens_clear()


@shared_task(acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=3)
def publications_sweep_task(older_than_seconds: int = 20) -> int:
    """Queue again every publication request left for ``older_than_seconds`` (a broker or a
    target directory that was down). Run by celery beat every 30 seconds, so a revocation
    reaches the published tree within a minute of either coming back."""
    from hachioji_portal.queueing import reset

    from .publisher import publications_requeue_stale

    reset()
    return publications_requeue_stale(older_than=dt.timedelta(seconds=older_than_seconds), now=timezone.now())
