"""Celery tasks: thin wrappers that take ids and call one function."""

from __future__ import annotations

import datetime as dt
import smtplib
from collections import Counter
from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

# SMTP trouble, network and database errors are transient; template errors are bugs. Emails
# have priority 9: on Redis they wait behind badge issuing (see CELERY_BROKER_TRANSPORT_OPTIONS).
SENDING: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "autoretry_for": (smtplib.SMTPException, OSError, OperationalError, InterfaceError),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
    "priority": 9,
}


@shared_task(**SENDING)
def send_email_task(self: object, email_id: int) -> str:
    from .emails import email_deliver

    return email_deliver(email_id=email_id)


@shared_task(**SENDING)
def send_emails_task(self: object, email_ids: list[int]) -> dict[str, int]:
    """Send a batch of outbox emails (from one bulk decision). A retry after a failed send
    skips those already sent: each email is claimed before it is sent."""
    from .emails import email_deliver

    return dict(Counter(email_deliver(email_id=email_id) for email_id in email_ids))


@shared_task(acks_late=True)
def emails_sweep_task(older_than_seconds: int = 120) -> int:
    """Queue outbox emails still unsent after ``older_than_seconds`` (celery beat, every minute)."""
    from hachioji_portal.queueing import reset

    from .emails import emails_requeue_stale

    reset()
    return emails_requeue_stale(older_than=dt.timedelta(seconds=older_than_seconds), now=timezone.now())


@shared_task(acks_late=True)
def background_job_task(job_id: int) -> str:
    """Run one of HR's long operations (staff/jobs.py); a second delivery finds it claimed."""
    from .jobs import job_run

    return job_run(job_id=job_id)


@shared_task(acks_late=True)
def jobs_sweep_task(older_than_seconds: int = 120, running_for_seconds: int = 3 * 3600) -> int:
    """Queue background jobs still waiting after ``older_than_seconds`` (celery beat, every minute)."""
    from hachioji_portal.queueing import reset

    from .jobs import jobs_requeue_stale

    reset()
    return jobs_requeue_stale(
        older_than=dt.timedelta(seconds=older_than_seconds),
        now=timezone.now(),
        running_for=dt.timedelta(seconds=running_for_seconds),
    )
