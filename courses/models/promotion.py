"""昇任選考 (promotion selection) points (``courses.promotion``): HR's rule sets, their
categories and rules, and the frozen candidate lists."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .catalogue import Skill, SkillLevel


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
