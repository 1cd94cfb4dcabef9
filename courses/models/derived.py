"""Tables derived from the source tables and kept by the services in the same transaction
(never edited by hand): skill holdings and badge spans, badges by use type (``courses.holdings``)
and each person's learning per fiscal year (``courses.learning``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .catalogue import Skill, SkillLevel, UseType


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
            models.Index(fields=["kind", "recipient"], include=["award"], name="award_use_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.award_id}: {self.kind}"


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
