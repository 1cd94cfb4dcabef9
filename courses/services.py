"""Writes for courses and enrolments. Views, admin actions, imports and the demo call these.

Every enrolment transition is one function here. Each one checks who may act, locks what it
changes, refuses illegal transitions with an :class:`EnrolmentError` whose message can be
shown to the person as it is, records an :class:`EnrolmentEvent`, and sends its emails only
after the transaction commits.

Lock order, everywhere: the course row first, then the enrolment row. Approvals of one
course therefore run one after another, and no two transactions wait on each other in a cycle.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from badges.models import BadgeClass
from badges.services import AwardRequest, awards_request_many
from hachioji_portal.organisation import organisation
from staff.emails import email_send_on_commit, emails_send_many_on_commit
from staff.models import StaffMember
from staff.selectors import is_hr, staff_headed_by

from .holdings import (
    skill_holdings_refresh,
    skill_holdings_refresh_for_courses,
    skill_holdings_refresh_for_programmes,
)
from .learning import learning_years_refresh, learning_years_refresh_for_courses
from .models import (
    SEAT_STATES,
    WAITLIST_ORDER,
    Course,
    CourseSkill,
    Enrolment,
    EnrolmentEvent,
    EnrolmentState,
    Programme,
    Skill,
)
from .notifications import hr_notify_recommended
from .selectors import heads_of_section_for
from .skill_framework import skill_public_url

logger = logging.getLogger(__name__)

S = EnrolmentState


class EnrolmentError(Exception):
    """An action the rules refuse. ``message`` is translated and can be shown as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class EnrolmentPermissionError(EnrolmentError):
    """The person acting may not take this decision (views answer 403)."""


# One full sentence per refused target state, so that translations read naturally.
_REFUSALS = {
    S.RECOMMENDED: _("Only a new request can be recommended; this one is “%(state)s”."),
    S.APPROVED: _("Only a recommended or waiting-list enrolment can be approved; this one is “%(state)s”."),
    S.WAITLISTED: _("Only a recommended enrolment can be put on the waiting list; this one is “%(state)s”."),
    S.REJECTED: _("This enrolment is “%(state)s” and can no longer be rejected."),
    S.WITHDRAWN: _("This enrolment is “%(state)s” and can no longer be withdrawn."),
    S.COMPLETED: _("Only an approved enrolment can be marked completed; this one is “%(state)s”."),
    S.NOT_COMPLETED: _("Only an approved enrolment can be marked not completed; this one is “%(state)s”."),
}


def _refusal(enrolment: Enrolment, to_state: str) -> EnrolmentError:
    label = S(enrolment.state).label
    return EnrolmentError(str(_REFUSALS[S(to_state)]) % {"state": label})


def _today() -> dt.date:
    return timezone.localdate()


def _date(day: dt.date | None) -> str:
    return formats.date_format(day, "DATE_FORMAT") if day else ""


def _refuse_future(completed_on: dt.date, today: dt.date) -> None:
    if completed_on > today:
        raise EnrolmentError(gettext("The completion date cannot be in the future."))


def _completion_date_note(*, course: Course, completed_on: dt.date, today: dt.date, date_reason: str) -> str:
    """Check a completion date against the calendar and the course; return what the history records.

    The badge states this date as the day of achievement, so it must be plausible:

    * never in the future (a badge cannot attest what has not happened yet);
    * not before the course starts, unless HR gives a reason (a course moved earlier than the
      catalogue says, credit for an equivalent course taken before); the reason is returned,
      with the dates, for the enrolment's history.

    ``course`` is the locked row, so the start date is the one the decision is taken against.
    """
    _refuse_future(completed_on, today)
    if course.starts_on is None or completed_on >= course.starts_on:
        return ""
    reason = date_reason.strip()
    if not reason:
        raise EnrolmentError(
            gettext(
                "The completion date %(date)s is before the course starts (%(start)s). Correct the date, "
                "or give the reason for this date (on the enrolment's page or in the action's form)."
            )
            % {"date": _date(completed_on), "start": _date(course.starts_on)}
        )
    return gettext("Completion date %(date)s is before the course start (%(start)s): %(reason)s") % {
        "date": _date(completed_on),
        "start": _date(course.starts_on),
        "reason": reason,
    }


def _join(*parts: str) -> str:
    return " / ".join(p for p in parts if p)


# --- Permissions ------------------------------------------------------------------------


def _require_hr(actor: StaffMember | None) -> None:
    """``None`` is the system itself (demo seed, waiting-list promotion)."""
    if actor is not None and not is_hr(actor):
        raise EnrolmentPermissionError(gettext("Only HR (training desk) can take this decision."))


def _require_head_of(actor: StaffMember, staff_id: int) -> None:
    if not staff_headed_by(actor).filter(pk=staff_id).exists():
        raise EnrolmentPermissionError(gettext("You are not the head of section of this staff member."))


# --- Internals ----------------------------------------------------------------------------


def _lock(enrolment: Enrolment) -> tuple[Course, Enrolment]:
    """Lock the course, then the enrolment (see the module docstring), and return fresh rows."""
    course = Course.objects.select_for_update().get(pk=enrolment.course_id)
    fresh = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    fresh.course = course
    return course, fresh


def _sync(target: Enrolment, source: Enrolment) -> None:
    """Let the caller's object see what the service did."""
    for f in Enrolment._meta.concrete_fields:
        setattr(target, f.attname, getattr(source, f.attname))


def _move(enrolment: Enrolment, to_state: str, *, actor: StaffMember | None, comment: str = "") -> EnrolmentEvent:
    """Apply one allowed transition and record it. The caller holds the locks."""
    if not enrolment.can_become(to_state):
        raise _refusal(enrolment, to_state)
    now = timezone.now()
    from_state = enrolment.state
    enrolment.state = to_state
    if to_state == S.RECOMMENDED:
        enrolment.recommended_at = now
    elif to_state in (S.APPROVED, S.WAITLISTED, S.REJECTED):
        enrolment.decided_at = now
    enrolment.save()
    if (from_state in SEAT_STATES) != (to_state in SEAT_STATES):
        # A seat taken or given up: the human-capital report's rows (a completion refreshes
        # them with the skill holdings; completed is final).
        learning_years_refresh(staff_ids=[enrolment.staff_id])
    return EnrolmentEvent.objects.create(
        enrolment=enrolment, from_state=from_state, to_state=to_state, actor=actor, comment=comment, at=now
    )


def _has_free_seat(course: Course) -> bool:
    if course.capacity is None:
        return True
    return Enrolment.objects.filter(course=course, state__in=SEAT_STATES).count() < course.capacity


def _email_context(enrolment: Enrolment, comment: str = "", **extra: Any) -> dict[str, Any]:
    course = enrolment.course
    return {
        "state": enrolment.state,
        "course_code": course.code,
        "course_title": course.title,
        "course_title_en": course.title_en,
        "starts_on": course.starts_on.isoformat() if course.starts_on else "",
        "ends_on": course.ends_on.isoformat() if course.ends_on else "",
        "completed_on": enrolment.completed_on.isoformat() if enrolment.completed_on else "",
        "grade": enrolment.grade,
        "result_note": enrolment.result_note,
        "staff_share": enrolment.staff_share,
        "comment": comment,
        "url": settings.PORTAL_BASE_URL + reverse("courses:my_learning"),
        **extra,
    }


def _notify(enrolment: Enrolment, comment: str = "", **extra: Any) -> None:
    email_send_on_commit(
        to=enrolment.staff, template="enrolment-decision", context=_email_context(enrolment, comment, **extra)
    )


def _promote_waitlisted(course: Course) -> list[Enrolment]:
    """Fill free seats from the waiting list, first come first served. The caller holds the course lock.

    Order: when the head of section recommended it, then when it was requested.
    """
    promoted: list[Enrolment] = []
    while _has_free_seat(course):
        nxt = (
            Enrolment.objects.select_for_update()
            .filter(course=course, state=S.WAITLISTED)
            .order_by(*WAITLIST_ORDER)
            .first()
        )
        if nxt is None:
            break
        nxt.course = course
        _move(nxt, S.APPROVED, actor=None)
        _notify(nxt, promoted=True)
        promoted.append(nxt)
    return promoted


def _evidence(enrolment: Enrolment) -> dict[str, Any]:
    """What the award's badge says was completed. The grade is kept apart (``result``): the
    badge states it only where its class publishes grades (badges/grades.py)."""
    course = enrolment.course
    narrative = gettext("Completed “%(title)s” (%(provider)s, %(term)s).") % {
        "title": course.title,
        "provider": course.provider.name,
        "term": course.term or _date(course.starts_on),
    }
    return {
        "name": course.title,
        "narrative": narrative,
        "genre": "Course",
        "course_code": course.code,
        "result": enrolment.grade,
        "completed_on": (enrolment.completed_on or _today()).isoformat(),
    }


# --- Staff --------------------------------------------------------------------------------


@transaction.atomic
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


@transaction.atomic
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


@transaction.atomic
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


@transaction.atomic
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


@transaction.atomic
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


@transaction.atomic
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


@transaction.atomic
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


@transaction.atomic
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
    grade report's preview checks thousands of lines with it (courses/resources.py). The same
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


@transaction.atomic
def waitlist_promote(*, course: Course) -> list[Enrolment]:
    """Give free seats to the waiting list (after HR raised the capacity, for example)."""
    locked = Course.objects.select_for_update().get(pk=course.pk)
    return _promote_waitlisted(locked)


# --- Bulk (HR's admin actions): each enrolment in its own transaction ---------------------


@dataclass
class BulkOutcome:
    done: list[Enrolment] = field(default_factory=list)
    waitlisted: list[Enrolment] = field(default_factory=list)
    unchanged: list[Enrolment] = field(default_factory=list)
    errors: list[tuple[Enrolment, str]] = field(default_factory=list)


def _each(enrolments: Iterable[Enrolment], action: Callable[[Enrolment], Any], outcome: BulkOutcome) -> BulkOutcome:
    # Oldest first, so that a full course seats the people who waited longest.
    for enrolment in sorted(enrolments, key=lambda e: (e.recommended_at or e.requested_at, e.pk)):
        try:
            action(enrolment)
        except EnrolmentError as exc:
            outcome.errors.append((enrolment, exc.message))
    return outcome


def enrolments_bulk_approve(*, enrolments: Iterable[Enrolment], actor: StaffMember) -> BulkOutcome:
    outcome = BulkOutcome()

    def approve(e: Enrolment) -> None:
        result = enrolment_approve(enrolment=e, actor=actor)
        (outcome.done if result.state == S.APPROVED else outcome.waitlisted).append(result)

    return _each(enrolments, approve, outcome)


def enrolments_bulk_reject(*, enrolments: Iterable[Enrolment], actor: StaffMember, reason: str) -> BulkOutcome:
    outcome = BulkOutcome()
    return _each(
        enrolments, lambda e: outcome.done.append(enrolment_reject(enrolment=e, actor=actor, reason=reason)), outcome
    )


def enrolments_bulk_recommend(*, enrolments: Iterable[Enrolment], actor: StaffMember, comment: str = "") -> BulkOutcome:
    """The head of section recommends several requests at once (the approvals page).

    One transaction per request, each taking the module's lock order (its course, then the
    enrolment), as HR's bulk actions do: a batch never holds two course locks at once, so it
    cannot deadlock with an approval of another course, and one request that cannot be
    recommended (withdrawn meanwhile, decided by another head) does not hold up the others.
    A request already recommended is ``unchanged`` (a second submit of the same form changes
    nothing and sends nothing); any other refusal is in ``errors`` with its reason.
    HR gets one email for the whole batch, written after the last recommendation.
    """
    outcome = BulkOutcome()
    for enrolment in sorted(enrolments, key=lambda e: (e.requested_at, e.pk)):
        try:
            enrolment_recommend(enrolment=enrolment, actor=actor, comment=comment, notify_hr=False)
            outcome.done.append(enrolment)  # the caller's object, now recommended (with its staff loaded)
        except EnrolmentError as exc:
            state = Enrolment.objects.filter(pk=enrolment.pk).values_list("state", flat=True).first()
            if state == S.RECOMMENDED and not isinstance(exc, EnrolmentPermissionError):
                outcome.unchanged.append(enrolment)
            else:
                outcome.errors.append((enrolment, exc.message))
    if outcome.done:
        with transaction.atomic():
            hr_notify_recommended(enrolments=outcome.done, head=actor, comment=comment.strip())
    return outcome


#: Enrolments per transaction in a bulk completion: the first badges are being issued while
#: later chunks are still being written, and a failure loses at most one chunk's work.
COMPLETE_CHUNK = 500


def enrolments_bulk_complete(
    *,
    enrolments: Iterable[Enrolment],
    actor: StaffMember,
    completed_on: dt.date | None = None,
    grade: str = "",
    result_note: str = "",
    date_reason: str = "",
) -> BulkOutcome:
    """Mark many enrolments completed (HR's admin action): what ``enrolment_complete`` does for
    one, set-based, ``COMPLETE_CHUNK`` enrolments per transaction. The same date rule applies
    to each (``_completion_date_note``): a course that starts after the date is refused for
    that enrolment unless ``date_reason`` is given, and then the reason is in its history.

    Per chunk: lock its courses then its enrolments (the module's lock order), refuse those
    that cannot be completed (each with its reason), write the new states, their history, the
    award requests and the "completed" emails with a few INSERTs and one UPDATE, and queue the
    badges and emails in batches after the commit. Enrolments already completed go through
    ``enrolment_complete`` one by one (a corrected grade or date, or nothing). 10,000
    completions are about twenty transactions instead of 10,000.
    """
    _require_hr(actor)
    outcome = BulkOutcome()
    ordered = sorted(enrolments, key=lambda e: (e.recommended_at or e.requested_at, e.pk))
    today = _today()
    completed_on = completed_on or today
    try:
        _refuse_future(completed_on, today)
    except EnrolmentError as exc:
        outcome.errors.extend((e, exc.message) for e in ordered)
        return outcome
    for start in range(0, len(ordered), COMPLETE_CHUNK):
        _complete_chunk(
            ordered[start : start + COMPLETE_CHUNK],
            actor=actor,
            completed_on=completed_on,
            grade=grade.strip(),
            result_note=result_note.strip(),
            date_reason=date_reason.strip(),
            today=today,
            outcome=outcome,
        )
    return outcome


@transaction.atomic
def _complete_chunk(
    chunk: list[Enrolment],
    *,
    actor: StaffMember,
    completed_on: dt.date,
    grade: str,
    result_note: str,
    date_reason: str,
    today: dt.date,
    outcome: BulkOutcome,
) -> None:
    courses = {
        c.pk: c
        for c in Course.objects.select_for_update()
        .select_related("provider")
        .filter(pk__in={e.course_id for e in chunk})
        .order_by("pk")
    }
    fresh_by_pk = {
        e.pk: e
        for e in Enrolment.objects.select_for_update(of=("self",))
        .select_related("staff")
        .filter(pk__in=[e.pk for e in chunk])
        .order_by("pk")
    }
    now = timezone.now()
    completing: list[tuple[Enrolment, Enrolment, str]] = []
    for given in chunk:
        found = fresh_by_pk.get(given.pk)
        if found is None:
            outcome.errors.append((given, gettext("This enrolment no longer exists.")))
            continue
        fresh = found
        fresh.course = courses[fresh.course_id]
        if fresh.state == S.COMPLETED:
            try:
                changed = enrolment_complete(
                    enrolment=given,
                    actor=actor,
                    completed_on=completed_on,
                    grade=grade,
                    result_note=result_note,
                    date_reason=date_reason,
                )
            except EnrolmentError as exc:
                outcome.errors.append((given, exc.message))
                continue
            (outcome.done if changed else outcome.unchanged).append(given)
            continue
        if not fresh.can_become(S.COMPLETED):
            outcome.errors.append((given, _refusal(fresh, S.COMPLETED).message))
            continue
        try:
            date_note = _completion_date_note(
                course=fresh.course, completed_on=completed_on, today=today, date_reason=date_reason
            )
        except EnrolmentError as exc:
            outcome.errors.append((given, exc.message))
            continue
        completing.append((given, fresh, date_note))
    if not completing:
        return
    events = []
    for _given, fresh, date_note in completing:
        events.append(
            EnrolmentEvent(
                enrolment=fresh, from_state=fresh.state, to_state=S.COMPLETED, actor=actor, at=now, comment=date_note
            )
        )
        fresh.state, fresh.grade, fresh.result_note = S.COMPLETED, grade, result_note
        fresh.completed_on, fresh.updated_at = completed_on, now
    completed = [fresh for _given, fresh, _note in completing]
    # The same values for every row: one plain UPDATE (bulk_update would build a CASE per row).
    Enrolment.objects.filter(pk__in=[fresh.pk for fresh in completed]).update(
        state=S.COMPLETED, grade=grade, result_note=result_note, completed_on=completed_on, updated_at=now
    )
    EnrolmentEvent.objects.bulk_create(events)
    skill_holdings_refresh(staff_ids=[fresh.staff_id for fresh in completed])
    _request_awards(completed)
    emails_send_many_on_commit([(fresh.staff, "enrolment-decision", _email_context(fresh)) for fresh in completed])
    for given, fresh, _note in completing:
        _sync(given, fresh)
        outcome.done.append(given)


def _request_awards(completed: list[Enrolment]) -> None:
    """The completion event, for one or many completions (the caller holds their locks and has
    written them): ask badges for each course's badge and for every programme whose last course
    this was. ``awards_request_many`` is idempotent per source key and queues the issuing after
    the commit, so a re-marked or re-imported completion never produces a second award. A
    constant number of queries whatever the count."""
    requests: list[AwardRequest] = []
    badge_ids = {e.course.badge_class_id for e in completed if e.course.badge_class_id}
    badges = {b.pk: b for b in BadgeClass.objects.filter(pk__in=badge_ids, is_active=True)}
    for enrolment in completed:
        badge_class = badges.get(enrolment.course.badge_class_id)  # type: ignore[arg-type]
        if badge_class is None:
            continue
        with translation.override(enrolment.staff.preferred_language or "ja"):
            evidence = [_evidence(enrolment)]
        requests.append(
            AwardRequest(
                recipient=enrolment.staff,
                badge_class=badge_class,
                source_key=f"enrolment:{enrolment.pk}",
                achieved_on=enrolment.completed_on or _today(),
                evidence=evidence,
            )
        )
    programmes = list(
        Programme.objects.filter(
            courses__in={e.course_id for e in completed}, badge_class__isnull=False, badge_class__is_active=True
        )
        .distinct()
        .select_related("badge_class")
        .prefetch_related("courses")
    )
    if programmes:
        needed_by_programme = {p.pk: {c.pk for c in p.courses.all()} for p in programmes}
        all_needed = set().union(*needed_by_programme.values())
        staff_ids = {e.staff_id for e in completed}
        done: dict[int, dict[int, Enrolment]] = {}
        for e in Enrolment.objects.filter(
            staff_id__in=staff_ids, course_id__in=all_needed, state=S.COMPLETED
        ).select_related("course", "course__provider", "staff"):
            done.setdefault(e.staff_id, {})[e.course_id] = e
        seen: set[tuple[int, int]] = set()
        for enrolment in completed:
            for programme in programmes:
                needed = needed_by_programme[programme.pk]
                key = (programme.pk, enrolment.staff_id)
                if enrolment.course_id not in needed or key in seen:
                    continue
                seen.add(key)
                mine = done.get(enrolment.staff_id, {})
                if needed - mine.keys():
                    continue
                parts = sorted((mine[c] for c in needed), key=lambda e: e.course.code)
                with translation.override(enrolment.staff.preferred_language or "ja"):
                    evidence = [_evidence(e) for e in parts]
                requests.append(
                    AwardRequest(
                        recipient=enrolment.staff,
                        badge_class=programme.badge_class,  # type: ignore[arg-type]
                        source_key=f"programme:{programme.pk}:staff:{enrolment.staff_id}",
                        achieved_on=max(e.completed_on or _today() for e in parts),
                        evidence=evidence,
                    )
                )
    if requests:
        awards_request_many(requests)


def enrolments_bulk_not_completed(
    *, enrolments: Iterable[Enrolment], actor: StaffMember, comment: str = ""
) -> BulkOutcome:
    outcome = BulkOutcome()
    return _each(
        enrolments,
        lambda e: outcome.done.append(enrolment_mark_not_completed(enrolment=e, actor=actor, comment=comment)),
        outcome,
    )


# --- Catalogue ------------------------------------------------------------------------------


def _write_skills(course: Course, levels: dict[Skill, int]) -> None:
    CourseSkill.objects.filter(course=course).exclude(skill__in=list(levels)).delete()
    for skill, level in levels.items():
        CourseSkill.objects.update_or_create(course=course, skill=skill, defaults={"level": level})


@transaction.atomic
def course_set_skills(*, course: Course, levels: dict[Skill, int]) -> None:
    """Make ``levels`` (skill → level) the course's skills, then refresh its badge's alignments."""
    _write_skills(course, levels)
    if course.badge_class_id:
        course_align_badge(course=course)
    # Whoever completed the course (or holds its badge) now holds other skills or levels.
    skill_holdings_refresh_for_courses(course_ids=[course.pk])


@transaction.atomic
def course_update(
    *,
    course: Course,
    changed: Iterable[str],
    created: bool = False,
    old_badge_class_id: int | None = None,
    skill_levels: dict[Skill, int] | None = None,
) -> list[Enrolment]:
    """What follows an edit of a course the caller has just saved: HR's admin form and the
    catalogue import both end here, so an edit means the same whichever way it came.

    ``changed`` names the fields that changed (``"skills"`` for the course's skills);
    ``skill_levels`` (skill → level), when given, become the course's skills first (the import).
    Steps, under the course lock (taken first, as everywhere):

    1. the course's badge (if any) gets its alignments from the course's skills;
    2. when the skills or the badge of an existing course changed, everyone with evidence
       through it has their skill holdings refreshed (the old badge's holders too);
    3. when the capacity changed, free seats go to the waiting list, first come first served.

    Returns the enrolments moved from the waiting list to a seat.
    """
    changed = set(changed)
    locked = Course.objects.select_for_update().get(pk=course.pk)
    if skill_levels is not None:
        _write_skills(locked, skill_levels)
        changed.add("skills")
    if locked.badge_class_id:
        course_align_badge(course=locked)
    if not created and {"skills", "badge_class"} & changed:
        skill_holdings_refresh_for_courses(
            course_ids=[locked.pk], old_badge_class_ids=[old_badge_class_id] if old_badge_class_id else []
        )
    if not created and {"starts_on", "application_closes_on", "hours"} & changed:
        # The fiscal year its seats count in, or its completions' hours (the human-capital report).
        learning_years_refresh_for_courses(course_ids=[locked.pk])
    return _promote_waitlisted(locked) if "capacity" in changed else []


@transaction.atomic
def programme_update(
    *, programme: Programme, changed: Iterable[str], created: bool = False, old_badge_class_id: int | None = None
) -> None:
    """What follows an edit of a programme the caller has just saved (HR's admin form).

    The programme's badge (if any) gets its alignments from its courses' skills; when the
    courses or the badge of an existing programme changed, the holders of its badge (old and
    new) have their skill holdings refreshed.
    """
    if programme.badge_class_id:
        programme_align_badge(programme=programme)
    if not created and {"courses", "badge_class"} & set(changed):
        skill_holdings_refresh_for_programmes(
            programme_ids=[programme.pk], old_badge_class_ids=[old_badge_class_id] if old_badge_class_id else []
        )


def _alignment(course: Course, course_skill: CourseSkill) -> dict[str, str]:
    skill = course_skill.skill
    with translation.override("ja"):
        level = str(course_skill.get_level_display())
    return {
        "targetName": skill.name,
        # The skill's public page: verifiers and wallets follow this link, and the course page
        # is for signed-in staff only. Badges already issued keep the link they were signed with.
        "targetUrl": skill_public_url(skill.code),
        "targetCode": skill.code,
        # The framework as configured now (PORTAL_SKILL_FRAMEWORK); issued badges keep theirs.
        "targetFramework": organisation().skill_framework,
        "targetDescription": f"{skill.description}（{level}）" if skill.description else level,
    }


@transaction.atomic
def course_align_badge(*, course: Course) -> list[dict[str, str]]:
    """Fill the course badge's alignments from the course's skills (one per skill)."""
    if not course.badge_class_id:
        return []
    alignments = [_alignment(course, cs) for cs in course.course_skills.select_related("skill")]
    BadgeClass.objects.filter(pk=course.badge_class_id).update(alignments=alignments)
    return alignments


@transaction.atomic
def programme_align_badge(*, programme: Programme) -> list[dict[str, str]]:
    """Fill the programme badge's alignments from its courses' skills (each skill once, highest level)."""
    if not programme.badge_class_id:
        return []
    best: dict[int, tuple[Course, CourseSkill]] = {}
    for cs in CourseSkill.objects.filter(course__programmes=programme).select_related("skill", "course"):
        if cs.skill_id not in best or cs.level > best[cs.skill_id][1].level:
            best[cs.skill_id] = (cs.course, cs)
    alignments = [
        _alignment(course, cs)
        for course, cs in sorted(best.values(), key=lambda p: (p[1].skill.sort_order, p[1].skill.code))
    ]
    BadgeClass.objects.filter(pk=programme.badge_class_id).update(alignments=alignments)
    return alignments
