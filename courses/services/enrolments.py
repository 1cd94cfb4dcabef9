"""One service per enrolment transition: the person's request and withdrawal, the head of
section's recommendation or refusal, HR's decisions and results, and the waiting list."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext

from staff.emails import email_send_on_commit
from staff.models import StaffMember

from ..holdings import skill_holdings_refresh
from ..models import SEAT_STATES, Course, Enrolment, EnrolmentEvent, EnrolmentState
from ..notifications import hr_notify_recommended
from ..selectors import heads_of_section_for
from .awards import _request_awards
from .base import (
    EnrolmentError,
    EnrolmentPermissionError,
    _completion_date_note,
    _date,
    _has_free_seat,
    _join,
    _lock,
    _move,
    _notify,
    _promote_waitlisted,
    _refusal,
    _refuse_future,
    _require_head_of,
    _require_hr,
    _sync,
    _today,
    service,
)

S = EnrolmentState


# --- Staff --------------------------------------------------------------------------------


@service
def enrolment_request(
    *, staff: StaffMember, course: Course, use_type: str, reason: str, today: dt.date | None = None
) -> Enrolment:
    """A staff member asks for a course. The request goes to their head of section.

    A full course can still be requested: HR's approval then puts it on the waiting list.
    """
    today = today or _today()
    reason = reason.strip()
    if not staff.is_active:
        raise EnrolmentError(gettext("Your account is not active."))
    if not course.is_published:
        raise EnrolmentError(gettext("This course is not in the catalogue."))
    if course.application_opens_on and today < course.application_opens_on:
        raise EnrolmentError(
            gettext("Applications for this course open on %(date)s.") % {"date": _date(course.application_opens_on)}
        )
    if course.application_closes_on and today > course.application_closes_on:
        raise EnrolmentError(
            gettext("Applications for this course closed on %(date)s.") % {"date": _date(course.application_closes_on)}
        )
    if use_type not in course.use_types:
        raise EnrolmentError(gettext("This course cannot be taken for this use type."))
    if not reason:
        raise EnrolmentError(gettext("Please write a short reason."))
    already = gettext("You have already requested this course. Its status is in My learning.")
    if Enrolment.objects.active().filter(staff=staff, course=course).exists():
        raise EnrolmentError(already)
    try:
        with transaction.atomic():
            enrolment = Enrolment.objects.create(
                staff=staff,
                course=course,
                use_type=use_type,
                reason=reason,
                cost=course.cost,
                city_subsidy=course.city_subsidy,
                staff_share=course.staff_share,
            )
    except IntegrityError as exc:
        # The same request submitted twice at the same moment: the constraint kept one.
        raise EnrolmentError(already) from exc
    EnrolmentEvent.objects.create(enrolment=enrolment, from_state="", to_state=S.REQUESTED, actor=staff, comment=reason)
    for head in heads_of_section_for(staff):
        email_send_on_commit(
            to=head,
            template="enrolment-review-request",
            context={
                "staff_name": staff.full_name,
                "course_code": course.code,
                "course_title": course.title,
                "course_title_en": course.title_en,
                "reason": reason,
                "url": settings.PORTAL_BASE_URL + reverse("courses:approvals"),
            },
        )
    return enrolment


@service
def enrolment_withdraw(
    *, enrolment: Enrolment, actor: StaffMember, comment: str = "", today: dt.date | None = None
) -> Enrolment:
    """The person withdraws: while pending, or once approved but before the course starts.

    A seat given back goes to the first person on the waiting list.
    """
    if actor.pk != enrolment.staff_id:
        raise EnrolmentPermissionError(gettext("Only the person who made the request can withdraw it."))
    course, fresh = _lock(enrolment)
    if fresh.state == S.APPROVED and course.has_started(today or _today()):
        raise EnrolmentError(gettext("The course has started; please contact HR (training desk) to cancel."))
    held_seat = fresh.state in SEAT_STATES
    _move(fresh, S.WITHDRAWN, actor=actor, comment=comment.strip())
    if held_seat:
        _promote_waitlisted(course)
    _sync(enrolment, fresh)
    return fresh


# --- Head of section ------------------------------------------------------------------------


@service
def enrolment_recommend(
    *, enrolment: Enrolment, actor: StaffMember, comment: str = "", notify_hr: bool = True
) -> Enrolment:
    """The head of section releases the person for the course; the request goes to HR, which is
    told by email (``courses.notifications``; ``notify_hr=False`` when the caller tells HR of a
    whole batch at once)."""
    _require_head_of(actor, enrolment.staff_id)
    _course, fresh = _lock(enrolment)
    _move(fresh, S.RECOMMENDED, actor=actor, comment=comment.strip())
    _notify(fresh, comment.strip())
    _sync(enrolment, fresh)
    if notify_hr:
        hr_notify_recommended(enrolments=[enrolment], head=actor, comment=comment.strip())
    return fresh


@service
def enrolment_decline(*, enrolment: Enrolment, actor: StaffMember, comment: str) -> Enrolment:
    """The head of section declines a new request, saying why."""
    _require_head_of(actor, enrolment.staff_id)
    comment = comment.strip()
    if not comment:
        raise EnrolmentError(gettext("Please say why you decline the request."))
    _course, fresh = _lock(enrolment)
    if fresh.state != S.REQUESTED:
        raise EnrolmentError(
            gettext("Only a new request can be declined by the head of section; this one is “%(state)s”.")
            % {"state": S(fresh.state).label}
        )
    _move(fresh, S.REJECTED, actor=actor, comment=comment)
    _notify(fresh, comment)
    _sync(enrolment, fresh)
    return fresh


# --- HR -----------------------------------------------------------------------------------


@service
def enrolment_approve(*, enrolment: Enrolment, actor: StaffMember | None, comment: str = "") -> Enrolment:
    """HR approves: the person gets a seat, or a place on the waiting list when the course is full.

    1. Lock the course row. Every approval of this course waits here for the one before it.
    2. Lock the enrolment and check it is recommended (or waiting).
    3. Count the seats held (approved, completed, not completed) under the lock, so no other
       approval can slip in between the count and the write: no course is ever over capacity.
    4. A free seat: approved. Full: waitlisted (a waiting enrolment stays waiting; that is refused).
    """
    _require_hr(actor)
    course, fresh = _lock(enrolment)
    if fresh.state not in (S.RECOMMENDED, S.WAITLISTED):
        raise _refusal(fresh, S.APPROVED)
    comment = comment.strip()
    if _has_free_seat(course):
        _move(fresh, S.APPROVED, actor=actor, comment=comment)
    elif fresh.state == S.WAITLISTED:
        raise EnrolmentError(gettext("The course is still full; this enrolment stays on the waiting list."))
    else:
        _move(fresh, S.WAITLISTED, actor=actor, comment=comment)
    _notify(fresh, comment)
    _sync(enrolment, fresh)
    return fresh


@service
def enrolment_reject(*, enrolment: Enrolment, actor: StaffMember | None, reason: str) -> Enrolment:
    """HR rejects a pending enrolment, or cancels an approved seat, with a reason.

    A cancelled seat goes to the first person on the waiting list.
    """
    _require_hr(actor)
    reason = reason.strip()
    if not reason:
        raise EnrolmentError(gettext("Please give a reason for the rejection."))
    course, fresh = _lock(enrolment)
    held_seat = fresh.state in SEAT_STATES
    _move(fresh, S.REJECTED, actor=actor, comment=reason)
    _notify(fresh, reason)
    if held_seat:
        _promote_waitlisted(course)
    _sync(enrolment, fresh)
    return fresh


@service
def enrolment_complete(
    *,
    enrolment: Enrolment,
    actor: StaffMember | None,
    completed_on: dt.date | None = None,
    grade: str = "",
    result_note: str = "",
    comment: str = "",
    date_reason: str = "",
) -> bool:
    """Record that the person completed the course; returns True if anything changed.

    1. First completion: the state becomes completed and, in the same transaction, the badge
       app's outbox gets its award request (course badge, and programme badge if this was the
       last course of a programme); its task is queued after the commit.
    2. Already completed: a different grade or date corrects the record (and is recorded in
       the history); the same values change nothing. No second award is ever requested.

    The date is checked under the lock (``_completion_date_note``): never in the future, and
    before the course starts only with ``date_reason``, which the history records.
    """
    _require_hr(actor)
    today = _today()
    completed_on = completed_on or today
    _refuse_future(completed_on, today)  # before taking any lock: the same refusal whatever the course
    grade, result_note = grade.strip(), result_note.strip()
    course, fresh = _lock(enrolment)
    if fresh.state == S.COMPLETED:
        changed = (fresh.grade, fresh.result_note, fresh.completed_on) != (grade, result_note, completed_on)
        if changed:
            date_note = ""
            if completed_on != fresh.completed_on:
                date_note = _completion_date_note(
                    course=course, completed_on=completed_on, today=today, date_reason=date_reason
                )
            fresh.grade, fresh.result_note, fresh.completed_on = grade, result_note, completed_on
            fresh.save()
            EnrolmentEvent.objects.create(
                enrolment=fresh,
                from_state=S.COMPLETED,
                to_state=S.COMPLETED,
                actor=actor,
                comment=_join(
                    comment.strip() or gettext("Result corrected: %(grade)s") % {"grade": grade or "—"}, date_note
                ),
            )
            skill_holdings_refresh(staff_ids=[fresh.staff_id])  # the first completion date may move
        _sync(enrolment, fresh)
        return changed
    if not fresh.can_become(S.COMPLETED):
        raise _refusal(fresh, S.COMPLETED)
    date_note = _completion_date_note(course=course, completed_on=completed_on, today=today, date_reason=date_reason)
    fresh.grade, fresh.result_note, fresh.completed_on = grade, result_note, completed_on
    _move(fresh, S.COMPLETED, actor=actor, comment=_join(comment.strip(), date_note))
    _request_awards([fresh])
    skill_holdings_refresh(staff_ids=[fresh.staff_id])
    _notify(fresh, comment.strip())
    _sync(enrolment, fresh)
    return True


@service
def enrolment_mark_not_completed(*, enrolment: Enrolment, actor: StaffMember | None, comment: str = "") -> Enrolment:
    """Record that the person did not complete the course (the seat stays used)."""
    _require_hr(actor)
    _course, fresh = _lock(enrolment)
    _move(fresh, S.NOT_COMPLETED, actor=actor, comment=comment.strip())
    _notify(fresh, comment.strip())
    _sync(enrolment, fresh)
    return fresh


def enrolment_result_refusal(
    *,
    enrolment: Enrolment,
    course: Course,
    to_state: str,
    completed_on: dt.date | None = None,
    grade: str = "",
    result_note: str = "",
    date_reason: str = "",
    today: dt.date | None = None,
) -> EnrolmentError | None:
    """What ``enrolment_complete`` (``to_state`` completed) or ``enrolment_mark_not_completed``
    would refuse for ``enrolment`` as it stands, without writing or locking anything: the
    grade report's preview checks thousands of lines with it (courses/resources/grade_report.py). The same
    rules in the same order as the services; the caller checks the actor (``_require_hr``) once."""
    today = today or _today()
    try:
        if to_state == S.NOT_COMPLETED:
            if not enrolment.can_become(S.NOT_COMPLETED):
                raise _refusal(enrolment, S.NOT_COMPLETED)
            return None
        completed_on = completed_on or today
        _refuse_future(completed_on, today)
        if enrolment.state == S.COMPLETED:
            current = (enrolment.grade, enrolment.result_note, enrolment.completed_on)
            if current != (grade.strip(), result_note.strip(), completed_on) and completed_on != enrolment.completed_on:
                _completion_date_note(course=course, completed_on=completed_on, today=today, date_reason=date_reason)
            return None
        if not enrolment.can_become(S.COMPLETED):
            raise _refusal(enrolment, S.COMPLETED)
        _completion_date_note(course=course, completed_on=completed_on, today=today, date_reason=date_reason)
    except EnrolmentError as exc:
        return exc
    return None


def enrolment_actor_refusal(actor: StaffMember | None) -> EnrolmentError | None:
    """Why ``actor`` may not record results (None if they may), as the services would refuse."""
    try:
        _require_hr(actor)
    except EnrolmentError as exc:
        return exc
    return None


@service
def waitlist_promote(*, course: Course) -> list[Enrolment]:
    """Give free seats to the waiting list (after HR raised the capacity, for example)."""
    locked = Course.objects.select_for_update().get(pk=course.pk)
    return _promote_waitlisted(locked)
