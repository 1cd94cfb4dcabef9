"""The enrolment states and the state machine's table of allowed transitions (an invariant of
the data, not a workflow: the workflows are ``courses.services``), with the groups of states
the catalogue and the services count by."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class EnrolmentState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    RECOMMENDED = "recommended", _("Recommended by head of section")
    APPROVED = "approved", _("Approved")
    WAITLISTED = "waitlisted", _("On the waiting list")
    COMPLETED = "completed", _("Completed")
    NOT_COMPLETED = "not_completed", _("Not completed")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


S = EnrolmentState

#: The state machine: every allowed (from, to) pair. Services refuse anything else.
TRANSITIONS: frozenset[tuple[str, str]] = frozenset(
    {
        (S.REQUESTED, S.RECOMMENDED),  # head of section recommends
        (S.REQUESTED, S.REJECTED),  # head of section declines
        (S.REQUESTED, S.WITHDRAWN),
        (S.RECOMMENDED, S.APPROVED),  # HR approves, a seat is free
        (S.RECOMMENDED, S.WAITLISTED),  # HR approves, the course is full
        (S.RECOMMENDED, S.REJECTED),
        (S.RECOMMENDED, S.WITHDRAWN),
        (S.WAITLISTED, S.APPROVED),  # a seat freed (promotion)
        (S.WAITLISTED, S.REJECTED),
        (S.WAITLISTED, S.WITHDRAWN),
        (S.APPROVED, S.COMPLETED),
        (S.APPROVED, S.NOT_COMPLETED),
        (S.APPROVED, S.REJECTED),  # HR cancels a seat (with a reason)
        (S.APPROVED, S.WITHDRAWN),  # the person withdraws before the course starts
        (S.NOT_COMPLETED, S.COMPLETED),  # a late grade report corrects the record
    }
)
#: States that hold a seat on the course (a person who did not complete still took the seat).
SEAT_STATES = (S.APPROVED, S.COMPLETED, S.NOT_COMPLETED)
#: Closed without a place: the person may request the course again.
CLOSED_STATES = (S.REJECTED, S.WITHDRAWN)
#: Waiting for someone's decision: the person may withdraw.
PENDING_STATES = (S.REQUESTED, S.RECOMMENDED, S.WAITLISTED)
#: The waiting list's order: when the head of section recommended it, then when it was requested.
WAITLIST_ORDER = ("recommended_at", "requested_at", "pk")
