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


# --- A straightforward computation, to check the set-based one against -----------------------


def naive_standings(rule_set: PromotionRuleSet) -> list[tuple[int, str, dt.date | None, dict[int, int], int]]:
    """Every candidate's ``(staff id, employee number, in grade since, capped points per category,
    total)``, most points first then by employee number: computed the plain way, person by person
    in Python from the rows (the definitions of ``courses/promotion/__init__.py``), sharing no code
    with ``courses.promotion``. Used by the tests and by ``scripts/bench_hr_pages.py --check``."""
    from collections import defaultdict

    from courses.models import AwardUse, CourseSkill, Programme
    from staff.models import EmploymentType

    rs = rule_set
    cutoff_end = timezone.make_aware(dt.datetime.combine(rs.cutoff_on + dt.timedelta(days=1), dt.time.min))

    def back(day: dt.date, years: int) -> dt.date:
        try:
            return day.replace(year=day.year - years)
        except ValueError:
            return day.replace(year=day.year - years, day=28)

    # The best rule of each badge class (most points; between equals, the first written).
    rules = list(PromotionRule.objects.filter(rule_set=rs).select_related("category").order_by("pk"))
    levels: dict[Any, dict[Any, int]] = defaultdict(dict)
    for cs in CourseSkill.objects.filter(course__badge_class__isnull=False).select_related("course"):
        held = levels[cs.course.badge_class_id]
        held[cs.skill_id] = max(held.get(cs.skill_id, 0), cs.level)
    for programme in Programme.objects.filter(badge_class__isnull=False).prefetch_related("courses__course_skills"):
        held = levels[programme.badge_class_id]
        for course in programme.courses.all():
            for cs in course.course_skills.all():
                held[cs.skill_id] = max(held.get(cs.skill_id, 0), cs.level)
    best: dict[Any, PromotionRule] = {}
    for badge_id in set(levels) | {r.badge_class_id for r in rules if r.badge_class_id}:
        for r in rules:
            fits = r.badge_class_id == badge_id or (
                r.skill_id is not None and levels.get(badge_id, {}).get(r.skill_id, 0) >= r.min_level
            )
            if fits and (badge_id not in best or r.points > best[badge_id].points):
                best[badge_id] = r
    caps: dict[Any, int | None] = {r.category_id: r.category.cap for r in rules}
    ext_category = rs.external_category_id or 0
    if rs.external_category_id:
        caps.setdefault(rs.external_category_id, rs.external_category.cap)  # type: ignore[union-attr]

    people = list(
        StaffMember.objects.filter(
            is_active=True, grade=rs.sat_by_grade, employment_type=EmploymentType.REGULAR
        ).values_list("pk", "employee_number")
    )
    ids = {pk for pk, _ in people}
    posts: dict[int, list[tuple[dt.date, str]]] = defaultdict(list)
    for staff_id, valid_from, grade in Assignment.objects.filter(staff_id__in=ids).values_list(
        "staff_id", "valid_from", "grade"
    ):
        if valid_from <= rs.cutoff_on:
            posts[staff_id].append((valid_from, grade))
    recent_from = (
        timezone.make_aware(dt.datetime.combine(back(rs.cutoff_on, rs.recency_years), dt.time.min))
        if rs.recency_years
        else None
    )
    promotion_awards = set(AwardUse.objects.filter(kind="promotion").values_list("award_id", flat=True))
    points: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for award in Award.objects.filter(recipient_id__in=ids).only(
        "pk", "recipient_id", "badge_class_id", "status", "issued_at", "expires_at"
    ):
        counts = (
            award.badge_class_id in best
            and award.status == "issued"
            and award.issued_at is not None
            and award.issued_at < cutoff_end
            and (award.expires_at is None or award.expires_at >= cutoff_end)
            and (recent_from is None or award.issued_at >= recent_from)
            and (not rs.promotion_use_only or award.pk in promotion_awards)
        )
        if counts:
            rule = best[award.badge_class_id]
            points[award.recipient_id][rule.category_id] += rule.points
    if rs.count_external and rs.external_points:
        for badge in ExternalBadge.objects.filter(holder_id__in=ids, status="confirmed"):
            if (
                badge.issued_on is not None
                and badge.issued_on <= rs.cutoff_on
                and (badge.expires_at is None or badge.expires_at >= cutoff_end)
                and (not rs.recency_years or badge.issued_on >= back(rs.cutoff_on, rs.recency_years))
            ):
                points[badge.holder_id][ext_category] += rs.external_points
    since_by = back(rs.cutoff_on, rs.min_years_in_grade) if rs.min_years_in_grade else None
    out = []
    for pk, number in people:
        # In grade since: walk back from the latest post begun by the cutoff while the grade stays.
        since = None
        for valid_from, grade in sorted(posts[pk], reverse=True):
            if grade != rs.sat_by_grade:
                break
            since = valid_from
        if since_by is not None and (since is None or since > since_by):
            continue
        capped = {c: n if (cap := caps.get(c)) is None else min(n, cap) for c, n in points[pk].items() if n}
        out.append((pk, number, since, capped, sum(capped.values())))
    return sorted(out, key=lambda row: (-row[4], row[1]))


__all__ = [
    "Enrolment",
    "Selection",
    "badge_for",
    "build_selection",
    "external_badge",
    "make_person",
    "naive_standings",
    "years_ago",
]
