"""Writes for courses and enrolments. Views, admin actions, imports and the demo call these.

Every enrolment transition is one function here. Each one checks who may act, locks what it
changes, refuses illegal transitions with an :class:`EnrolmentError` whose message can be
shown to the person as it is, records an :class:`EnrolmentEvent`, and sends its emails only
after the transaction commits.

The package, one module per job (import from ``courses.services``, which re-exports them):

* ``base``: errors and refusals, permission checks, the lock helper, the one transition
  (``_move``), the waiting list, and ``service`` (the transaction of every service);
* ``enrolments``: one service per transition (staff, head of section, HR);
* ``bulk``: the same on many enrolments (HR's admin actions, the approvals page);
* ``awards``: the award requests of a completion (course and programme badges);
* ``catalogue``: a course's skills, ``course_update`` / ``programme_update``, badge alignments.

Lock order, everywhere:

1. the course row (several courses: in id order);
2. the enrolment rows (several: in id order);
3. the people's rows derived from them, each kind in one statement in person-id order, as the
   last writes of the transaction: skill holdings (``courses.holdings``, whose last step is the
   learning years), and the learning years (``courses.learning``) of everyone whose seat
   changed, refreshed once at the end of the service (``base.service``), never per transition.

Approvals of one course therefore run one after another, and no two transactions wait on each
other in a cycle: a withdrawal that seats the next person on the waiting list locks both
people's learning years together, in id order, not in the order of the transitions.
"""

from __future__ import annotations

from .base import EnrolmentError, EnrolmentPermissionError, _move, _refusal, service
from .bulk import (
    COMPLETE_CHUNK,
    BulkOutcome,
    enrolments_bulk_approve,
    enrolments_bulk_complete,
    enrolments_bulk_not_completed,
    enrolments_bulk_recommend,
    enrolments_bulk_reject,
)
from .catalogue import course_align_badge, course_set_skills, course_update, programme_align_badge, programme_update
from .enrolments import (
    enrolment_actor_refusal,
    enrolment_approve,
    enrolment_complete,
    enrolment_decline,
    enrolment_mark_not_completed,
    enrolment_recommend,
    enrolment_reject,
    enrolment_request,
    enrolment_result_refusal,
    enrolment_withdraw,
    waitlist_promote,
)

__all__ = [
    "COMPLETE_CHUNK",
    "BulkOutcome",
    "EnrolmentError",
    "EnrolmentPermissionError",
    "_move",
    "_refusal",
    "course_align_badge",
    "course_set_skills",
    "course_update",
    "enrolment_actor_refusal",
    "enrolment_approve",
    "enrolment_complete",
    "enrolment_decline",
    "enrolment_mark_not_completed",
    "enrolment_recommend",
    "enrolment_reject",
    "enrolment_request",
    "enrolment_result_refusal",
    "enrolment_withdraw",
    "enrolments_bulk_approve",
    "enrolments_bulk_complete",
    "enrolments_bulk_not_completed",
    "enrolments_bulk_recommend",
    "enrolments_bulk_reject",
    "programme_align_badge",
    "programme_update",
    "service",
    "waitlist_promote",
]
