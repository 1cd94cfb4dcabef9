"""Candidates and their points (set-based: a fixed number of queries whatever the number of
candidates), one page ranked by the database, and the evidence behind every point."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from badges.models import Award, ExternalBadge
from staff.models import Assignment, EmploymentType, StaffMember

from ..models import AwardUse
from .rules import Rules, _t, years_before

# --- Candidates and their points ------------------------------------------------------------


def _pool_sql(rules: Rules, *, only: Iterable[int] | None = None, columns: str = "s.id") -> tuple[str, list[Any]]:
    """SELECT id of the people who sit the selection, whatever their years in grade: active regular
    staff at the grade below. Cheap (one index-friendly filter): the subquery that narrows the
    badges and people read, the candidates being picked from it in Python."""
    params: list[Any] = [rules.rule_set.sat_by_grade, EmploymentType.REGULAR]
    where = ""
    if only is not None:
        ids = [int(pk) for pk in only] or [0]
        where = f" AND s.id IN ({', '.join(['%s'] * len(ids))})"
        params += ids
    sql = f"SELECT {columns} FROM {_t(StaffMember)} s WHERE s.is_active AND s.grade = %s AND s.employment_type = %s"  # noqa: S608
    sql += where
    return sql, params


def _candidates_sql(
    rules: Rules, *, only: Iterable[int] | None = None, any_years: bool = False
) -> tuple[str, list[Any]]:
    """SELECT id, employee_number, in grade since, of the candidates (see the module docstring);
    ``any_years``: whatever their years in grade.

    "In grade since" without a query per person, in one pass over the assignments of the people
    at the grade (not the whole city's): for each person, the latest assignment at another grade
    begun by the cutoff (a window over their assignments), then the first assignment at their
    grade on or after it (the aggregate). An earlier form joined a GROUP BY of the assignments
    to them again: twice the buffers.
    """
    rs = rules.rule_set
    grade, cutoff = rs.sat_by_grade, rs.cutoff_on
    people_sql, people_params = _pool_sql(rules, only=only, columns="s.id, s.employee_number AS num")
    sql = f"""SELECT x.p, x.num,
                     MIN(CASE WHEN x.grade = %s AND (x.last_other IS NULL OR x.valid_from >= x.last_other)
                              THEN x.valid_from END) AS since
                FROM (SELECT s.id AS p, s.num, a.grade, a.valid_from,
                             MAX(CASE WHEN a.grade <> %s THEN a.valid_from END) OVER (PARTITION BY s.id) AS last_other
                        FROM ({people_sql}) s
                        LEFT JOIN {_t(Assignment)} a ON a.staff_id = s.id AND a.valid_from <= %s) x
               GROUP BY x.p, x.num"""  # noqa: S608
    params: list[Any] = [grade, grade, *people_params, cutoff]  # in the order of the text
    since_by = rules.grade_since_by
    if since_by is not None and not any_years:
        sql = f"SELECT c.p, c.num, c.since FROM ({sql}) c WHERE c.since <= %s"  # noqa: S608
        params.append(since_by)
    return sql, params


def _matches_sql(rules: Rules) -> tuple[str, list[Any]]:
    """``m(b, c, pts)``: each badge class that counts, with its category and points, as a table.
    On PostgreSQL three arrays unnested (three parameters, however many badge classes: the
    seeded city's rules match 846, and binding 2,538 parameters cost more than the join);
    elsewhere a VALUES list."""
    items = list(rules.by_badge.items())
    if connection.vendor == "postgresql":
        sql = "m(b, c, pts) AS (SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]))"
        return sql, [[b for b, _ in items], [m.category for _, m in items], [m.points for _, m in items]]
    values = ", ".join(["(%s, %s, %s)"] * len(items))
    return f"m(b, c, pts) AS (VALUES {values})", [v for b, m in items for v in (b, m.category, m.points)]


def _award_filter_sql(rules: Rules, *, use_checked: bool = False) -> tuple[str, list[Any]]:
    """WHERE conditions on ``a`` (an award) for "counts" (see the module docstring);
    ``use_checked``: the caller joins ``AwardUse`` itself (:func:`_counted_awards_sql`)."""
    # Moments as the ORM would write them (SQLite compares UTC text, PostgreSQL timestamps).
    moment = connection.ops.adapt_datetimefield_value
    conditions = ["a.status = %s", "a.issued_at IS NOT NULL", "a.issued_at < %s"]
    params: list[Any] = [Award.Status.ISSUED, moment(rules.cutoff_end)]
    conditions.append("(a.expires_at IS NULL OR a.expires_at >= %s)")
    params.append(moment(rules.cutoff_end))
    if rules.recency_start is not None:
        conditions.append("a.issued_at >= %s")
        params.append(moment(rules.recency_start))
    if rules.rule_set.promotion_use_only and not use_checked:
        conditions.append(f"EXISTS (SELECT 1 FROM {_t(AwardUse)} u WHERE u.award_id = a.id AND u.kind = %s)")  # noqa: S608
        params.append(AwardUse.Kind.PROMOTION)
    return " AND ".join(conditions), params


def _counted_awards_sql(rules: Rules, pool_sql: str, pool_params: list[Any]) -> tuple[str, list[Any]]:
    """``FROM … WHERE …`` of the awards that count (``a``) held by the people of ``pool_sql``.

    With "only requests for promotion selection" the rows start from ``AwardUse`` of that kind
    (one row per award: the join is the EXISTS of :func:`_award_filter_sql`), read from its
    ``(kind, recipient)`` index (migration 0012), so only those awards (a fifth of them in the
    seeded city) are looked up by primary key, instead of every award being scanned and each
    candidate one's use looked up."""
    if rules.rule_set.promotion_use_only:
        where, params = _award_filter_sql(rules, use_checked=True)
        sql = f"""FROM {_t(AwardUse)} u JOIN {_t(Award)} a ON a.id = u.award_id
                 WHERE u.kind = %s AND u.recipient_id IN ({pool_sql}) AND {where}"""
        return sql, [AwardUse.Kind.PROMOTION, *pool_params, *params]
    where, params = _award_filter_sql(rules)
    return f"FROM {_t(Award)} a WHERE {where} AND a.recipient_id IN ({pool_sql})", [*params, *pool_params]


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
    person and category (one GROUP BY over their badges, the rules passed as a table: :func:`_matches_sql`)."""
    cand_sql, cand_params = _candidates_sql(rules, only=only, any_years=any_years)
    pool_sql, pool_params = _pool_sql(rules, only=only)
    with connection.cursor() as cursor:
        cursor.execute(cand_sql, cand_params)
        found = {p: Standing(p, num, _as_date(since)) for p, num, since in cursor.fetchall()}
        raw: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        parts, params = [], []
        if rules.by_badge and found:
            matches, match_params = _matches_sql(rules)
            counted, counted_params = _counted_awards_sql(rules, pool_sql, pool_params)
            parts.append(
                f"""WITH {matches}
                    SELECT x.recipient_id, m.c, SUM(m.pts)
                      FROM (SELECT a.recipient_id, a.badge_class_id {counted}) x JOIN m ON m.b = x.badge_class_id
                     GROUP BY x.recipient_id, m.c"""  # noqa: S608 - table names from the models, values bound
            )
            params += match_params
            params += counted_params
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
        matches, match_params = _matches_sql(rules)
        ctes.append(matches)
        params += match_params
        counted, counted_params = _counted_awards_sql(rules, pool_sql, pool_params)
        raw.append(
            f"""SELECT x.recipient_id, m.c, m.pts
                  FROM (SELECT a.recipient_id, a.badge_class_id {counted}) x JOIN m ON m.b = x.badge_class_id"""  # noqa: S608 - table names from the models, values bound
        )
        raw_params += counted_params
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
        from ..models import _localised

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
