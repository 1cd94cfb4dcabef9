"""Rows for the candidates page, the whole list as plain data (what an export prints and a
freeze stores), its canonical bytes and digest, and the freeze itself."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import translation

from staff.models import PositionGrade, StaffMember

from ..insight import DepartmentIndex
from ..models import PromotionRule, PromotionRuleSet, PromotionSnapshot
from .evaluation import Evidence, Standing, _ids_subquery, evidence, standings
from .rules import Category, Rules, rules_load

# --- Rows for a page, an export or a snapshot -------------------------------------------------


@dataclass
class CandidateRow:
    person: StaffMember
    department_label: str
    standing: Standing
    evidence: list[Evidence]
    cutoff_on: dt.date
    categories: list[tuple[Category, int]]  # every category of the rules, with the person's points

    @property
    def years_in_grade(self) -> int | None:
        return years_between(self.standing.grade_since, self.cutoff_on)


def years_between(start: dt.date | None, end: dt.date) -> int | None:
    if start is None:
        return None
    years = end.year - start.year - ((end.month, end.day) < (start.month, start.day))
    return max(years, 0)


def candidate_rows(rules: Rules, page: list[Standing], departments: DepartmentIndex) -> list[CandidateRow]:
    """The people of ``page`` with their department and evidence: two or three queries."""
    ids = [s.staff_id for s in page]
    people = StaffMember.objects.in_bulk(ids)
    found = evidence(rules, ids) if ids else {}
    cutoff = rules.rule_set.cutoff_on
    return [
        CandidateRow(
            people[s.staff_id],
            departments.label(people[s.staff_id].department_id),
            s,
            found.get(s.staff_id, []),
            cutoff,
            [(c, s.by_category.get(c.pk, 0)) for c in rules.categories.values()],
        )
        for s in page
        if s.staff_id in people
    ]


def content_build(rules: Rules, departments: DepartmentIndex) -> dict[str, Any]:
    """The whole candidate list as plain data (what a freeze stores and an export prints): the rule
    set's rules, then every candidate with points per category and the evidence. Names and labels
    in Japanese (the committee's language). Five queries plus the rules'."""
    rs = rules.rule_set
    all_standings = standings(rules)
    ids = [s.staff_id for s in all_standings]
    people = {
        p.pk: p
        for p in StaffMember.objects.filter(pk__in=_ids_subquery(rules, None)).only(
            "pk",
            "employee_number",
            "family_name",
            "given_name",
            "family_name_kana",
            "given_name_kana",
            "department_id",
            "grade",
        )
    }
    found = evidence(rules, _ids_subquery(rules, None)) if ids else {}
    with translation.override("ja"):
        categories = [
            {"id": c.pk, "name": str(c.name), "cap": c.cap}
            for c in sorted(rules.categories.values(), key=lambda c: c.pk)
        ]
        rule_rows = [
            {
                "category": r.category.name,
                "badge": r.badge_class.name if r.badge_class_id else None,
                "skill": r.skill.code if r.skill_id else None,
                "min_level": r.min_level if r.skill_id else None,
                "points": r.points,
            }
            for r in PromotionRule.objects.filter(rule_set=rs)
            .select_related("category", "badge_class", "skill")
            .order_by("pk")
        ]
        candidates = []
        for s in all_standings:
            p = people.get(s.staff_id)
            if p is None:
                continue
            candidates.append(
                {
                    "employee_number": p.employee_number,
                    "name": p.full_name,
                    "kana": p.full_name_kana,
                    "department": departments.label(p.department_id),
                    "grade": str(PositionGrade(p.grade).label) if p.grade else "",
                    "grade_since": s.grade_since.isoformat() if s.grade_since else None,
                    "years_in_grade": years_between(s.grade_since, rs.cutoff_on),
                    "points": [{"category": c, "points": n} for c, n in sorted(s.by_category.items())],
                    "total": s.total,
                    "evidence": [
                        {
                            "kind": e.kind,
                            "name": e.name,
                            "issued_on": e.issued_on.isoformat() if e.issued_on else None,
                            "expires_on": e.expires_on.isoformat() if e.expires_on else None,
                            "status": e.status,
                            "category": e.category,
                            "points": e.points,
                        }
                        for e in found.get(s.staff_id, [])
                    ],
                }
            )
        return {
            "fiscal_year": rs.fiscal_year,
            "selection": rs.selection,
            "selection_name": str(rs.get_selection_display()),
            "cutoff_on": rs.cutoff_on.isoformat(),
            "recency_years": rs.recency_years,
            "min_years_in_grade": rs.min_years_in_grade,
            "promotion_use_only": rs.promotion_use_only,
            "external_points": rules.external.points if rules.external else 0,
            "categories": categories,
            "rules": rule_rows,
            "candidates": candidates,
        }


def canonical(content: dict[str, Any]) -> bytes:
    """The bytes the digest is taken of: JSON with sorted keys, no spaces, UTF-8 (not escaped)."""
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def digest(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()


@transaction.atomic
def snapshot_freeze(*, rule_set: PromotionRuleSet, actor: StaffMember) -> PromotionSnapshot:
    """Freeze the candidate list of ``rule_set`` as it stands now: a new snapshot (the earlier ones
    stay, as the history of freezes). The rule set's row is locked, so two freezes at once are one
    after the other."""
    rule_set = PromotionRuleSet.objects.select_for_update().get(pk=rule_set.pk)
    content = content_build(rules_load(rule_set), DepartmentIndex.load())
    return PromotionSnapshot.objects.create(
        rule_set=rule_set,
        frozen_by=actor,
        digest=digest(content),
        candidates=len(content["candidates"]),
        content=content,
    )
