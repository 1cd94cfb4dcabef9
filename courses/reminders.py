"""Reminder emails before a course starts and before an application deadline (issue 13).

Run once a day by celery beat (``courses.tasks.enrolment_reminders_task``), and safe to run
any number of times: each enrolment gets each kind of reminder at most once, recorded as an
:class:`~courses.models.EnrolmentReminder` row written in the same transaction as the emails
(the outbox, ``staff.emails``), so a second run, a duplicate task or two runs at the same moment
write nothing more (the unique constraint decides; the loser finds the row).

What each kind means for a city employee:

- **Course start** (to the staff member): an approved enrolment whose course starts within
  ``PORTAL_COURSE_START_REMINDER_DAYS`` days (default 7), with the dates, the provider, a
  link to the course page and the ``.ics`` calendar file.
- **Application deadline** (to the head of section): staff cannot keep a request as a draft
  (a request is sent the moment it is made) and there is no list of saved courses, so the
  only request that can still miss an application deadline is one awaiting the head of
  section's recommendation. When a course's applications close within
  ``PORTAL_APPLICATION_DEADLINE_REMINDER_DAYS`` days (default 3) and a request made before
  today still awaits the head, each of the person's heads gets one email per course listing
  their staff's requests for it. A request made today is left alone: the head was emailed
  about it a moment ago (``enrolment-review-request``).

Both respect the recipient's choice on their profile (``StaffMember.email_reminders``), and
people who left (inactive) or have no address get nothing. Emails are rendered in each
recipient's language when they are sent.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from staff.emails import emails_send_many_on_commit
from staff.models import StaffMember

from .models import Enrolment, EnrolmentReminder, EnrolmentState
from .selectors import heads_of_section_for

logger = logging.getLogger(__name__)

COURSE_START_TEMPLATE = "course-starting"
DEADLINE_TEMPLATE = "application-deadline"
#: Enrolments handled per run and kind (a day's reminders are far fewer; the rest go tomorrow).
LIMIT = 5000


def _wants_reminders(person: StaffMember) -> bool:
    return person.is_active and bool(person.email) and person.email_reminders


def _url(name: str, *args: Any) -> str:
    return settings.PORTAL_BASE_URL + reverse(name, args=args)


def _not_reminded(kind: str) -> Exists:
    return Exists(EnrolmentReminder.objects.filter(enrolment=OuterRef("pk"), kind=kind))


def _claim(enrolment: Enrolment, kind: str) -> EnrolmentReminder | None:
    """The reminder's row if this call created it; None if another run did (the caller holds
    a transaction: the row and the emails commit together or not at all)."""
    reminder, created = EnrolmentReminder.objects.get_or_create(enrolment=enrolment, kind=kind)
    return reminder if created else None


def course_start_remind(*, today: dt.date, days: int) -> int:
    """Email each staff member whose approved course starts in [today, today + days]; returns
    the number of emails written. People who turned reminders off are not claimed, so turning
    them back on before the course starts still brings the reminder."""
    kind = EnrolmentReminder.Kind.COURSE_START
    due = (
        Enrolment.objects.filter(
            state=EnrolmentState.APPROVED,
            course__starts_on__gte=today,
            course__starts_on__lte=today + dt.timedelta(days=days),
            staff__is_active=True,
            staff__email_reminders=True,
        )
        .exclude(staff__email="")
        .exclude(_not_reminded(kind))
        .select_related("staff", "course", "course__provider")
        .order_by("course__starts_on", "pk")[:LIMIT]
    )
    written = 0
    for enrolment in due:
        course, provider = enrolment.course, enrolment.course.provider
        with transaction.atomic():
            reminder = _claim(enrolment, kind)
            if reminder is None:
                continue
            context = {
                "course_code": course.code,
                "course_title": course.title,
                "course_title_en": course.title_en,
                "provider_name": provider.name,
                "provider_name_en": provider.name_en,
                "starts_on": course.starts_on.isoformat() if course.starts_on else "",
                "ends_on": course.ends_on.isoformat() if course.ends_on else "",
                "course_url": _url("courses:detail", course.code),
                "calendar_url": _url("courses:calendar", enrolment.pk),
                "url": _url("courses:my_learning"),
                "profile_url": _url("staff:profile"),
            }
            emails_send_many_on_commit([(enrolment.staff, COURSE_START_TEMPLATE, context)])
            EnrolmentReminder.objects.filter(pk=reminder.pk).update(emails=1)
            written += 1
    return written


def application_deadline_remind(*, today: dt.date, days: int) -> int:
    """Email heads of section about their staff's requests still awaiting their recommendation
    when the course's applications close in [today, today + days]; one email per head and
    course. Returns the number of emails written."""
    kind = EnrolmentReminder.Kind.APPLICATION_DEADLINE
    start_of_today = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    due = list(
        Enrolment.objects.filter(
            state=EnrolmentState.REQUESTED,
            requested_at__lt=start_of_today,
            course__application_closes_on__gte=today,
            course__application_closes_on__lte=today + dt.timedelta(days=days),
            staff__is_active=True,
        )
        .exclude(_not_reminded(kind))
        .select_related("staff", "staff__department", "course")
        .order_by("course__application_closes_on", "course__code", "requested_at", "pk")[:LIMIT]
    )
    if not due:
        return 0
    written = 0
    # One transaction for the run: every claim and every email commit together; a second run at
    # the same moment waits on the unique index and then finds the claims.
    with transaction.atomic():
        # (head, course) → the claimed requests; a person with two heads appears under both.
        groups: dict[tuple[int, int], list[Enrolment]] = defaultdict(list)
        heads: dict[int, StaffMember] = {}
        claimed: dict[int, EnrolmentReminder] = {}
        for enrolment in due:
            reminder = _claim(enrolment, kind)
            if reminder is None:
                continue
            claimed[enrolment.pk] = reminder
            for head in heads_of_section_for(enrolment.staff):
                if _wants_reminders(head):
                    heads[head.pk] = head
                    groups[(head.pk, enrolment.course_id)].append(enrolment)
        messages = []
        emails_per_enrolment: dict[int, int] = defaultdict(int)
        for (head_pk, _course_pk), enrolments in groups.items():
            course = enrolments[0].course
            context = {
                "course_code": course.code,
                "course_title": course.title,
                "course_title_en": course.title_en,
                "closes_on": course.application_closes_on.isoformat() if course.application_closes_on else "",
                "starts_on": course.starts_on.isoformat() if course.starts_on else "",
                "items": [{"staff_name": e.staff.full_name} for e in enrolments],
                "count": len(enrolments),
                "url": _url("courses:approvals"),
                "profile_url": _url("staff:profile"),
            }
            messages.append((heads[head_pk], DEADLINE_TEMPLATE, context))
            for e in enrolments:
                emails_per_enrolment[e.pk] += 1
        emails_send_many_on_commit(messages)
        for enrolment_pk, count in emails_per_enrolment.items():
            EnrolmentReminder.objects.filter(pk=claimed[enrolment_pk].pk).update(emails=count)
        written = len(messages)
    return written


def reminders_send(*, today: dt.date | None = None) -> dict[str, int]:
    """Both kinds of reminder for ``today`` (Japan time); returns the emails written per kind."""
    today = today or timezone.localdate()
    sent = {
        "course_start": course_start_remind(today=today, days=settings.PORTAL_COURSE_START_REMINDER_DAYS),
        "application_deadline": application_deadline_remind(
            today=today, days=settings.PORTAL_APPLICATION_DEADLINE_REMINDER_DAYS
        ),
    }
    if any(sent.values()):
        logger.info("Reminders for %s: %s", today.isoformat(), sent)
    return sent
