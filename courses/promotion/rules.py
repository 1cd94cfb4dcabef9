"""The rules of a promotion rule set, loaded once: its categories with their caps, and for each
badge class the one rule it counts under (see the package docstring for the definitions)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy

from ..models import CourseSkill, Programme, PromotionRule, PromotionRuleSet

#: The category of external badges when the rule set names none (no cap).
EXTERNAL_CATEGORY = 0


def _t(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


# --- The rules, loaded once ---------------------------------------------------------------


@dataclass(frozen=True)
class Category:
    pk: int
    name: str
    cap: int | None


@dataclass(frozen=True)
class Match:
    """The rule a badge class counts under (the best one), with its points and category."""

    rule_pk: int
    category: int
    points: int


@dataclass
class Rules:
    rule_set: PromotionRuleSet
    categories: dict[int, Category]
    by_badge: dict[int, Match]  # badge class id → best rule
    external: Match | None

    @property
    def cutoff_end(self) -> dt.datetime:
        """The end of the cutoff day (Japan time): a badge valid then is valid on the cutoff date."""
        day = self.rule_set.cutoff_on + dt.timedelta(days=1)
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min))

    @property
    def recency_start(self) -> dt.datetime | None:
        years = self.rule_set.recency_years
        if not years:
            return None
        day = years_before(self.rule_set.cutoff_on, years)
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min))

    @property
    def grade_since_by(self) -> dt.date | None:
        """Candidates must be in grade since this day (None: no minimum)."""
        years = self.rule_set.min_years_in_grade
        return years_before(self.rule_set.cutoff_on, years) if years else None

    def capped(self, by_category: dict[int, int]) -> dict[int, int]:
        out = {}
        for pk, points in by_category.items():
            cap = self.categories[pk].cap if pk in self.categories else None
            out[pk] = min(points, cap) if cap is not None else points
        return out


def rules_load(rule_set: PromotionRuleSet) -> Rules:
    """The rule set's categories and rules, and for each badge class the rule it counts under.
    Three queries (rules with their categories; courses, and programmes, aligned to the skills)."""
    rules = list(PromotionRule.objects.filter(rule_set=rule_set).select_related("category").order_by("pk"))
    categories = {
        r.category_id: Category(r.category_id, r.category.name, r.category.cap) for r in rules if r.category_id
    }
    by_badge: dict[int, Match] = {}

    def offer(badge_id: int | None, rule: PromotionRule) -> None:
        if not badge_id:
            return
        current = by_badge.get(badge_id)
        # The most points wins; between equals, the rule written first (stable for a digest).
        if current is None or rule.points > current.points:
            by_badge[badge_id] = Match(rule.pk, rule.category_id, rule.points)

    skill_rules = [r for r in rules if r.skill_id]
    for r in rules:
        if r.badge_class_id:
            offer(r.badge_class_id, r)
    if skill_rules:
        skills = {r.skill_id for r in skill_rules}
        levels: dict[int, dict[int, int]] = defaultdict(dict)  # badge class → skill → best level
        for badge_id, skill_id, level in CourseSkill.objects.filter(
            skill_id__in=skills, course__badge_class__isnull=False
        ).values_list("course__badge_class_id", "skill_id", "level"):
            levels[badge_id][skill_id] = max(level, levels[badge_id].get(skill_id, 0))
        for badge_id, skill_id, level in Programme.objects.filter(
            badge_class__isnull=False, courses__course_skills__skill_id__in=skills
        ).values_list("badge_class_id", "courses__course_skills__skill_id", "courses__course_skills__level"):
            levels[badge_id][skill_id] = max(level, levels[badge_id].get(skill_id, 0))
        for badge_id, held in levels.items():
            for r in skill_rules:
                if held.get(r.skill_id, 0) >= r.min_level:
                    offer(badge_id, r)
    external = None
    rs = rule_set
    if rs.count_external and rs.external_points:
        pk = rs.external_category_id or EXTERNAL_CATEGORY
        if pk == EXTERNAL_CATEGORY or pk not in categories:
            category = rs.external_category
            categories[pk] = (
                Category(pk, category.name, category.cap)
                if category is not None
                else Category(pk, str(gettext_lazy("External badges")), None)
            )
        external = Match(0, pk, rs.external_points)
    return Rules(rs, categories, by_badge, external)
