"""Building blocks of the evidence: valid awards and the courses and badges aligned to a skill."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from badges.models import Award, AwardQuerySet

from ..models import CourseSkill, Programme, Skill


def valid_award_q(at: dt.datetime | None = None, prefix: str = "") -> Q:
    """Issued, not revoked, not expired at ``at`` (now by default): ``AwardQuerySet.valid_q``."""
    return AwardQuerySet.valid_q(at or timezone.now(), prefix)


def award_is_valid(award: Award, at: dt.datetime | None = None) -> bool:
    return award.is_valid_at(at)


@dataclass
class SkillAlignment:
    """The courses and badge classes that give skill S at level L or higher (two small queries)."""

    course_levels: dict[int, int] = field(default_factory=dict)  # course id → level of S
    badge_levels: dict[int, int] = field(default_factory=dict)  # badge class id → best level of S

    @classmethod
    def load(cls, skill: Skill, level: int) -> SkillAlignment:
        found = cls()
        rows = CourseSkill.objects.filter(skill=skill, level__gte=level).values_list(
            "course_id", "level", "course__badge_class_id"
        )
        for course_id, lvl, badge_id in rows:
            found.course_levels[course_id] = lvl
            if badge_id:
                found.badge_levels[badge_id] = max(lvl, found.badge_levels.get(badge_id, 0))
        programme_rows = Programme.objects.filter(
            badge_class__isnull=False, courses__course_skills__skill=skill, courses__course_skills__level__gte=level
        ).values_list("badge_class_id", "courses__course_skills__level")
        for badge_id, lvl in programme_rows:
            found.badge_levels[badge_id] = max(lvl, found.badge_levels.get(badge_id, 0))
        return found
