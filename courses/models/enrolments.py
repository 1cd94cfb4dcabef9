"""Enrolments: the state machine's table of allowed transitions (an invariant of the data, not
a workflow: the workflows are ``courses.services``), each enrolment, its history and its
reminders."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .catalogue import Course, UseType
from .states import CLOSED_STATES, PENDING_STATES, TRANSITIONS, EnrolmentState

S = EnrolmentState


class EnrolmentQuerySet(models.QuerySet["Enrolment"]):
    def active(self) -> EnrolmentQuerySet:
        return self.exclude(state__in=CLOSED_STATES)


class Enrolment(models.Model):
    """A staff member's request for a course, through every decision to completion."""

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("staff member"), on_delete=models.PROTECT, related_name="enrolments"
    )
    course = models.ForeignKey(Course, verbose_name=_("course"), on_delete=models.PROTECT, related_name="enrolments")
    use_type = models.CharField(_("use type"), max_length=20, choices=UseType.choices)
    reason = models.TextField(_("reason"), max_length=1000)
    state = models.CharField(_("state"), max_length=20, choices=EnrolmentState.choices, default=S.REQUESTED)
    # The cost split as it was when the person applied (the catalogue may change later).
    cost = models.PositiveIntegerField(_("cost (yen)"))
    city_subsidy = models.PositiveIntegerField(_("city subsidy (yen)"))
    staff_share = models.PositiveIntegerField(_("staff share (yen)"))
    grade = models.CharField(_("grade"), max_length=20, blank=True, help_text=_("e.g. 優, A, 合格, 85"))
    result_note = models.CharField(_("result"), max_length=200, blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    # Its own context: an award's "requested at" is when issuing was requested (発行依頼日時).
    requested_at = models.DateTimeField(pgettext_lazy("enrolment", "requested at"), default=timezone.now)
    recommended_at = models.DateTimeField(_("recommended at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["-requested_at"]
        permissions = [("import_enrolment", "Can import grade reports"), ("export_enrolment", "Can export enrolments")]
        constraints = [
            # One live enrolment per person and course: a double submit cannot create a second.
            models.UniqueConstraint(
                fields=["staff", "course"],
                condition=~Q(state__in=["rejected", "withdrawn"]),
                name="one_active_enrolment_per_course",
            ),
            models.CheckConstraint(
                condition=~Q(state="completed") | Q(completed_on__isnull=False), name="completed_enrolment_has_date"
            ),
        ]
        indexes = [
            # Seat counting and waitlist promotion: enrolments of one course in some states.
            models.Index(fields=["course", "state"], name="enrolment_course_state_idx"),
            # HR's pending list and the head of section's queue: by state, oldest first.
            models.Index(fields=["state", "requested_at"], name="enrolment_state_requested_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.staff} — {self.course.code}"

    def can_become(self, state: str) -> bool:
        return (self.state, state) in TRANSITIONS

    def can_be_withdrawn_on(self, day: dt.date) -> bool:
        """The person may withdraw while it is pending, or approved before the course starts."""
        if self.state in PENDING_STATES:
            return True
        return self.state == S.APPROVED and not self.course.has_started(day)


class EnrolmentEvent(models.Model):
    """One transition of an enrolment: who, when, why. Never edited or deleted."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="events")
    from_state = models.CharField(_("previous state"), max_length=20, choices=EnrolmentState.choices, blank=True)
    to_state = models.CharField(_("new state"), max_length=20, choices=EnrolmentState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: done by the system (e.g. a waiting-list promotion)."),
    )
    comment = models.TextField(_("comment"), blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("history entry")
        verbose_name_plural = _("history")
        # The enrolment FK index serves "history of one enrolment"; rows come back in time order.
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.enrolment_id}: {self.from_state or '—'} → {self.to_state}"


class EnrolmentReminder(models.Model):
    """A reminder email written for an enrolment (courses/reminders.py): at most one per
    enrolment and kind, whatever how often the daily task runs. Written with the emails in one
    transaction, so a reminder recorded is a reminder in the outbox."""

    class Kind(models.TextChoices):
        COURSE_START = "course_start", _("Course starts soon (to the staff member)")
        APPLICATION_DEADLINE = "application_deadline", _("Application deadline near (to the head of section)")

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    # Emails written: 0 when every recipient had turned reminders off or has no address.
    emails = models.PositiveSmallIntegerField(_("emails"), default=0)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [models.UniqueConstraint(fields=["enrolment", "kind"], name="enrolment_reminder_once")]

    def __str__(self) -> str:
        return f"{self.enrolment_id}: {self.kind}"
