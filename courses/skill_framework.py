"""The city's skill framework (PORTAL_SKILL_FRAMEWORK, e.g. 立川市職員スキル体系) as outsiders see it, and what kind of
achievement each badge class is.

* ``skill_public_url``: every badge's alignment points at the skill's public page
  (``/public/skills/<code>/``, ``courses/views_public.py``), which anyone can open; the course
  pages are for staff only (a verifier following the link would get the sign-in page).
* ``skill_page``: what that page shows: the skill, its levels and the badge classes aligned to
  it at each level. Nothing about people: no holders, no counts.
* ``badge_achievement_types``: registered with ``badges.core.achievement_types`` (apps.py), so the
  badges app, which knows nothing of courses, can say "Course" or "LearningProgram".
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from django.conf import settings
from django.urls import reverse

from badges.models import BadgeClass

from .models import CourseSkill, Programme, Skill, SkillLevel

#: OB 3.0 AchievementType of a course badge: "Course" is the enumeration's value for the
#: successful completion of a course (CertificateOfCompletion would also fit, but says less:
#: it is for any training or activity). A programme (所定のプログラム, a set of courses)
#: is a "LearningProgram".
COURSE_ACHIEVEMENT = "Course"
PROGRAMME_ACHIEVEMENT = "LearningProgram"


def skill_public_url(code: str) -> str:
    return settings.PORTAL_BASE_URL + reverse("public_skills:detail", args=[code])


def badge_achievement_types(badge_class_ids: Collection[int]) -> dict[int, str]:
    """A programme's badge is a LearningProgram, a course's badge a Course (two small queries;
    a badge class used for both is taken as the programme's)."""
    ids = list(badge_class_ids)
    found = {
        pk: PROGRAMME_ACHIEVEMENT
        for pk in Programme.objects.filter(badge_class_id__in=ids).values_list("badge_class_id", flat=True)
    }
    for pk in BadgeClass.objects.filter(pk__in=ids, courses__isnull=False).values_list("pk", flat=True):
        found.setdefault(pk, COURSE_ACHIEVEMENT)
    return found


@dataclass
class LevelBadges:
    level: int
    label: str
    badges: list[BadgeClass] = field(default_factory=list)


@dataclass
class SkillPage:
    skill: Skill
    levels: list[LevelBadges]

    @property
    def has_badges(self) -> bool:
        return any(level.badges for level in self.levels)


def skill_page(code: str) -> SkillPage | None:
    """The skill with this code and, per level, the active badge classes aligned to it at that
    level (a course's badge at the course's level; a programme's at the highest level of its
    courses, as ``services.programme_align_badge`` aligns it). Three queries."""
    skill = Skill.objects.filter(code=code.strip().upper()).first()
    if skill is None:
        return None
    best: dict[int, int] = {}
    for badge_id, level in CourseSkill.objects.filter(skill=skill, course__badge_class__isnull=False).values_list(
        "course__badge_class_id", "level"
    ):
        best[badge_id] = max(level, best.get(badge_id, 0))
    for badge_id, level in Programme.objects.filter(
        badge_class__isnull=False, courses__course_skills__skill=skill
    ).values_list("badge_class_id", "courses__course_skills__level"):
        best[badge_id] = max(level, best.get(badge_id, 0))
    badges = (
        BadgeClass.objects.filter(pk__in=best, is_active=True).order_by("name").only("public_id", "name", "name_en")
    )
    levels = [LevelBadges(level=value, label=str(label)) for value, label in SkillLevel.choices]
    by_level = {lv.level: lv for lv in levels}
    for badge in badges:
        by_level[best[badge.pk]].badges.append(badge)
    return SkillPage(skill=skill, levels=levels)
