"""The course catalogue (providers, skills, courses, programmes) and enrolments with their history.

Workflows live in ``courses.services``; this module holds fields, constraints and the
state machine's table of allowed transitions (an invariant of the data, not a workflow).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _


def _in_english() -> bool:
    return (translation.get_language() or "").startswith("en")


def _localised(ja: str, en: str) -> str:
    """The English text when the page is in English and there is one; Japanese otherwise."""
    return en if en and _in_english() else ja


# 「2026年度 前期」: the fiscal year and, optionally, its half (the form HR writes terms in).
_TERM = re.compile(r"^\s*(\d{4})\s*年度\s*(前期|後期|通年)?\s*$")
_TERM_PARTS = {"前期": _("first half"), "後期": _("second half"), "通年": _("full year")}


def term_label(term: str) -> str:
    """A term in the page's language: 「2026年度 通年」 is "FY2026, full year" in English.
    A term written any other way is shown as written."""
    match = _TERM.match(term or "")
    if match is None or not _in_english():
        return term
    year, part = match.groups()
    if part is None:
        return gettext("FY%(year)s") % {"year": year}
    return gettext("FY%(year)s, %(part)s") % {"year": year, "part": _TERM_PARTS[part]}


class ProviderKind(models.TextChoices):
    CHUO_CORRESPONDENCE = "chuo_correspondence", _("Chuo University correspondence course (通信教育課程)")
    CHUO_OPEN_LECTURE = "chuo_open_lecture", _("Chuo University open lecture (公開講座)")
    CITY = "city", _("City training (職員研修)")
    ELEARNING = "elearning", _("E-learning")
    UNIVERSITY = "university", _("Other university")


class Delivery(models.TextChoices):
    CORRESPONDENCE = "correspondence", _("Correspondence")
    ONLINE = "online", _("Online")
    CLASSROOM = "classroom", _("Classroom")


class UseType(models.TextChoices):
    SELF_DEVELOPMENT = "self_development", _("Self-development (自己啓発型)")
    PROMOTION = "promotion", _("Evidence for promotion selection (昇任選考活用型)")


class SkillLevel(models.IntegerChoices):
    BASIC = 1, _("Basic")
    INTERMEDIATE = 2, _("Intermediate")
    ADVANCED = 3, _("Advanced")


code_validator = RegexValidator(
    r"^[A-Z0-9][A-Z0-9_-]*$", _("Use capital letters, digits, hyphens and underscores only.")
)


class Provider(models.Model):
    """Who runs a course: Chuo University, the city's training desk, an e-learning vendor…"""

    code = models.CharField(_("code"), max_length=30, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=30, choices=ProviderKind.choices)
    url = models.URLField(_("website"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("provider")
        verbose_name_plural = _("providers")
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.code = self.code.strip().upper()
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        return _localised(self.name, self.name_en)


class Skill(models.Model):
    """One skill of the city's small taxonomy (PORTAL_SKILL_FRAMEWORK), maintained by HR."""

    code = models.CharField(_("code"), max_length=30, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    # Shown on the skill's public page in English (badges carry the Japanese).
    description_en = models.TextField(_("description (English)"), blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["sort_order", "code"]
        permissions = [("import_skill", "Can import skills"), ("export_skill", "Can export skills")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.code = self.code.strip().upper()
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        return _localised(self.name, self.name_en)

    @property
    def display_description(self) -> str:
        return _localised(self.description, self.description_en)


class CourseQuerySet(models.QuerySet["Course"]):
    def published(self) -> CourseQuerySet:
        return self.filter(is_published=True)

    def open_for_application(self, day: dt.date) -> CourseQuerySet:
        return self.filter(
            Q(application_opens_on__isnull=True) | Q(application_opens_on__lte=day),
            Q(application_closes_on__isnull=True) | Q(application_closes_on__gte=day),
        )

    def supporting(self, use_type: str) -> CourseQuerySet:
        if use_type == UseType.PROMOTION:
            return self.filter(for_promotion=True)
        return self.filter(for_self_development=True)


class Course(models.Model):
    """One offering of a course in one term: what staff find in the catalogue and request."""

    code = models.CharField(
        _("course code"),
        max_length=40,
        unique=True,
        validators=[code_validator],
        help_text=_("Used in addresses and imports, e.g. CHUO-LAW-2026-KENPO."),
    )
    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    provider = models.ForeignKey(Provider, verbose_name=_("provider"), on_delete=models.PROTECT, related_name="courses")
    delivery = models.CharField(_("delivery"), max_length=20, choices=Delivery.choices)
    term = models.CharField(_("term"), max_length=50, blank=True, help_text=_("e.g. 2026年度 前期"))
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1, null=True, blank=True)
    credits = models.PositiveSmallIntegerField(_("credits"), null=True, blank=True)
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, help_text=_("Seats for city staff. Empty: no limit.")
    )
    application_opens_on = models.DateField(_("applications open on"), null=True, blank=True)
    application_closes_on = models.DateField(_("applications close on"), null=True, blank=True)
    prerequisites = models.TextField(_("prerequisites"), blank=True)
    cost = models.PositiveIntegerField(_("cost (yen)"), default=0)
    city_subsidy = models.PositiveIntegerField(
        _("city subsidy (yen)"), default=0, help_text=_("Paid from the city's training budget.")
    )
    for_self_development = models.BooleanField(_("self-development (自己啓発型)"), default=True)
    for_promotion = models.BooleanField(_("evidence for promotion selection (昇任選考活用型)"), default=False)
    skills = models.ManyToManyField(
        Skill, through="CourseSkill", verbose_name=_("skills"), blank=True, related_name="courses"
    )
    badge_class = models.ForeignKey(
        "badges.BadgeClass",
        verbose_name=_("badge"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="courses",
        help_text=_("Awarded when a staff member completes this course."),
    )
    is_published = models.BooleanField(_("shown in the catalogue"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CourseQuerySet.as_manager()

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["code"]
        permissions = [("import_course", "Can import the catalogue"), ("export_course", "Can export the catalogue")]
        constraints = [
            models.CheckConstraint(condition=Q(city_subsidy__lte=models.F("cost")), name="course_subsidy_within_cost"),
            models.CheckConstraint(
                condition=Q(for_self_development=True) | Q(for_promotion=True), name="course_has_a_use_type"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(starts_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="course_dates_in_order",
            ),
            models.CheckConstraint(
                condition=Q(application_closes_on__isnull=True)
                | Q(application_opens_on__isnull=True)
                | Q(application_closes_on__gte=models.F("application_opens_on")),
                name="course_application_window_in_order",
            ),
        ]
        indexes = [
            # Catalogue: published courses sorted by start date (the default sort).
            models.Index(fields=["is_published", "starts_on"], name="course_published_start_idx"),
            # Catalogue: "open for application now" and the deadline sort.
            models.Index(fields=["is_published", "application_closes_on"], name="course_published_close_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.code})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.code = self.code.strip().upper()
        super().save(*args, **kwargs)

    @property
    def display_title(self) -> str:
        return _localised(self.title, self.title_en)

    @property
    def display_description(self) -> str:
        return _localised(self.description, self.description_en)

    @property
    def display_term(self) -> str:
        return term_label(self.term)

    @property
    def seats_left(self) -> int | None:
        """Free seats; None when there is no limit. Uses the ``seats_taken`` annotation if present."""
        if self.capacity is None:
            return None
        taken = getattr(self, "seats_taken", None)
        if taken is None:
            taken = self.enrolments.filter(state__in=SEAT_STATES).count()
        return max(self.capacity - taken, 0)

    @property
    def staff_share(self) -> int:
        """What the staff member pays: the cost minus the city's subsidy."""
        return max(self.cost - self.city_subsidy, 0)

    @property
    def use_types(self) -> list[str]:
        types = []
        if self.for_self_development:
            types.append(UseType.SELF_DEVELOPMENT.value)
        if self.for_promotion:
            types.append(UseType.PROMOTION.value)
        return types

    def use_type_labels(self) -> list[str]:
        return [str(UseType(t).label) for t in self.use_types]

    def is_open_on(self, day: dt.date) -> bool:
        opens, closes = self.application_opens_on, self.application_closes_on
        return (opens is None or opens <= day) and (closes is None or day <= closes)

    def has_started(self, day: dt.date) -> bool:
        return self.starts_on is not None and self.starts_on <= day


class CourseSkill(models.Model):
    """A course builds a skill to a level; badges carry these as alignments."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="course_skills")
    skill = models.ForeignKey(Skill, verbose_name=_("skill"), on_delete=models.PROTECT, related_name="course_skills")
    level = models.PositiveSmallIntegerField(_("level"), choices=SkillLevel.choices, default=SkillLevel.BASIC)

    class Meta:
        verbose_name = _("course skill")
        verbose_name_plural = _("course skills")
        ordering = ["skill__sort_order", "skill__code"]
        constraints = [models.UniqueConstraint(fields=["course", "skill"], name="course_skill_once")]

    def __str__(self) -> str:
        return f"{self.skill} ({self.get_level_display()})"


class Programme(models.Model):
    """所定のプログラム: a named set of courses whose completion earns one badge."""

    code = models.CharField(_("code"), max_length=40, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    courses = models.ManyToManyField(Course, verbose_name=_("courses"), related_name="programmes")
    badge_class = models.ForeignKey(
        "badges.BadgeClass",
        verbose_name=_("badge"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="programmes",
        help_text=_("Awarded when a staff member has completed every course of the programme."),
    )
    is_published = models.BooleanField(_("shown in the catalogue"), default=True)

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.code = self.code.strip().upper()
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        return _localised(self.name, self.name_en)

    @property
    def display_description(self) -> str:
        return _localised(self.description, self.description_en)


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


class SkillHolding(models.Model):
    """Who holds which skill at which level: derived from completions and awards, kept by
    ``courses.holdings`` (never edited by hand; ``manage.py skill_holdings_rebuild`` redoes it all).

    One row per (person, skill, level) for every level the person holds *at or above*: someone
    with evidence at level 3 has rows for levels 1, 2 and 3, so "holds S at level L or higher" is
    one row, and counting holders needs no DISTINCT. Expiry needs no upkeep: the latest expiry of
    the badges giving the skill is stored and compared with the day asked about.
    """

    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="+")
    level = models.PositiveSmallIntegerField(choices=SkillLevel.choices)
    # The first completion of a course giving the skill at this level or higher (None: none).
    completed_on = models.DateField(null=True)
    # Issued, not revoked badges giving the skill at this level or higher (a course badge, or a
    # programme badge of a programme including such a course): the first one's issue, and the
    # latest expiry. badge_since None: no such badge; badge_until None with a badge_since: one
    # of them never expires.
    badge_since = models.DateTimeField(null=True)
    badge_until = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            # Also the refresh's "rows of these people" (staff first).
            models.UniqueConstraint(fields=["staff", "skill", "level"], name="skill_holding_once"),
        ]
        indexes = [
            # Skill matrix: every holding at one level, read from the index alone (the people are
            # joined afterwards for department, grade and scope).
            models.Index(
                fields=["level", "skill", "staff", "completed_on", "badge_since", "badge_until"],
                name="skill_holding_matrix_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff_id}: {self.skill_id} ≥ {self.level}"


class SkillBadgeSpan(models.Model):
    """When a person's badges gave a skill at a level: the skill matrix for a past day. Derived
    from awards and kept by ``courses.holdings`` with ``SkillHolding`` (never edited by hand).

    A badge is valid at a moment m when it was issued before m, does not expire before m, and is
    issued or was revoked at m or later: the interval (issued_at, end], ``end`` being the earlier
    of its expiry and its revocation (None: neither). The intervals of all the person's badges
    giving the skill at this level or higher are merged where they touch or overlap, so at any
    moment at most one row of a (person, skill, level) is valid and counting needs no DISTINCT.
    Revoked badges have rows too (valid until their revocation), unlike ``SkillHolding``.
    ``completed_on`` is the person's ``SkillHolding.completed_on`` for the same skill and level
    (written with it): a past day's count takes the people holding the skill by a completion from
    ``SkillHolding`` and the others from here, without joining the two tables.
    """

    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="+", db_index=False)
    level = models.PositiveSmallIntegerField(choices=SkillLevel.choices)
    valid_from = models.DateTimeField()  # exclusive: valid after this moment
    valid_until = models.DateTimeField(null=True)  # inclusive; None: still valid, never expires
    completed_on = models.DateField(null=True)  # first completion giving the skill at this level

    class Meta:
        indexes = [
            # Skill matrix for a past day: the spans of one level, read from the index alone.
            models.Index(
                fields=["level", "skill", "staff", "valid_from", "valid_until", "completed_on"],
                name="skill_badge_span_matrix_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff_id}: {self.skill_id} ≥ {self.level} ({self.valid_from} – {self.valid_until})"


class AwardUse(models.Model):
    """What each issued badge was issued for, for the dashboard's "badges by use type": the use
    type of the enrolment behind a course badge (``Award.source_key`` is ``enrolment:<pk>``), a
    programme badge (several enrolments), or another source. Derived and kept by
    ``courses.holdings`` (badges knows nothing of enrolments, so the award cannot carry it).

    One row per award that was issued (revoked ones too: the dashboard counts badges issued).
    """

    class Kind(models.TextChoices):
        SELF_DEVELOPMENT = UseType.SELF_DEVELOPMENT.value, UseType.SELF_DEVELOPMENT.label
        PROMOTION = UseType.PROMOTION.value, UseType.PROMOTION.label
        PROGRAMME = "programme", _("Programme badge (several courses)")
        OTHER = "other", _("Other source")

    award = models.OneToOneField("badges.Award", on_delete=models.CASCADE, primary_key=True, related_name="+")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    issued_at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=Kind.choices)

    class Meta:
        indexes = [
            # Dashboard: the badges of a period by holder, kind and fiscal year, read from the index
            # alone when the period is a small part of the table (for several fiscal years of the
            # whole city a sequential scan of this narrow table is cheaper, and chosen).
            models.Index(fields=["issued_at", "recipient", "kind"], name="award_use_issued_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.award_id}: {self.kind}"


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


# --- Career paths: role profiles and the profiles staff choose (issue 15 §2; courses/careers.py) ---


class RoleProfile(models.Model):
    """A role HR describes by the skills and levels it needs (e.g. 係長・法務担当), so staff can
    see their gaps and heads their section's coverage (``courses.careers``)."""

    code = models.CharField(_("code"), max_length=40, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    is_active = models.BooleanField(_("offered to staff"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("role profile")
        verbose_name_plural = _("role profiles")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.code = self.code.strip().upper()
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        return _localised(self.name, self.name_en)

    @property
    def display_description(self) -> str:
        return _localised(self.description, self.description_en)


class RoleProfileSkill(models.Model):
    """One skill a role profile needs, at a level (held at that level or higher)."""

    profile = models.ForeignKey(RoleProfile, on_delete=models.CASCADE, related_name="requirements")
    skill = models.ForeignKey(Skill, verbose_name=_("skill"), on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField(_("level"), choices=SkillLevel.choices, default=SkillLevel.BASIC)

    class Meta:
        verbose_name = _("skill needed")
        verbose_name_plural = _("skills needed")
        ordering = ["skill__sort_order", "skill__code"]
        constraints = [models.UniqueConstraint(fields=["profile", "skill"], name="role_profile_skill_once")]

    def __str__(self) -> str:
        return f"{self.skill} ({self.get_level_display()})"


class RoleProfileChoice(models.Model):
    """A staff member follows a role profile on their career-path page (their own choice)."""

    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    profile = models.ForeignKey(RoleProfile, on_delete=models.CASCADE, related_name="choices")
    chosen_at = models.DateTimeField(_("chosen at"), default=timezone.now)

    class Meta:
        verbose_name = _("chosen role profile")
        verbose_name_plural = _("chosen role profiles")
        # The unique constraint's index serves "the profiles this person chose" (staff first).
        constraints = [models.UniqueConstraint(fields=["staff", "profile"], name="role_profile_choice_once")]

    def __str__(self) -> str:
        return f"{self.staff_id}: {self.profile_id}"


# --- 昇任選考 (promotion selection) points: courses/promotion.py ------------------------------


class Selection(models.TextChoices):
    """The promotion selections (昇任選考) and, below, the grade that sits each one."""

    SHUNIN = "shunin", _("Senior staff selection (主任選考)")
    KAKARICHO = "kakaricho", _("Unit chief selection (係長選考)")
    KACHO_HOSA = "kacho_hosa", _("Assistant section chief selection (課長補佐選考)")


#: Who sits each selection: the grade just below the post (staff.PositionGrade values).
SELECTION_SAT_BY = {Selection.SHUNIN: "shuji", Selection.KAKARICHO: "shunin", Selection.KACHO_HOSA: "kakaricho"}


class PromotionRuleSet(models.Model):
    """HR's rules for one selection in one fiscal year: which badges count, for how many points,
    with caps per category. Points are computed by ``courses.promotion``; a freeze keeps the
    result (``PromotionSnapshot``), so later edits of these rules change nothing frozen."""

    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"), help_text=_("e.g. 2026 for 2026年度."))
    selection = models.CharField(_("selection"), max_length=20, choices=Selection.choices)
    cutoff_on = models.DateField(
        _("cutoff date"),
        help_text=_("Badges count when they are valid on this day (issued, not expired, not revoked)."),
    )
    recency_years = models.PositiveSmallIntegerField(
        _("counts badges of the last (years)"),
        default=5,
        help_text=_("Only badges issued at most this many years before the cutoff date count. 0: no limit."),
    )
    min_years_in_grade = models.PositiveSmallIntegerField(
        _("years in grade at least"),
        default=0,
        help_text=_("Candidates must have held their grade this long at the cutoff."),
    )
    promotion_use_only = models.BooleanField(
        _("only requests for promotion selection (昇任選考活用型)"),
        default=True,
        help_text=_("Count only badges of courses requested as evidence for promotion selection."),
    )
    count_external = models.BooleanField(
        _("count external badges confirmed by HR"), default=False, help_text=_("Points per confirmed external badge.")
    )
    external_points = models.PositiveSmallIntegerField(_("points per external badge"), default=0)
    external_category = models.ForeignKey(
        "PromotionCategory",
        verbose_name=_("category of external badges"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_published = models.BooleanField(
        _("shown to staff"), default=False, help_text=_("Candidates see their own points for this selection.")
    )
    note = models.TextField(_("note"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("promotion selection rule set")
        verbose_name_plural = _("promotion selection rule sets")
        ordering = ["-fiscal_year", "selection"]
        constraints = [
            models.UniqueConstraint(fields=["fiscal_year", "selection"], name="promotion_ruleset_once_per_year"),
        ]

    def __str__(self) -> str:
        return f"{self.fiscal_year} {self.get_selection_display()}"

    @property
    def sat_by_grade(self) -> str:
        return SELECTION_SAT_BY[Selection(self.selection)]

    @property
    def sat_by_grade_label(self) -> str:
        from staff.models import PositionGrade

        return str(PositionGrade(self.sat_by_grade).label)


class PromotionCategory(models.Model):
    """A group of rules whose points together are capped (e.g. 法務 at most 30 points)."""

    rule_set = models.ForeignKey(PromotionRuleSet, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(_("category"), max_length=100)
    cap = models.PositiveSmallIntegerField(_("at most (points)"), null=True, blank=True, help_text=_("Empty: no cap."))

    class Meta:
        verbose_name = _("points category")
        verbose_name_plural = _("points categories")
        ordering = ["rule_set", "pk"]
        constraints = [models.UniqueConstraint(fields=["rule_set", "name"], name="promotion_category_once")]

    def __str__(self) -> str:
        return self.name


class PromotionRule(models.Model):
    """A badge counts for ``points``: a given badge, or any badge showing a skill at a level or above.
    A badge matching several rules counts once, for the rule that gives the most points."""

    rule_set = models.ForeignKey(PromotionRuleSet, on_delete=models.CASCADE, related_name="rules")
    category = models.ForeignKey(
        PromotionCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="rules"
    )
    badge_class = models.ForeignKey(
        "badges.BadgeClass", verbose_name=_("badge"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    skill = models.ForeignKey(
        Skill, verbose_name=_("skill"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    min_level = models.PositiveSmallIntegerField(
        _("at level or above"), choices=SkillLevel.choices, default=SkillLevel.BASIC
    )
    points = models.PositiveSmallIntegerField(_("points"))

    class Meta:
        verbose_name = _("points rule")
        verbose_name_plural = _("points rules")
        ordering = ["rule_set", "pk"]
        constraints = [
            # Exactly one of a badge or a skill.
            models.CheckConstraint(
                condition=(Q(badge_class__isnull=False) & Q(skill__isnull=True))
                | (Q(badge_class__isnull=True) & Q(skill__isnull=False)),
                name="promotion_rule_badge_or_skill",
            ),
        ]

    def __str__(self) -> str:
        target = self.badge_class or self.skill
        return f"{target}: {self.points}"


class PromotionSnapshot(models.Model):
    """The list of candidates and points as frozen at the cutoff: its ``content`` is never edited,
    and ``digest`` is the SHA-256 of its canonical JSON (printed on every export of it). Each
    freeze adds a row, so the rows of a rule set are the history of who froze it and when."""

    rule_set = models.ForeignKey(PromotionRuleSet, on_delete=models.PROTECT, related_name="snapshots")
    frozen_at = models.DateTimeField(_("frozen at"), default=timezone.now)
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("frozen by"), on_delete=models.PROTECT, related_name="+"
    )
    digest = models.CharField(_("digest (SHA-256)"), max_length=64)
    candidates = models.PositiveIntegerField(_("candidates"))
    content = models.JSONField(_("content"))

    class Meta:
        verbose_name = _("frozen candidate list")
        verbose_name_plural = _("frozen candidate lists")
        ordering = ["-frozen_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.rule_set} @ {self.frozen_at:%Y-%m-%d %H:%M} ({self.digest[:12]})"


class LearningYear(models.Model):
    """One person's learning in one fiscal year, derived from enrolments, badges and confirmed
    external badges for the human-capital report (``courses.hcreport``): kept by
    ``courses.learning`` in the transaction of the change (never edited by hand;
    ``manage.py learning_years_rebuild`` redoes it all). A row exists only for a year with
    something in it. What each column counts is the docstring of ``courses.hcreport``."""

    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    fiscal_year = models.PositiveSmallIntegerField()
    # Seated enrolments (approved, completed, not completed) in courses counted in the year.
    seats = models.PositiveIntegerField(default=0)
    subsidy = models.PositiveBigIntegerField(default=0)
    staff_share = models.PositiveBigIntegerField(default=0)
    # Course hours of completions in the year, plus hours of confirmed external badges issued in it.
    hours = models.DecimalField(max_digits=10, decimal_places=1, default=0)
    completions = models.PositiveIntegerField(default=0)
    promotion_completions = models.PositiveIntegerField(default=0)
    badges = models.PositiveIntegerField(default=0)  # issued in the year (AwardUse)
    external_confirmed = models.PositiveIntegerField(default=0)
    # The year the person first held a skill (level 1 or above, SkillHolding).
    first_skill = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["staff", "fiscal_year"], name="learning_year_once"),
        ]
        indexes = [models.Index(fields=["fiscal_year", "staff"], name="learning_year_fy_idx")]

    def __str__(self) -> str:
        return f"{self.staff_id}: FY{self.fiscal_year}"
