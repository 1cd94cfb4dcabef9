"""HR's and heads' actions on many enrolments at once. Most take each enrolment in its own
transaction (through the one-enrolment services); the bulk completion is set-based, in chunks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from staff.emails import emails_send_many_on_commit
from staff.models import StaffMember

from ..holdings import skill_holdings_refresh
from ..models import Course, Enrolment, EnrolmentEvent, EnrolmentState
from ..notifications import hr_notify_recommended
from .awards import _request_awards
from .base import (
    EnrolmentError,
    EnrolmentPermissionError,
    _completion_date_note,
    _email_context,
    _refusal,
    _refuse_future,
    _require_hr,
    _sync,
    _today,
    service,
)
from .enrolments import (
    enrolment_approve,
    enrolment_complete,
    enrolment_mark_not_completed,
    enrolment_recommend,
    enrolment_reject,
)

S = EnrolmentState


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


@service
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


def enrolments_bulk_not_completed(
    *, enrolments: Iterable[Enrolment], actor: StaffMember, comment: str = ""
) -> BulkOutcome:
    outcome = BulkOutcome()
    return _each(
        enrolments,
        lambda e: outcome.done.append(enrolment_mark_not_completed(enrolment=e, actor=actor, comment=comment)),
        outcome,
    )
