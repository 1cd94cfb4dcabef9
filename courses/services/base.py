"""What every enrolment service shares: the errors, the refusals, the permission checks, the
lock helper, the one transition (``_move``) and the waiting list. See the package docstring
(``courses.services``) for the lock order."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from staff.emails import email_send_on_commit
from staff.models import StaffMember
from staff.selectors import is_hr, staff_headed_by

from ..learning import learning_years_refresh
from ..models import SEAT_STATES, WAITLIST_ORDER, Course, Enrolment, EnrolmentEvent, EnrolmentState

P = ParamSpec("P")
R = TypeVar("R")

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


#: The people whose seat changed in the running service (``_move``), refreshed at its end.
_seat_changes: ContextVar[set[int] | None] = ContextVar("courses_seat_changes", default=None)


def service(func: Callable[P, R]) -> Callable[P, R]:
    """``transaction.atomic``, and, as the last step inside the transaction, one
    ``learning_years_refresh`` of everyone whose seat changed in it (``_move``), sorted by id.

    A withdrawal that seats the next person on the waiting list changes two people's rows; a
    refresh per transition would lock them in the order of the transitions, and two such
    transactions on two courses could lock the same two people in opposite orders (a
    deadlock). Collected and refreshed once, the people are locked in id order, last (the
    package docstring's lock order). A service called inside another (``_complete_chunk``
    calling ``enrolment_complete``) adds to the outer one's set; a person whose change was rolled
    back with a savepoint is recomputed all the same, unchanged (the refresh reads the source
    tables and is idempotent).
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if _seat_changes.get() is not None:
            with transaction.atomic():
                return func(*args, **kwargs)
        people: set[int] = set()
        token = _seat_changes.set(people)
        try:
            with transaction.atomic():
                result = func(*args, **kwargs)
                learning_years_refresh(staff_ids=people)
            return result
        finally:
            _seat_changes.reset(token)

    return wrapper


def _seat_changed(staff_id: int) -> None:
    people = _seat_changes.get()
    if people is None:  # outside a service: refresh now
        learning_years_refresh(staff_ids=[staff_id])
    else:
        people.add(staff_id)


def _lock(enrolment: Enrolment) -> tuple[Course, Enrolment]:
    """Lock the course, then the enrolment (the package docstring's lock order); return fresh rows."""
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
        # them with the skill holdings; completed is final), once per service, at its end.
        _seat_changed(enrolment.staff_id)
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
