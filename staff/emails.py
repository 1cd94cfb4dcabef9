"""Templated emails to staff, in the recipient's language, sent by Celery after the commit.

Each email is a triplet under ``templates/emails/``: ``<name>-subject.txt``, ``<name>-body.txt``
and ``<name>-body.html``. Services call :func:`email_send_on_commit`; the Celery task
(``staff.tasks.send_email_task``) calls :func:`send_templated_email`.

The context travels through the broker as JSON, so it holds plain values only. Values under
keys ending in ``_on`` that are ISO dates ("2026-04-10") are turned back into dates, so that
templates format them in the recipient's language (2026年4月10日 / April 10, 2026).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext

from .models import StaffMember

logger = logging.getLogger(__name__)


def _revive_dates(context: dict[str, Any]) -> dict[str, Any]:
    revived = dict(context)
    for key, value in context.items():
        if key.endswith("_on") and isinstance(value, str) and value:
            try:
                revived[key] = dt.date.fromisoformat(value)
            except ValueError:
                pass
    return revived


def render_templated_email(*, to: StaffMember, template: str, context: dict[str, Any]) -> EmailMultiAlternatives:
    language = to.preferred_language or settings.LANGUAGE_CODE
    with translation.override(language):
        full_context = {
            **_revive_dates(context),
            "recipient_name": to.full_name,
            "portal_url": settings.PORTAL_BASE_URL,
        }
        subject = render_to_string(f"emails/{template}-subject.txt", full_context)
        # A subject is one line whatever the template's line breaks.
        prefix = gettext("[Hachioji learning portal]")
        subject = f"{prefix} {' '.join(subject.split())}"
        text = render_to_string(f"emails/{template}-body.txt", full_context)
        html = render_to_string(f"emails/{template}-body.html", full_context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to.email])
    message.attach_alternative(html, "text/html")
    message.extra_headers["Content-Language"] = language
    return message


def send_templated_email(*, to: StaffMember, template: str, context: dict[str, Any]) -> None:
    """Render and send now (the Celery task calls this; SMTP errors propagate for its retry)."""
    render_templated_email(to=to, template=template, context=context).send()


def email_dispatch(staff_id: int, template: str, context: dict[str, Any]) -> bool:
    """Queue the sending task; a broker that is down is logged, never raised.

    A decision that was committed stays committed even if its email cannot be queued.
    """
    from hachioji_portal.queueing import publish

    from .tasks import send_email_task

    return publish(send_email_task, args=(staff_id, template, context))


def email_send_on_commit(*, to: StaffMember, template: str, context: dict[str, Any]) -> None:
    """Send ``template`` to ``to`` once the current transaction commits (never if it rolls back)."""
    staff_id = to.pk
    payload = dict(context)
    transaction.on_commit(lambda: email_dispatch(staff_id, template, payload), robust=True)
