"""Writes for the catalogue: a course's skills, what follows an edit of a course or a programme
(HR's admin form and the catalogue import both end here), and the badges' alignments."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import translation

from badges.models import BadgeClass
from hachioji_portal.organisation import organisation

from ..holdings import skill_holdings_refresh_for_courses, skill_holdings_refresh_for_programmes
from ..learning import learning_years_refresh_for_courses
from ..models import Course, CourseSkill, Enrolment, Programme, Skill
from ..skill_framework import skill_public_url
from .base import _promote_waitlisted, service

# --- Catalogue ------------------------------------------------------------------------------


def _write_skills(course: Course, levels: dict[Skill, int]) -> None:
    CourseSkill.objects.filter(course=course).exclude(skill__in=list(levels)).delete()
    for skill, level in levels.items():
        CourseSkill.objects.update_or_create(course=course, skill=skill, defaults={"level": level})


@transaction.atomic
def course_set_skills(*, course: Course, levels: dict[Skill, int]) -> None:
    """Make ``levels`` (skill → level) the course's skills, then refresh its badge's alignments."""
    _write_skills(course, levels)
    if course.badge_class_id:
        course_align_badge(course=course)
    # Whoever completed the course (or holds its badge) now holds other skills or levels.
    skill_holdings_refresh_for_courses(course_ids=[course.pk])


@service
def course_update(
    *,
    course: Course,
    changed: Iterable[str],
    created: bool = False,
    old_badge_class_id: int | None = None,
    skill_levels: dict[Skill, int] | None = None,
) -> list[Enrolment]:
    """What follows an edit of a course the caller has just saved: HR's admin form and the
    catalogue import both end here, so an edit means the same whichever way it came.

    ``changed`` names the fields that changed (``"skills"`` for the course's skills);
    ``skill_levels`` (skill → level), when given, become the course's skills first (the import).
    Steps, under the course lock (taken first, as everywhere):

    1. the course's badge (if any) gets its alignments from the course's skills;
    2. when the skills or the badge of an existing course changed, everyone with evidence
       through it has their skill holdings refreshed (the old badge's holders too);
    3. when the capacity changed, free seats go to the waiting list, first come first served.

    Returns the enrolments moved from the waiting list to a seat.
    """
    changed = set(changed)
    locked = Course.objects.select_for_update().get(pk=course.pk)
    if skill_levels is not None:
        _write_skills(locked, skill_levels)
        changed.add("skills")
    if locked.badge_class_id:
        course_align_badge(course=locked)
    if not created and {"skills", "badge_class"} & changed:
        skill_holdings_refresh_for_courses(
            course_ids=[locked.pk], old_badge_class_ids=[old_badge_class_id] if old_badge_class_id else []
        )
    if not created and {"starts_on", "application_closes_on", "hours"} & changed:
        # The fiscal year its seats count in, or its completions' hours (the human-capital report).
        learning_years_refresh_for_courses(course_ids=[locked.pk])
    return _promote_waitlisted(locked) if "capacity" in changed else []


@transaction.atomic
def programme_update(
    *, programme: Programme, changed: Iterable[str], created: bool = False, old_badge_class_id: int | None = None
) -> None:
    """What follows an edit of a programme the caller has just saved (HR's admin form).

    The programme's badge (if any) gets its alignments from its courses' skills; when the
    courses or the badge of an existing programme changed, the holders of its badge (old and
    new) have their skill holdings refreshed.
    """
    if programme.badge_class_id:
        programme_align_badge(programme=programme)
    if not created and {"courses", "badge_class"} & set(changed):
        skill_holdings_refresh_for_programmes(
            programme_ids=[programme.pk], old_badge_class_ids=[old_badge_class_id] if old_badge_class_id else []
        )


def _alignment(course: Course, course_skill: CourseSkill) -> dict[str, str]:
    skill = course_skill.skill
    with translation.override("ja"):
        level = str(course_skill.get_level_display())
    return {
        "targetName": skill.name,
        # The skill's public page: verifiers and wallets follow this link, and the course page
        # is for signed-in staff only. Badges already issued keep the link they were signed with.
        "targetUrl": skill_public_url(skill.code),
        "targetCode": skill.code,
        # The framework as configured now (PORTAL_SKILL_FRAMEWORK); issued badges keep theirs.
        "targetFramework": organisation().skill_framework,
        "targetDescription": f"{skill.description}（{level}）" if skill.description else level,
    }


@transaction.atomic
def course_align_badge(*, course: Course) -> list[dict[str, str]]:
    """Fill the course badge's alignments from the course's skills (one per skill)."""
    if not course.badge_class_id:
        return []
    alignments = [_alignment(course, cs) for cs in course.course_skills.select_related("skill")]
    BadgeClass.objects.filter(pk=course.badge_class_id).update(alignments=alignments)
    return alignments


@transaction.atomic
def programme_align_badge(*, programme: Programme) -> list[dict[str, str]]:
    """Fill the programme badge's alignments from its courses' skills (each skill once, highest level)."""
    if not programme.badge_class_id:
        return []
    best: dict[int, tuple[Course, CourseSkill]] = {}
    for cs in CourseSkill.objects.filter(course__programmes=programme).select_related("skill", "course"):
        if cs.skill_id not in best or cs.level > best[cs.skill_id][1].level:
            best[cs.skill_id] = (cs.course, cs)
    alignments = [
        _alignment(course, cs)
        for course, cs in sorted(best.values(), key=lambda p: (p[1].skill.sort_order, p[1].skill.code))
    ]
    BadgeClass.objects.filter(pk=programme.badge_class_id).update(alignments=alignments)
    return alignments
