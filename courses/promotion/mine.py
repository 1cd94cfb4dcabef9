"""A staff member's own view: the selections they can sit, their points under each, and the
open courses whose badge would add points."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy

from badges.models import Award
from staff.models import EmploymentType, StaffMember

from ..insight import fiscal_year_of
from ..models import Course, Enrolment, PromotionRuleSet, UseType
from .evaluation import Evidence, Standing, evidence, standings
from .rules import Category, Rules, rules_load

# --- A staff member's own view --------------------------------------------------------------


@dataclass
class CourseOffer:
    course: Course
    points: int  # what its badge would add, after the category's cap


@dataclass
class MyStanding:
    rules: Rules
    standing: Standing
    eligible: bool  # meets the years in grade (otherwise: shown, not yet a candidate)
    evidence: list[Evidence]
    offers: list[CourseOffer]

    @property
    def categories(self) -> list[tuple[Category, int]]:
        return [(c, self.standing.by_category.get(c.pk, 0)) for c in self.rules.categories.values()]


def selections_for(person: StaffMember, *, today: dt.date | None = None) -> list[PromotionRuleSet]:
    """The published rule sets the person can sit: their grade sits it, they are regular staff,
    and its fiscal year is this one or later."""
    today = today or timezone.localdate()
    if person.employment_type != EmploymentType.REGULAR or not person.grade:
        return []
    selections = [sel for sel, grade in _sat_by().items() if grade == person.grade]
    return list(
        PromotionRuleSet.objects.filter(
            is_published=True, selection__in=selections, fiscal_year__gte=fiscal_year_of(today)
        ).order_by("fiscal_year", "selection")
    )


def _sat_by() -> dict[str, str]:
    from ..models import SELECTION_SAT_BY

    return {str(k): v for k, v in SELECTION_SAT_BY.items()}


def my_standing(person: StaffMember, rule_set: PromotionRuleSet, *, today: dt.date | None = None) -> MyStanding:
    """The person's points under ``rule_set`` (as if they were a candidate), whether they meet the
    years in grade, and the open courses whose badge would add points (at most 10)."""
    today = today or timezone.localdate()
    rules = rules_load(rule_set)
    # Their points whatever their years in grade (a person a year short still sees them).
    found = standings(rules, only=[person.pk], any_years=True)
    standing = found[0] if found else Standing(person.pk, person.employee_number, None)
    since_by = rules.grade_since_by
    eligible = bool(found) and (
        since_by is None or (standing.grade_since is not None and standing.grade_since <= since_by)
    )
    mine = evidence(rules, [person.pk]).get(person.pk, [])
    offers = courses_adding_points(rules, person, standing, today=today)
    return MyStanding(rules, standing, eligible, mine, offers)


def courses_adding_points(
    rules: Rules, person: StaffMember, standing: Standing, *, today: dt.date, limit: int = 10
) -> list[CourseOffer]:
    """Published courses open for application today whose badge would count under the rules and
    add points (the category not yet at its cap), that the person has no live request for and
    whose badge they do not hold already; most points first. Two queries."""
    if not rules.by_badge:
        return []
    courses = (
        Course.objects.published()
        .open_for_application(today)
        .filter(badge_class_id__in=list(rules.by_badge))
        .exclude(pk__in=Enrolment.objects.active().filter(staff=person).values("course_id"))
        .exclude(
            badge_class_id__in=Award.objects.filter(recipient=person, status=Award.Status.ISSUED).values(
                "badge_class_id"
            )
        )
        .select_related("provider")
    )
    if rules.rule_set.promotion_use_only:
        courses = courses.supporting(UseType.PROMOTION)
    offers = []
    for course in courses.order_by("starts_on", "code")[:200]:
        match = rules.by_badge[course.badge_class_id]  # type: ignore[index]
        category = rules.categories.get(match.category)
        have = standing.by_category.get(match.category, 0)
        room = match.points if category is None or category.cap is None else max(category.cap - have, 0)
        added = min(match.points, room)
        if added > 0:
            offers.append(CourseOffer(course, added))
    offers.sort(key=lambda o: (-o.points, o.course.starts_on or today, o.course.code))
    return offers[:limit]


HELP_POINTS = gettext_lazy(
    "A badge counts when it was issued within the rule set's period before the cutoff date and is valid on "
    "the cutoff date (not expired, not revoked); with “only requests for promotion selection”, only badges of "
    "courses requested as evidence for promotion selection count. A badge matching several rules counts once, "
    "for the most points; each category's points are cut to its cap."
)
