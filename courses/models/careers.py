"""Career paths (issue 15 §2; ``courses.careers``): role profiles, the skills they need and the
profiles staff choose."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .catalogue import CodedEntry, Skill, SkillLevel


class RoleProfile(CodedEntry):
    """A role HR describes by the skills and levels it needs (e.g. 係長・法務担当), so staff can
    see their gaps and heads their section's coverage (``courses.careers``)."""

    is_active = models.BooleanField(_("offered to staff"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("role profile")
        verbose_name_plural = _("role profiles")
        ordering = ["code"]


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
