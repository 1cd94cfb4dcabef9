"""Celery tasks: thin wrappers that take ids and call one function.

Their options come from ``hachioji_portal.queueing.TASK_OPTIONS``; ``emails`` and ``jobs`` queue
them by dotted path through that seam, so nothing here is imported by the modules it calls.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from celery import shared_task
from django.utils import timezone

from hachioji_portal.queueing import TASK_OPTIONS, broker_up

from .emails import email_deliver, emails_requeue_stale
from .jobs import job_run, jobs_requeue_stale


@shared_task(**TASK_OPTIONS["send_email"])
def send_email_task(self: object, email_id: int) -> str:
    return email_deliver(email_id=email_id)


@shared_task(**TASK_OPTIONS["send_email"])
def send_emails_task(self: object, email_ids: list[int]) -> dict[str, int]:
    """Send a batch of outbox emails (from one bulk decision). A retry after a failed send
    skips those already sent: each email is claimed before it is sent."""
    return dict(Counter(email_deliver(email_id=email_id) for email_id in email_ids))


@shared_task(**TASK_OPTIONS["once"])
def emails_sweep_task(older_than_seconds: int = 120) -> int:
    """Queue outbox emails still unsent after ``older_than_seconds`` (celery beat, every minute)."""
    broker_up()
    return emails_requeue_stale(older_than=dt.timedelta(seconds=older_than_seconds), now=timezone.now())


@shared_task(**TASK_OPTIONS["once"])
def background_job_task(job_id: int) -> str:
    """Run one of HR's long operations (staff/jobs.py); a second delivery finds it claimed."""
    return job_run(job_id=job_id)


@shared_task(**TASK_OPTIONS["once"])
def jobs_sweep_task(older_than_seconds: int = 120, running_for_seconds: int = 3 * 3600) -> int:
    """Queue background jobs still waiting after ``older_than_seconds`` (celery beat, every minute)."""
    broker_up()
    return jobs_requeue_stale(
        older_than=dt.timedelta(seconds=older_than_seconds),
        now=timezone.now(),
        running_for=dt.timedelta(seconds=running_for_seconds),
    )
