"""昇任選考 (promotion selection) points: who may sit a selection, their points and the evidence
behind every point, a frozen snapshot for the selection committee, and what a person could add.

Definitions (also in docs/architecture.md, "Promotion selection points"):

* **Candidates** of a rule set: active regular staff (not 会計年度任用職員) whose current grade is
  the one that sits the selection (主事 → 主任選考, 主任 → 係長選考, 係長 → 課長補佐選考) and
  who have held it for at least ``min_years_in_grade`` years at the cutoff date. **In grade
  since** is read from the assignment history (``staff.Assignment``): the first day of the
  person's latest unbroken run of assignments at their current grade that began by the cutoff.
  A person with no assignment at that grade has no known date: they are a candidate only when
  the rule set asks for no minimum.
* A **badge counts** when it is issued and not revoked now, was issued no later than the end of
  the cutoff day and no earlier than ``recency_years`` before the cutoff date, does not expire
  before the end of the cutoff day, and (when ``promotion_use_only``) was issued for a request
  of the 昇任選考活用型 (``AwardUse.kind``; programme badges have no single request and do not
  count then). A confirmed external badge counts (when ``count_external``) under the same dates
  (its issue date and expiry).
* A badge matches a rule for its badge class, or a rule for a skill at a level when the badge's
  course (or a course of the badge's programme) is aligned to that skill at that level or
  higher. A badge matching several rules counts **once**, for the rule giving the most points.
* Points add up per **category**; a category's total is cut to its cap. The total is the sum of
  the categories.

Every function costs a fixed number of queries whatever the number of candidates (the tests
assert it at two sizes): the rules (three queries), the candidates with their points (two
GROUP BY statements), and the page's people and evidence (three queries). The candidates page
asks for one page only (:func:`standings_page`: the ranking, the caps and the count in one
statement, the page's people returned); the exports and the freeze use :func:`standings`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy

from badges.models import Award, ExternalBadge
from staff.models import Assignment, EmploymentType, PositionGrade, StaffMember

from .insight import DepartmentIndex, fiscal_year_of
from .models import (
    AwardUse,
    Course,
    CourseSkill,
    Enrolment,
    Programme,
    PromotionRule,
    PromotionRuleSet,
    PromotionSnapshot,
    UseType,
)

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


# --- Candidates and their points ------------------------------------------------------------


def _pool_sql(rules: Rules, *, only: Iterable[int] | None = None) -> tuple[str, list[Any]]:
    """SELECT id of the people who sit the selection, whatever their years in grade: active regular
    staff at the grade below. Cheap (one index-friendly filter): the subquery that narrows the
    badges and people read, the candidates being picked from it in Python."""
    params: list[Any] = [rules.rule_set.sat_by_grade, EmploymentType.REGULAR]
    where = ""
    if only is not None:
        ids = [int(pk) for pk in only] or [0]
        where = f" AND s.id IN ({', '.join(['%s'] * len(ids))})"
        params += ids
    sql = f"SELECT s.id FROM {_t(StaffMember)} s WHERE s.is_active AND s.grade = %s AND s.employment_type = %s{where}"  # noqa: S608
    return sql, params


def _candidates_sql(
    rules: Rules, *, only: Iterable[int] | None = None, any_years: bool = False
) -> tuple[str, list[Any]]:
    """SELECT id, employee_number, in grade since, of the candidates (see the module docstring);
    ``any_years``: whatever their years in grade.

    "In grade since" without a query per person: the latest assignment at another grade begun by
    the cutoff (one GROUP BY over the assignments), then the first assignment at the person's grade
    on or after it (a second aggregate over the same join), both hashed by PostgreSQL.
    """
    rs = rules.rule_set
    grade, cutoff = rs.sat_by_grade, rs.cutoff_on
    assignment = _t(Assignment)
    params: list[Any] = [grade, cutoff, cutoff, grade, EmploymentType.REGULAR]
    where = ""
    if only is not None:
        ids = [int(pk) for pk in only] or [0]
        where = f" AND s.id IN ({', '.join(['%s'] * len(ids))})"
        params += ids
    sql = f"""SELECT s.id AS p, s.employee_number AS num,
                     MIN(CASE WHEN a.grade = s.grade AND (o.last_other IS NULL OR a.valid_from >= o.last_other)
                              THEN a.valid_from END) AS since
                FROM {_t(StaffMember)} s
                LEFT JOIN (SELECT b.staff_id, MAX(b.valid_from) AS last_other FROM {assignment} b
                            WHERE b.grade <> %s AND b.valid_from <= %s GROUP BY b.staff_id) o ON o.staff_id = s.id
                LEFT JOIN {assignment} a ON a.staff_id = s.id AND a.valid_from <= %s
               WHERE s.is_active AND s.grade = %s AND s.employment_type = %s{where}
               GROUP BY s.id, s.employee_number"""  # noqa: S608
    since_by = rules.grade_since_by
    if since_by is not None and not any_years:
        sql = f"SELECT c.p, c.num, c.since FROM ({sql}) c WHERE c.since <= %s"  # noqa: S608
        params.append(since_by)
    return sql, params


def _award_filter_sql(rules: Rules) -> tuple[str, list[Any]]:
    """WHERE conditions on ``a`` (an award) for "counts" (see the module docstring)."""
    # Moments as the ORM would write them (SQLite compares UTC text, PostgreSQL timestamps).
    moment = connection.ops.adapt_datetimefield_value
    conditions = ["a.status = %s", "a.issued_at IS NOT NULL", "a.issued_at < %s"]
    params: list[Any] = [Award.Status.ISSUED, moment(rules.cutoff_end)]
    conditions.append("(a.expires_at IS NULL OR a.expires_at >= %s)")
    params.append(moment(rules.cutoff_end))
    if rules.recency_start is not None:
        conditions.append("a.issued_at >= %s")
        params.append(moment(rules.recency_start))
    if rules.rule_set.promotion_use_only:
        conditions.append(f"EXISTS (SELECT 1 FROM {_t(AwardUse)} u WHERE u.award_id = a.id AND u.kind = %s)")  # noqa: S608
        params.append(AwardUse.Kind.PROMOTION)
    return " AND ".join(conditions), params


def _external_filter(rules: Rules) -> Q:
    rs = rules.rule_set
    q = Q(status=ExternalBadge.Status.CONFIRMED, issued_on__isnull=False, issued_on__lte=rs.cutoff_on)
    q &= Q(expires_at__isnull=True) | Q(expires_at__gte=rules.cutoff_end)
    if rs.recency_years:
        q &= Q(issued_on__gte=years_before(rs.cutoff_on, rs.recency_years))
    return q


@dataclass
class Standing:
    staff_id: int
    employee_number: str
    grade_since: dt.date | None
    by_category: dict[int, int] = field(default_factory=dict)  # capped
    total: int = 0


def standings(rules: Rules, *, only: Iterable[int] | None = None, any_years: bool = False) -> list[Standing]:
    """Every candidate (or those of ``only``) with points per category (capped) and in total,
    most points first, then by employee number. Two queries: the candidates, and the points per
    person and category (one GROUP BY over their badges, the rules passed as a VALUES table)."""
    cand_sql, cand_params = _candidates_sql(rules, only=only, any_years=any_years)
    pool_sql, pool_params = _pool_sql(rules, only=only)
    with connection.cursor() as cursor:
        cursor.execute(cand_sql, cand_params)
        found = {p: Standing(p, num, _as_date(since)) for p, num, since in cursor.fetchall()}
        raw: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        parts, params = [], []
        if rules.by_badge and found:
            values = ", ".join(["(%s, %s, %s)"] * len(rules.by_badge))
            award_where, award_params = _award_filter_sql(rules)
            parts.append(
                f"""WITH m(b, c, pts) AS (VALUES {values})
                    SELECT a.recipient_id, m.c, SUM(m.pts)
                      FROM {_t(Award)} a JOIN m ON m.b = a.badge_class_id
                     WHERE {award_where} AND a.recipient_id IN ({pool_sql})
                     GROUP BY a.recipient_id, m.c"""  # noqa: S608 - table names from the models, values bound
            )
            for badge_id, match in rules.by_badge.items():
                params += [badge_id, match.category, match.points]
            params += award_params + pool_params
        if parts:
            cursor.execute(parts[0], params)
            for person, category, points in cursor.fetchall():
                raw[person][category] += int(points)
    if rules.external is not None and found:
        ext = rules.external
        counts = (
            ExternalBadge.objects.filter(_external_filter(rules), holder_id__in=_ids_subquery(rules, only))
            .order_by()
            .values_list("holder_id")
            .annotate(n=_count())
        )
        for person, n in counts:
            raw[person][ext.category] += n * ext.points
    for person, by_category in raw.items():
        standing = found.get(person)
        if standing is None:
            continue
        standing.by_category = rules.capped(dict(by_category))
        standing.total = sum(standing.by_category.values())
    return sorted(found.values(), key=lambda s: (-s.total, s.employee_number))


def _external_where_sql(rules: Rules) -> tuple[str, list[Any]]:
    """WHERE conditions on ``e`` (an external badge) for "counts": :func:`_external_filter` in SQL."""
    rs, moment = rules.rule_set, connection.ops.adapt_datetimefield_value
    conditions = [
        "e.status = %s",
        "e.issued_on IS NOT NULL",
        "e.issued_on <= %s",
        "(e.expires_at IS NULL OR e.expires_at >= %s)",
    ]
    params: list[Any] = [ExternalBadge.Status.CONFIRMED, rs.cutoff_on, moment(rules.cutoff_end)]
    if rs.recency_years:
        conditions.append("e.issued_on >= %s")
        params.append(years_before(rs.cutoff_on, rs.recency_years))
    return " AND ".join(conditions), params


def standings_page(rules: Rules, *, number: int, per_page: int) -> tuple[int, int, list[Standing]]:
    """One page of :func:`standings` (the same people in the same order, with the same points), the
    ranking done by the database: ``(candidates in all, the page number actually shown, the
    page's standings)``. One query (two when ``number`` is past the last page), whatever the
    number of candidates: only the page's people come back to Python. The exports and the
    freeze still use :func:`standings` (every candidate with their evidence)."""
    cand_sql, cand_params = _candidates_sql(rules)
    # Points are summed for everyone at the grade (a cheap filter, as in standings()); joining
    # them to the candidates afterwards keeps the candidates' query out of the badge scan.
    pool_sql, pool_params = _pool_sql(rules)
    ctes, params = [f"cand AS ({cand_sql})"], list(cand_params)
    raw = ["SELECT CAST(NULL AS INTEGER) AS p, CAST(NULL AS INTEGER) AS c, 0 AS s WHERE 1 = 0"]
    raw_params: list[Any] = []
    if rules.by_badge:
        ctes.append(f"m(b, c, pts) AS (VALUES {', '.join(['(%s, %s, %s)'] * len(rules.by_badge))})")
        for badge_id, match in rules.by_badge.items():
            params += [badge_id, match.category, match.points]
        award_where, award_params = _award_filter_sql(rules)
        raw.append(
            f"""SELECT a.recipient_id, m.c, m.pts FROM {_t(Award)} a JOIN m ON m.b = a.badge_class_id
                 WHERE {award_where} AND a.recipient_id IN ({pool_sql})"""  # noqa: S608 - table names from the models, values bound
        )
        raw_params += award_params + pool_params
    if rules.external is not None:
        ext_where, ext_params = _external_where_sql(rules)
        raw.append(
            f"""SELECT e.holder_id, CAST(%s AS INTEGER), CAST(%s AS INTEGER) FROM {_t(ExternalBadge)} e
                 WHERE {ext_where} AND e.holder_id IN ({pool_sql})"""  # noqa: S608 - as above
        )
        raw_params += [rules.external.category, rules.external.points, *ext_params, *pool_params]
    ctes.append(f"raw AS ({' UNION ALL '.join(raw)})")
    params += raw_params
    # A category's points cut to its cap (Rules.capped), then the total per person.
    capped, cap_params = "SUM(x.s)", []
    caps = [(pk, c.cap) for pk, c in rules.categories.items() if c.cap is not None]
    if caps:
        whens = " ".join("WHEN x.c = %s AND SUM(x.s) > %s THEN %s" for _ in caps)
        capped = f"CASE {whens} ELSE SUM(x.s) END"
        cap_params = [v for pk, cap in caps for v in (pk, cap, cap)]
    ctes.append(f"capped AS (SELECT x.p, x.c, {capped} AS v FROM raw x GROUP BY x.p, x.c)")  # noqa: S608
    params += cap_params
    ctes.append("totals AS (SELECT capped.p, SUM(capped.v) AS t FROM capped GROUP BY capped.p)")
    # Most points first, then by employee number as Python compares strings (code points).
    num = 'cand.num COLLATE "C"' if connection.vendor == "postgresql" else "cand.num"
    sql = f"""WITH {", ".join(ctes)},
              ranked AS (SELECT cand.p, cand.num, cand.since, COALESCE(totals.t, 0) AS t, COUNT(*) OVER () AS n
                           FROM cand LEFT JOIN totals ON totals.p = cand.p
                          ORDER BY COALESCE(totals.t, 0) DESC, {num} LIMIT %s OFFSET %s)
              SELECT r.p, r.num, r.since, r.t, r.n, capped.c, capped.v
                FROM ranked r LEFT JOIN capped ON capped.p = r.p
               ORDER BY r.t DESC, r.num{' COLLATE "C"' if connection.vendor == "postgresql" else ""}"""  # noqa: S608

    def run(page: int) -> tuple[int, list[Standing]]:
        found: dict[int, Standing] = {}
        total = 0
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, per_page, (page - 1) * per_page])
            for p, num, since, points, n, category, value in cursor.fetchall():
                total = int(n)
                standing = found.get(p)
                if standing is None:
                    standing = found[p] = Standing(p, num, _as_date(since), {}, int(points))
                if category is not None:
                    standing.by_category[int(category)] = int(value)
        return total, list(found.values())

    number = max(number, 1)
    total, page = run(number)
    if not page and number > 1:  # past the end: the last page, as Paginator.get_page
        total, page = run(1)
        number = max(1, -(-total // per_page))
        if number > 1:
            total, page = run(number)
    return total, number, page


def _count() -> Any:
    from django.db.models import Count

    return Count("pk")


def _ids_subquery(rules: Rules, only: Iterable[int] | None) -> Any:
    """The people who sit the selection (:func:`_pool_sql`), as a subquery for the ORM."""
    from django.db.models.expressions import RawSQL

    sql, params = _pool_sql(rules, only=only)
    return RawSQL(sql, params)  # noqa: S611 - built above, values bound


def _as_date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])  # SQLite returns text


# --- The evidence behind every point ---------------------------------------------------------


@dataclass
class Evidence:
    kind: str  # "badge" or "external"
    name: str
    name_en: str
    issued_on: dt.date | None
    expires_on: dt.date | None
    status: str  # an award's status, or "confirmed:<verification result>" for an external badge
    category: int
    points: int  # the rule's points (the category's cap applies to the sum)

    @property
    def display_name(self) -> str:
        from .models import _localised

        return _localised(self.name, self.name_en)

    @property
    def status_label(self) -> str:
        if self.kind == "external":
            from badges.public.verification import STATUS_LABELS

            result = self.status.split(":", 1)[-1]
            return gettext("Confirmed by HR (verification: %(result)s)") % {"result": STATUS_LABELS.get(result, result)}
        return gettext("Issued, valid on the cutoff date")


def evidence(rules: Rules, staff_ids: Iterable[int] | Any) -> dict[int, list[Evidence]]:
    """The badges that count, per person (``staff_ids``: a list, or a subquery of ids). Two queries."""
    out: dict[int, list[Evidence]] = defaultdict(list)
    if rules.by_badge:
        award_where, award_params = _award_filter_sql(rules)
        from django.db.models.expressions import RawSQL

        awards = (
            Award.objects.filter(recipient_id__in=staff_ids, badge_class_id__in=list(rules.by_badge))
            .filter(pk__in=RawSQL(f"SELECT a.id FROM {_t(Award)} a WHERE {award_where}", award_params))  # noqa: S608, S611
            .order_by("recipient_id", "issued_at", "pk")
            .values_list(
                "recipient_id",
                "badge_class_id",
                "badge_class__name",
                "badge_class__name_en",
                "issued_at",
                "expires_at",
                "status",
            )
        )
        for person, badge_id, name, name_en, issued_at, expires_at, status in awards:
            match = rules.by_badge[badge_id]
            out[person].append(
                Evidence(
                    "badge",
                    name,
                    name_en or "",
                    timezone.localtime(issued_at).date(),
                    timezone.localtime(expires_at).date() if expires_at else None,
                    status,
                    match.category,
                    match.points,
                )
            )
    if rules.external is not None:
        ext = rules.external
        for person, name, issued_on, expires_at, result in (
            ExternalBadge.objects.filter(_external_filter(rules), holder_id__in=staff_ids)
            .order_by("holder_id", "issued_on", "pk")
            .values_list("holder_id", "achievement_name", "issued_on", "expires_at", "verification_status")
        ):
            out[person].append(
                Evidence(
                    "external",
                    name,
                    "",
                    issued_on,
                    timezone.localtime(expires_at).date() if expires_at else None,
                    f"confirmed:{result}",
                    ext.category,
                    ext.points,
                )
            )
    return out


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
    from .models import SELECTION_SAT_BY

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
