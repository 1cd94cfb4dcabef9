"""The course catalogue: providers, skills, courses, their skills and programmes, and the
choices and helpers the other model modules share (``courses.models`` re-exports them all)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .states import SEAT_STATES


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
    # The partner university's programme (the stored codes keep the demo city's partner's name:
    # they are in databases and import files; the labels name no university).
    CHUO_CORRESPONDENCE = "chuo_correspondence", _("Partner university correspondence course (通信教育課程)")
    CHUO_OPEN_LECTURE = "chuo_open_lecture", _("Partner university open lecture (公開講座)")
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
    """Who runs a course: the partner university, the city's training desk, an e-learning vendor…"""

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


class CodedBehaviour(models.Model):
    """What every coded, bilingual catalogue entry does (skills, programmes, role profiles): its
    code is stored upper-cased whatever was typed, it reads as its name, and its name and
    description come in the page's language. The fields are the subclass's (a skill's code is
    shorter)."""

    code: Any
    name: Any
    name_en: Any
    description: Any
    description_en: Any

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return str(self.name)

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.code = self.code.strip().upper()
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        return _localised(self.name, self.name_en)

    @property
    def display_description(self) -> str:
        return _localised(self.description, self.description_en)


class Skill(CodedBehaviour):
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


class CodedEntry(CodedBehaviour):
    """A catalogue entry HR names by a code, in Japanese and English: the code (capitals, stored
    upper-cased whatever was typed), the name and the description, each with its English text
    shown on English pages. ``Programme`` and ``RoleProfile`` are such entries."""

    code = models.CharField(_("code"), max_length=40, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)

    class Meta:
        abstract = True


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
        help_text=_("Used in addresses and imports, e.g. LAW-2026-KENPO."),
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


class Programme(CodedEntry):
    """所定のプログラム: a named set of courses whose completion earns one badge."""

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
