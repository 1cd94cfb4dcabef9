"""Celery tasks: thin wrappers that take ids and call one function."""

from __future__ import annotations

import smtplib
from typing import Any

from celery import shared_task


@shared_task(
    bind=True,
    acks_late=True,
    # SMTP trouble and network errors are transient; template errors are bugs and not retried.
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def send_email_task(self: object, staff_id: int, template: str, context: dict[str, Any]) -> str:
    from .emails import send_templated_email
    from .models import StaffMember

    staff = StaffMember.objects.filter(pk=staff_id, is_active=True).first()
    if staff is None or not staff.email:
        return "skipped"
    send_templated_email(to=staff, template=template, context=context)
    return "sent"
