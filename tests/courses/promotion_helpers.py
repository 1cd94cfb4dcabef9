"""A small selection for the promotion-points tests: 係長選考 2026 (sat by 主任), its rules, and people.

- kenji: 主任 for 5 years (two posts); LAW-2 twice (10 each, 法務 capped at 15), a DX badge (5),
  a LAW-2 requested for self-development and a LAW-1 (neither counts): 20 points.
- mari: 主任 for 3 years; a LAW-2 expiring after the cutoff (10); one expired before it, one
  revoked, one four years old (none counts): 10 points.
- nao: 主任 for 1 year, LAW-2: not a candidate (years in grade).
- oscar: 主事, LAW-2: not a candidate (grade).
- pia: 主任 for 4 years, 会計年度任用職員: not a candidate (employment type).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from badges.models import Award, BadgeClass, ExternalBadge
from badges.signals import awards_changed
from courses.models import Course, Enrolment, PromotionCategory, PromotionRule, PromotionRuleSet, Skill
from staff.models import Assignment, Department, StaffMember
from tests.factories import make_badge_class, make_course, make_enrolment, make_skill, make_staff

_seq = itertools.count(1)


def years_ago(n: float) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=round(365.25 * n))


def at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)))


def badge_for(
    person: StaffMember,
    course: Course,
    *,
    use_type: str = "promotion",
    issued: dt.date | None = None,
    expires: dt.date | None = None,
    status: str = "issued",
) -> Award:
    """A completed enrolment of ``course`` and its issued badge (source_key as the courses service
    writes it, so the badge's use type is the request's)."""
    issued = issued or timezone.localdate() - dt.timedelta(days=20)
    enrolment = make_enrolment(
        staff=person, course=course, state="completed", use_type=use_type, completed_on=issued - dt.timedelta(days=1)
    )
    award = Award.objects.create(
        recipient=person,
        badge_class=course.badge_class,
        issuer=course.badge_class.issuer,
        source_key=f"enrolment:{enrolment.pk}",
        achieved_on=issued,
        status=status,
        issued_at=at(issued),
        expires_at=at(expires) if expires else None,
        revoked_at=timezone.now() if status == "revoked" else None,
    )
    awards_changed.send(sender=Award, recipient_ids=[person.pk])
    return award


def external_badge(person: StaffMember, *, issued: dt.date, status: str = "confirmed", **fields: Any) -> ExternalBadge:
    n = next(_seq)
    return ExternalBadge.objects.create(
        holder=person,
        original_file=f"external-badges/test-{n}.png",
        original_kind="png",
        file_sha256="0" * 64,
        standard="3.0",
        achievement_name=f"外部研修バッジ{n}",
        issuer_name="東京都市町村職員研修所",
        issued_on=issued,
        verification_status="valid",
        verification_code="ok",
        checked_at=timezone.now(),
        status=status,
        confirmed_at=timezone.now() if status == "confirmed" else None,
        **fields,
    )


def post(person: StaffMember, department: Department, grade: str, since: dt.date, until: dt.date | None = None) -> None:
    Assignment.objects.create(staff=person, department=department, grade=grade, valid_from=since, valid_to=until)


@dataclass
class Selection:
    rule_set: PromotionRuleSet
    law: PromotionCategory
    dx: PromotionCategory
    law_skill: Skill
    law2: Course  # LAW level 2, promotion use, with a badge
    law2b: Course
    law2c: Course
    dx_course: Course
    people: dict[str, StaffMember]


def make_person(department: Department, grade: str, since_years: float, **fields: Any) -> StaffMember:
    person = make_staff(department=department, grade=grade, **fields)
    post(person, department, grade, years_ago(since_years))
    return person


def build_selection(department: Department, other: Department) -> Selection:
    law = make_skill(code="LAW", name="法務")
    dx = make_skill(code="DX", name="デジタル")

    def course(skill: Skill, level: int, **fields: Any) -> Course:
        badge = make_badge_class(name=f"{skill.name}{level} 修了 {next(_seq)}")
        return make_course(skills={skill: level}, badge_class=badge, for_promotion=True, **fields)

    law2, law2b, law2c, law2d = course(law, 2), course(law, 2), course(law, 2), course(law, 2)
    dx_course = course(dx, 1)
    law1 = course(law, 1)  # level 1: below the rule's level, counts for nothing
    cutoff = timezone.localdate() + dt.timedelta(days=30)
    rule_set = PromotionRuleSet.objects.create(
        fiscal_year=2026,
        selection="kakaricho",
        cutoff_on=cutoff,
        recency_years=3,
        min_years_in_grade=2,
        promotion_use_only=True,
        is_published=True,
    )
    law_cat = PromotionCategory.objects.create(rule_set=rule_set, name="法務", cap=15)
    dx_cat = PromotionCategory.objects.create(rule_set=rule_set, name="DX", cap=None)
    PromotionRule.objects.create(rule_set=rule_set, category=law_cat, skill=law, min_level=2, points=10)
    PromotionRule.objects.create(rule_set=rule_set, category=dx_cat, badge_class=dx_course.badge_class, points=5)

    kenji = make_staff(department=department, grade="shunin", family_name="伊藤", given_name="健二")
    # Two posts at the same grade (a transfer): in grade since the first.
    post(kenji, other, "shunin", years_ago(5), years_ago(2))
    post(kenji, department, "shunin", years_ago(2))
    badge_for(kenji, law2)
    badge_for(kenji, law2b)
    badge_for(kenji, dx_course)
    badge_for(kenji, law2c, use_type="self_development")  # not for promotion: does not count
    badge_for(kenji, law1)

    mari = make_person(department, "shunin", 3, family_name="小林", given_name="真理")
    badge_for(mari, law2, expires=cutoff + dt.timedelta(days=10))  # valid on the cutoff
    badge_for(mari, law2b, issued=years_ago(2), expires=cutoff - dt.timedelta(days=1))  # expired by then
    badge_for(mari, law2c, status="revoked")
    badge_for(mari, law2d, issued=years_ago(4))  # too old (3 years)

    nao = make_person(department, "shunin", 1, family_name="中村", given_name="奈緒")
    badge_for(nao, law2)
    oscar = make_person(department, "shuji", 6, family_name="大野", given_name="修")
    badge_for(oscar, law2)
    pia = make_person(department, "shunin", 4, family_name="林", given_name="ピア", employment_type="fiscal_year")
    badge_for(pia, law2)
    return Selection(
        rule_set,
        law_cat,
        dx_cat,
        law,
        law2,
        law2b,
        law2c,
        dx_course,
        {"kenji": kenji, "mari": mari, "nao": nao, "oscar": oscar, "pia": pia},
    )


def badge_class_of(course: Course) -> BadgeClass:
    assert course.badge_class is not None
    return course.badge_class


__all__ = ["Enrolment", "Selection", "badge_for", "build_selection", "external_badge", "make_person", "years_ago"]
