"""Celery tasks of the courses app: thin, they call one function."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def hr_digest_task() -> int:
    """HR's daily digest of requests awaiting HR (celery beat, hourly; sends once a day)."""
    from .notifications import hr_digest_send

    return hr_digest_send()


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def enrolment_reminders_task() -> dict[str, int]:
    """Reminders before a course starts and before an application deadline (celery beat, daily;
    each enrolment gets each kind at most once, so a second run the same day sends nothing)."""
    from .reminders import reminders_send

    return reminders_send()
