"""A person's profile for HR: departments past and present, training record, badges, skills."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from badges.models import Award, ExternalBadge
from staff.models import Assignment, StaffMember

from ..models import CourseSkill, Enrolment, EnrolmentState, Skill
from .departments import DepartmentIndex
from .evidence import award_is_valid

S = EnrolmentState


@dataclass
class HeldSkill:
    skill: Skill
    level: int
    evidence: list[str]


@dataclass
class Profile:
    person: StaffMember
    department_label: str
    assignments: list[tuple[Assignment, str]]
    enrolments: list[Enrolment]
    awards: list[Award]
    external_badges: list[ExternalBadge]
    skills: list[HeldSkill]


def person_for_profile(*, employee_number: str) -> StaffMember | None:
    return StaffMember.objects.select_related("department").filter(employee_number=employee_number).first()


def profile(*, person: StaffMember, departments: DepartmentIndex, now: dt.datetime | None = None) -> Profile:
    """Departments past and present, training record, badges and the skills they show: six queries."""
    now = now or timezone.now()
    assignments = [
        (a, departments.label(a.department_id)) for a in Assignment.objects.filter(staff=person).order_by("-valid_from")
    ]
    enrolments = list(
        Enrolment.objects.filter(staff=person)
        .select_related("course", "course__provider")
        .order_by("-requested_at", "-pk")
    )
    awards = list(Award.objects.filter(recipient=person).select_related("badge_class").order_by("-requested_at"))
    for a in awards:
        a.valid = award_is_valid(a, now)  # type: ignore[attr-defined]
    external = list(ExternalBadge.objects.filter(holder=person).shown_in_record().order_by("-created_at"))

    # Skills: from completed courses, and from valid awards through their courses and programmes.
    completed = {e.course_id: e for e in enrolments if e.state == S.COMPLETED}
    valid_badges = {a.badge_class_id: a for a in awards if a.valid}  # type: ignore[attr-defined]
    rows = CourseSkill.objects.filter(
        Q(course_id__in=list(completed))
        | Q(course__badge_class_id__in=list(valid_badges))
        | Q(course__programmes__badge_class_id__in=list(valid_badges))
    ).values_list(
        "skill_id",
        "skill__code",
        "skill__name",
        "skill__name_en",
        "level",
        "course_id",
        "course__badge_class_id",
        "course__programmes__badge_class_id",
    )
    held: dict[int, HeldSkill] = {}
    for skill_id, code, name, name_en, level, course_id, course_badge, programme_badge in rows:
        reasons = []
        if course_id in completed:
            reasons.append(completed[course_id].course.display_title)
        for badge_id in (course_badge, programme_badge):
            if badge_id in valid_badges:
                badge = valid_badges[badge_id].badge_class
                reasons.append(gettext("badge “%(name)s”") % {"name": badge.name})
        if not reasons:
            continue
        entry = held.setdefault(skill_id, HeldSkill(Skill(pk=skill_id, code=code, name=name, name_en=name_en), 0, []))
        entry.level = max(entry.level, level)
        for r in reasons:
            if r not in entry.evidence:
                entry.evidence.append(r)
    skills = sorted(held.values(), key=lambda h: h.skill.code)
    return Profile(
        person=person,
        department_label=departments.label(person.department_id),
        assignments=assignments,
        enrolments=enrolments,
        awards=awards,
        external_badges=external,
        skills=skills,
    )
