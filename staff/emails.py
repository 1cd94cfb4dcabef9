"""Templated emails to staff, in the recipient's language, sent by Celery after the commit.

Each email is a triplet under ``templates/emails/``: ``<name>-subject.txt``, ``<name>-body.txt``
and ``<name>-body.html``. Services call :func:`email_send_on_commit` (the *request* step of
the outbox, ``hachioji_portal.queueing``); the Celery task (``staff.tasks.send_email_task``)
calls :func:`email_deliver`, which sends it with :func:`send_templated_email`.

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
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation

from hachioji_portal import queueing
from hachioji_portal.organisation import organisation

from .models import OutgoingEmail, StaffMember

logger = logging.getLogger(__name__)

#: Context key naming the address to send to instead of the person's current one (used only to
#: tell the *previous* address that the email of an account was changed).
ADDRESS_KEY = "_to_address"


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
        prefix = organisation().email_subject_prefix
        subject = f"{prefix} {' '.join(subject.split())}"
        text = render_to_string(f"emails/{template}-body.txt", full_context)
        html = render_to_string(f"emails/{template}-body.html", full_context)
    # ``ADDRESS_KEY``: an email about a change of address goes to the address it replaced.
    message = EmailMultiAlternatives(subject=subject, body=text, to=[context.get(ADDRESS_KEY) or to.email])
    message.attach_alternative(html, "text/html")
    message.extra_headers["Content-Language"] = language
    return message


def send_templated_email(*, to: StaffMember, template: str, context: dict[str, Any]) -> None:
    """Render and send now (the Celery task calls this; SMTP errors propagate for its retry)."""
    render_templated_email(to=to, template=template, context=context).send()


#: The sending task of one email, and of a batch (``hachioji_portal.queueing`` imports them).
SEND_TASK = "staff.tasks.send_email_task"
SEND_BATCH_TASK = "staff.tasks.send_emails_task"


def email_dispatch(email_id: int) -> bool:
    """Enqueue: queue the sending task and stamp ``queued_at``; a broker that is down is
    logged, never raised.

    The email is already a row (``OutgoingEmail``): if it cannot be queued now, the sweep
    queues it later. A decision that was committed stays committed either way.
    """
    return queueing.enqueue(SEND_TASK, [email_id], batch=None, outbox=OutgoingEmail) == 1


def email_send_on_commit(*, to: StaffMember, template: str, context: dict[str, Any]) -> OutgoingEmail:
    """Write ``template`` for ``to`` into the outbox now, and queue it once the transaction
    commits (never if it rolls back: the row goes with it)."""
    email = OutgoingEmail.objects.create(to=to, template=template, context=dict(context))
    queueing.after_commit(email_dispatch, email.pk)
    return email


#: Emails per message when many are written at once (a bulk decision by HR).
EMAIL_BATCH = 50


def emails_dispatch(email_ids: list[int]) -> int:
    """Enqueue many outbox emails, ``EMAIL_BATCH`` per message, stamping ``queued_at`` on
    those the broker took; returns how many were queued. Like :func:`email_dispatch`, a broker
    that is down is logged and the sweep queues the rest later."""
    return queueing.enqueue(SEND_BATCH_TASK, email_ids, batch=EMAIL_BATCH, outbox=OutgoingEmail)


def emails_send_many_on_commit(messages: list[tuple[StaffMember, str, dict[str, Any]]]) -> list[OutgoingEmail]:
    """:func:`email_send_on_commit` for many (recipient, template, context) at once: one
    INSERT, and a few messages after the commit instead of one per email."""
    emails = OutgoingEmail.objects.bulk_create(
        [OutgoingEmail(to=to, template=template, context=dict(context)) for to, template, context in messages]
    )
    ids = [e.pk for e in emails]
    if ids:
        queueing.after_commit(emails_dispatch, ids)
    return emails


def email_deliver(*, email_id: int) -> str:
    """Send one outbox email (the task's body). At most once: the row is claimed first, and a
    send that fails releases the claim so that the task's retry sends it."""
    claimed = OutgoingEmail.objects.filter(pk=email_id, sent_at__isnull=True).update(
        sent_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not claimed:
        return "already"
    email = OutgoingEmail.objects.select_related("to").get(pk=email_id)
    if not email.to.is_active or not email.to.email:
        OutgoingEmail.objects.filter(pk=email_id).update(outcome="skipped: the person left")
        return "skipped"
    try:
        send_templated_email(to=email.to, template=email.template, context=email.context)
    except Exception as exc:
        OutgoingEmail.objects.filter(pk=email_id).update(sent_at=None, outcome=f"failed: {exc}"[:200])
        raise
    OutgoingEmail.objects.filter(pk=email_id).update(outcome="sent")
    return "sent"


def emails_requeue_stale(*, older_than: dt.timedelta, now: dt.datetime, limit: int = 5000) -> int:
    """The sweep: queue outbox emails nobody queued (or re-queued) for ``older_than`` (the
    broker was down, a message was lost)."""
    unsent = OutgoingEmail.objects.filter(sent_at__isnull=True)
    return emails_dispatch(queueing.stale_ids(unsent, since="created_at", older_than=older_than, now=now, limit=limit))
