"""Telling HR (training desk) that requests await its decision.

When a head of section recommends, HR is the next to act, so the members of the ``hr`` group
are emailed through the outbox (``staff.emails``), each in their own language. The
``PORTAL_HR_NOTIFY`` setting chooses how:

- ``each`` (default): one email per recommendation, written in the recommendation's own
  transaction; a head's bulk recommendation sends one email listing all of them;
- ``daily``: one digest a day listing every request awaiting HR (:func:`hr_digest_send`, run
  hourly by celery beat; it sends at the first run after ``PORTAL_HR_DIGEST_HOUR``);
- ``off``: no email (HR works from the admin's "awaiting HR" filter).

We email the people in the ``hr`` group rather than a shared mailbox address: the outbox
writes one row per staff member (language, "left the city" check, retries), and HR's
membership is already kept on the record by ``staff.services.role_grant``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from staff import roles
from staff.emails import emails_send_many_on_commit
from staff.models import OutgoingEmail, StaffMember

from .models import Enrolment, EnrolmentState

logger = logging.getLogger(__name__)

RECOMMENDED_TEMPLATE = "enrolment-recommended"
DIGEST_TEMPLATE = "hr-digest"
#: Requests listed in one digest; the rest are counted and are in the admin's list.
DIGEST_LIMIT = 50


def hr_recipients() -> list[StaffMember]:
    """Active members of the ``hr`` group with an email address, in a stable order."""
    return list(
        StaffMember.objects.filter(is_active=True, groups__name=roles.HR).exclude(email="").distinct().order_by("pk")
    )


def awaiting_hr_url() -> str:
    """The admin's enrolment list filtered to the recommended requests (HR's next decisions)."""
    return settings.PORTAL_BASE_URL + reverse("admin:courses_enrolment_changelist") + "?state=recommended"


def _item(enrolment: Enrolment, now: dt.datetime | None = None) -> dict[str, Any]:
    """One request, as plain JSON values (the context travels through the outbox and the broker)."""
    staff, course = enrolment.staff, enrolment.course
    department = staff.department
    item: dict[str, Any] = {
        "staff_name": staff.full_name,
        "department": department.name if department else "",
        "department_en": (department.name_en if department else "") or "",
        "course_code": course.code,
        "course_title": course.title,
        "course_title_en": course.title_en,
    }
    if now is not None and enrolment.recommended_at:
        item["waiting_days"] = max(0, (timezone.localdate(now) - timezone.localdate(enrolment.recommended_at)).days)
    return item


def hr_notify_recommended(*, enrolments: Iterable[Enrolment], head: StaffMember, comment: str = "") -> int:
    """Write HR's email about requests ``head`` has just recommended into the outbox (in the
    caller's transaction, sent after its commit). Does nothing unless PORTAL_HR_NOTIFY=each.
    Returns the number of emails written."""
    if settings.PORTAL_HR_NOTIFY != "each":
        return 0
    items = [_item(e) for e in enrolments]
    if not items:
        return 0
    context = {
        "head_name": head.full_name,
        "comment": comment,
        "items": items,
        "count": len(items),
        "url": awaiting_hr_url(),
    }
    recipients = [r for r in hr_recipients() if r.pk != head.pk]
    emails = emails_send_many_on_commit([(r, RECOMMENDED_TEMPLATE, context) for r in recipients])
    return len(emails)


def _digest_due(now: dt.datetime) -> bool:
    return timezone.localtime(now).hour >= settings.PORTAL_HR_DIGEST_HOUR


def hr_digest_send(*, now: dt.datetime | None = None, force: bool = False) -> int:
    """Send each HR member one digest of the requests awaiting HR for today (Japan time).

    Idempotent: the day's digest is an outbox row (template ``hr-digest``, ``context.day``); each
    recipient's row is locked while we look for it, so two runs at the same moment, or a second
    run the same day, write nothing more. Nothing is sent when nothing awaits HR, before
    ``PORTAL_HR_DIGEST_HOUR`` (unless ``force``), or unless PORTAL_HR_NOTIFY=daily.
    Returns the number of digests written.
    """
    now = now or timezone.now()
    if settings.PORTAL_HR_NOTIFY != "daily" or not (force or _digest_due(now)):
        return 0
    day = timezone.localdate(now).isoformat()
    awaiting = (
        # Recommended only: a waiting-list place moves up by itself when a seat is freed.
        Enrolment.objects.filter(state=EnrolmentState.RECOMMENDED)
        .select_related("staff", "staff__department", "course")
        .order_by("recommended_at", "pk")
    )
    total = awaiting.count()
    if not total:
        return 0
    items = [_item(e, now) for e in awaiting[:DIGEST_LIMIT]]
    context = {
        "day": day,
        "day_on": day,  # revived as a date, formatted in the recipient's language
        "items": items,
        "count": total,
        "more": max(0, total - len(items)),
        "url": awaiting_hr_url(),
    }
    written = 0
    for recipient in hr_recipients():
        with transaction.atomic():
            # The lock serialises concurrent runs for this recipient; the second finds the row.
            StaffMember.objects.select_for_update().filter(pk=recipient.pk).first()
            if OutgoingEmail.objects.filter(to=recipient, template=DIGEST_TEMPLATE, context__day=day).exists():
                continue
            emails_send_many_on_commit([(recipient, DIGEST_TEMPLATE, context)])
            written += 1
    if written:
        logger.info("HR digest for %s: %s requests awaiting HR, %s emails", day, total, written)
    return written
