"""The skill matrix: departments by skills, how many people hold each skill."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from badges.models import Award
from staff.models import StaffMember

from ..models import Enrolment, EnrolmentState, Skill, SkillBadgeSpan, SkillHolding
from .departments import DepartmentIndex, Dept
from .scope import Scope

S = EnrolmentState


@dataclass
class MatrixRow:
    department: Dept
    counts: list[int]
    headcount: int
    has_children: bool


@dataclass
class SkillMatrix:
    skills: list[Skill]
    rows: list[MatrixRow]
    parent: Dept | None
    level: int
    grade: str
    as_of: dt.date
    valid_only: bool

    @property
    def maximum(self) -> int:
        return max((c for r in self.rows for c in r.counts), default=0)


def _holder_counts_sql(
    *, scope: Scope, parent: Dept | None, level: int, grade: str, as_of: dt.date, valid_only: bool
) -> tuple[str, list[Any]]:
    """SQL counting holders per (department, skill); see the module docstring for "holds".

    The evidence is three querysets of distinct (person, skill) rows joined with UNION (which
    removes duplicates: a completion and its badge are one person once); the people are then
    joined once, for their department and the filters. For a narrow scope (a head of section, a
    drilled-down department) each part is also filtered by the people first, so it stays small.
    Everything is built by the ORM, so it runs on SQLite and PostgreSQL alike.

    The definition the maintained tables must match: the matrix reads them
    (:func:`_holder_counts_from_holdings`); the tests and ``scripts/bench_insight.py --check``
    compare the two.
    """
    moment = timezone.make_aware(dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min))
    narrow = not scope.is_hr or parent is not None

    def people(prefix: str) -> Q:
        q = Q(**{f"{prefix}is_active": True}) & scope.staff_q(prefix)
        if parent is not None:
            q &= Q(**{f"{prefix}department__path__startswith": parent.path})
        if grade:
            q &= Q(**{f"{prefix}grade": grade})
        return q

    # Valid at the end of ``as_of``: issued by then, not expired then, and not revoked by then.
    award_valid = (
        Q(issued_at__lt=moment)
        & (Q(expires_at__isnull=True) | Q(expires_at__gte=moment))
        & (Q(status=Award.Status.ISSUED) | Q(status=Award.Status.REVOKED, revoked_at__gte=moment))
    )
    awards = Award.objects.filter(award_valid, people("recipient__") if narrow else Q())
    parts: list[QuerySet[Any]] = []
    if not valid_only:
        completions = Enrolment.objects.filter(
            people("staff__") if narrow else Q(), state=S.COMPLETED, completed_on__lte=as_of
        )
        parts.append(
            completions.annotate(
                p=F("staff_id"), s=F("course__course_skills__skill_id"), lv=F("course__course_skills__level")
            )
            .filter(lv__gte=level)
            .values("p", "s")
            .order_by()
        )
    for path in ("badge_class__courses__course_skills", "badge_class__programmes__courses__course_skills"):
        parts.append(
            awards.annotate(p=F("recipient_id"), s=F(f"{path}__skill_id"), lv=F(f"{path}__level"))
            .filter(lv__gte=level)
            .values("p", "s")
            .order_by()
        )
    holders_sql, holders_params = parts[0].union(*parts[1:]).query.sql_with_params()
    staff = StaffMember.objects.filter(people("")).annotate(sid=F("pk"), sdept=F("department_id"))
    staff_sql, staff_params = staff.values("sid", "sdept").order_by().query.sql_with_params()
    sql = (
        f"SELECT st.sdept, h.s, COUNT(*) FROM ({holders_sql}) h "  # noqa: S608 - ORM-built SQL, bound params
        f"INNER JOIN ({staff_sql}) st ON st.sid = h.p GROUP BY st.sdept, h.s"
    )
    return sql, [*holders_params, *staff_params]


def _holder_counts_from_holdings(
    *, scope: Scope, parent: Dept | None, level: int, grade: str, as_of: dt.date, valid_only: bool
) -> tuple[str, list[Any]]:
    """The same counts as :func:`_holder_counts_sql`, read from the maintained tables
    (``courses.holdings``), so that no evidence is deduplicated.

    ``as_of`` today or later: ``SkillHolding`` alone, one row per person, skill and level held
    at or above. Every completion recorded by then counts (a completion date is never in the
    future), and a badge counts when one of the person's issued, unrevoked badges for the skill
    runs to the end of ``as_of`` or later (``badge_until``).

    An earlier day needs each badge's own dates (one may have expired or been revoked before
    another was issued): the completions still come from ``SkillHolding`` (the first one by
    then), the badges from ``SkillBadgeSpan``, whose spans of one person, skill and level never
    overlap, so at most one is valid at a moment. A person counted for a completion is left out
    of the badge part (each span carries the person's first completion, copied from
    ``SkillHolding``), so the two parts add up without deduplication or a join between them (a
    UNION ALL of two grouped counts, summed per department and skill).
    """
    moment = timezone.make_aware(dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min))

    def people(rows: QuerySet[Any]) -> QuerySet[Any]:
        rows = rows.filter(staff__is_active=True).filter(scope.staff_q("staff__"))
        if parent is not None:
            rows = rows.filter(staff__department__path__startswith=parent.path)
        if grade:
            rows = rows.filter(staff__grade=grade)
        return rows

    def counted(rows: QuerySet[Any]) -> QuerySet[Any]:
        return rows.order_by().values(d=F("staff__department_id"), s=F("skill_id")).annotate(n=Count("pk"))

    if as_of >= timezone.localdate():
        badge = Q(badge_since__lt=moment) & (Q(badge_until__isnull=True) | Q(badge_until__gte=moment))
        evidence = badge if valid_only else badge | Q(completed_on__lte=as_of)
        rows = people(SkillHolding.objects.filter(evidence, level=level))
        return (
            rows.order_by()
            .values_list("staff__department_id", "skill_id")
            .annotate(n=Count("pk"))
            .query.sql_with_params()
        )

    spans = SkillBadgeSpan.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=moment), level=level, valid_from__lt=moment
    )
    if valid_only:
        return counted(people(spans)).query.sql_with_params()
    completed = SkillHolding.objects.filter(level=level, completed_on__lte=as_of)
    spans = spans.filter(Q(completed_on__isnull=True) | Q(completed_on__gt=as_of))
    parts = counted(people(completed)).union(counted(people(spans)), all=True)
    sql, params = parts.query.sql_with_params()
    return f"SELECT u.d, u.s, SUM(u.n) FROM ({sql}) u GROUP BY u.d, u.s", list(params)  # noqa: S608 - ORM-built


def skill_matrix(
    *,
    scope: Scope,
    departments: DepartmentIndex,
    parent: Dept | None = None,
    level: int = 1,
    grade: str = "",
    as_of: dt.date | None = None,
    valid_only: bool = False,
) -> SkillMatrix:
    """Departments (rows) × skills (columns): how many people hold each skill. Three queries.

    Read from the tables kept by ``courses.holdings`` (see :func:`_holder_counts_from_holdings`;
    :func:`_holder_counts_sql` gives the same counts from the evidence itself, more slowly).

    Rows are the top of the scope (HR: the divisions, 部; a head: the departments they head),
    or the children of ``parent`` when drilling down. Each row counts its whole subtree.
    """
    as_of = as_of or timezone.localdate()
    skills = list(Skill.objects.filter(is_active=True))
    if parent is None:
        row_depts = departments.roots(scope)
    else:
        row_depts = departments.children(parent) or [parent]
    row_by_path = {d.path: d for d in row_depts}

    def row_for(dept_pk: int | None) -> Dept | None:
        dept = departments.by_pk.get(dept_pk) if dept_pk else None
        if dept is None:
            return None
        for ancestor in departments.ancestors(dept):
            if ancestor.path in row_by_path:
                return ancestor
        return None

    col = {s.pk: i for i, s in enumerate(skills)}
    counts: dict[int, list[int]] = {d.pk: [0] * len(skills) for d in row_depts}
    sql, params = _holder_counts_from_holdings(
        scope=scope, parent=parent, level=level, grade=grade, as_of=as_of, valid_only=valid_only
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for dept_pk, skill_pk, n in cursor.fetchall():
            row = row_for(dept_pk)
            if row is not None and skill_pk in col:
                counts[row.pk][col[skill_pk]] += n

    heads = StaffMember.objects.filter(is_active=True).filter(scope.staff_q())
    if parent is not None:
        heads = heads.filter(department__path__startswith=parent.path)
    if grade:
        heads = heads.filter(grade=grade)
    headcount: dict[int, int] = defaultdict(int)
    for dept_pk, n in heads.order_by().values_list("department_id").annotate(n=Count("pk")):
        row = row_for(dept_pk)
        if row is not None:
            headcount[row.pk] += n
    has_children = {d.parent_id for d in departments.by_pk.values()}
    rows = [MatrixRow(d, counts[d.pk], headcount[d.pk], d.pk in has_children) for d in row_depts]
    return SkillMatrix(skills, rows, parent, level, grade, as_of, valid_only)
