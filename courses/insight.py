"""HR insight reads: people search with the evidence for every match, the skill matrix, the
dashboard aggregates and a person's profile for HR.

Every function here costs a fixed number of queries whatever the size of the data (the tests
assert it at two sizes): the page of people is one query, the evidence for that page is one
query per kind of evidence filtered by the page's ids, and aggregates are GROUP BY queries
rolled up in Python over small results (months, departments, skills).

Definitions (also shown as help on the pages and written in docs/benchmarks.md):

* A person **holds skill S at level L** when they completed a course aligned to S at level L
  or higher (``Enrolment.state == "completed"`` and ``CourseSkill.level >= L``), or hold a
  **valid** award whose badge class is the badge of such a course (``Course.badge_class``) or
  of a programme that includes such a course (``Programme.badge_class``).
* An award is **valid** when it is issued (not pending, failed or revoked) and not expired.
* **Valid only** makes valid awards the only evidence: a completion alone no longer counts for
  a skill, a badge criterion needs a valid award, and with no skill or badge chosen the person
  must hold at least one valid badge. Course completions stay facts (they do not expire).
* The **fiscal year** (年度) runs from 1 April to 31 March; FY2026 is 2026-04-01 … 2027-03-31.
* **Subsidy spent** in a fiscal year is the sum of ``Enrolment.city_subsidy`` (the city's share
  as it stood when the person applied) over enrolments that took a seat (approved, completed
  or not completed: the fee is paid either way), counted in the fiscal year in which the
  course starts (a course with no start date: the day applications close, else the day it
  was added to the catalogue).
* People are counted in their **current** department and grade (the skill matrix's date limits
  the evidence, not the organisation chart).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Concat, TruncMonth
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy

from badges.models import Award, AwardQuerySet, BadgeClass, ExternalBadge
from staff import roles
from staff.models import Assignment, Department, RecordAccess, StaffMember
from staff.selectors import headed_department_paths, is_hr, user_has_role

from .models import (
    SEAT_STATES,
    AwardUse,
    Course,
    CourseSkill,
    Enrolment,
    EnrolmentState,
    Programme,
    Skill,
    SkillBadgeSpan,
    SkillHolding,
    UseType,
)

S = EnrolmentState

#: RecordAccess purposes written by the HR insight pages (the admin filters by these).
PURPOSE_HR = RecordAccess.Purpose.HR_SEARCH
PURPOSE_HEAD = RecordAccess.Purpose.HEAD_REVIEW
PURPOSE_EXPORT = RecordAccess.Purpose.EXPORT

#: An export never holds more people than this; HR narrows the search instead.
EXPORT_MAX_ROWS = 10_000


# --- Fiscal years -------------------------------------------------------------------------


def fiscal_year_of(day: dt.date) -> int:
    """年度: April to March. 2027-03-31 is in FY2026."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_bounds(fy: int) -> tuple[dt.date, dt.date]:
    """First day of the fiscal year and first day of the next one (end exclusive)."""
    return dt.date(fy, 4, 1), dt.date(fy + 1, 4, 1)


def fiscal_year_label(fy: int) -> str:
    """2026年度 in Japanese, FY2026 in English: a convention of each language, not a translation."""
    if (translation.get_language() or settings.LANGUAGE_CODE).startswith("ja"):
        return f"{fy}年度"
    return f"FY{fy}"


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    """First days of the months from ``start`` up to (not including) ``end``."""
    out, day = [], start.replace(day=1)
    while day < end:
        out.append(day)
        day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return out


# --- Who may see whom ---------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The people an HR insight user may see: everyone (HR) or some department subtrees (a head)."""

    is_hr: bool
    paths: tuple[str, ...] = ()
    viewer_pk: int | None = None

    def staff_q(self, prefix: str = "") -> Q:
        """Filter on StaffMember (``prefix`` reaches it from another model, e.g. ``"staff__"``)."""
        if self.is_hr:
            return Q()
        condition = Q()
        for path in self.paths:
            condition |= Q(**{f"{prefix}department__path__startswith": path})
        # A head's own record is not "a person they head" (as staff.selectors.staff_headed_by).
        return condition & ~Q(**{f"{prefix}pk": self.viewer_pk})

    def covers(self, path: str) -> bool:
        return self.is_hr or any(path.startswith(p) for p in self.paths)

    def may_see(self, person: StaffMember) -> bool:
        if self.is_hr:
            return True
        if person.pk == self.viewer_pk or person.department is None:
            return False
        return self.covers(person.department.path)

    @property
    def purpose(self) -> str:
        return PURPOSE_HR if self.is_hr else PURPOSE_HEAD


def insight_scope(user: Any) -> Scope | None:
    """HR sees everyone; a head of section sees the departments they head and below; else None."""
    if not user.is_authenticated:
        return None
    if is_hr(user):
        return Scope(is_hr=True, viewer_pk=user.pk)
    if user_has_role(user, roles.SECTION_HEAD):
        paths = headed_department_paths(user)
        # Nested heads (福祉部 and 福祉政策課): keep the outermost paths only.
        outer = tuple(sorted(p for p in paths if not any(p != q and p.startswith(q) for q in paths)))
        if outer:
            return Scope(is_hr=False, paths=outer, viewer_pk=user.pk)
    return None


# --- Departments (one query, shared by a page) --------------------------------------------


@dataclass(frozen=True)
class Dept:
    pk: int
    code: str
    name: str
    name_en: str
    path: str
    parent_id: int | None

    @property
    def depth(self) -> int:
        return self.path.strip("/").count("/")

    @property
    def display_name(self) -> str:
        from .models import _localised

        return _localised(self.name, self.name_en)


class DepartmentIndex:
    """All departments, loaded once: labels (福祉部 › 福祉政策課), subtrees and children."""

    def __init__(self, departments: Iterable[Dept]) -> None:
        self.by_pk = {d.pk: d for d in departments}
        self.by_code = {d.code: d for d in self.by_pk.values()}
        self.by_path = {d.path: d for d in self.by_pk.values()}

    @classmethod
    def load(cls) -> DepartmentIndex:
        rows = Department.objects.order_by("path").values_list("pk", "code", "name", "name_en", "path", "parent_id")
        return cls(Dept(*row) for row in rows)

    def ancestors(self, dept: Dept) -> list[Dept]:
        parts = dept.path.strip("/").split("/")
        paths = ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
        return [self.by_path[p] for p in paths if p in self.by_path]

    def label(self, pk: int | None) -> str:
        dept = self.by_pk.get(pk) if pk else None
        if dept is None:
            return ""
        return " › ".join(d.display_name for d in self.ancestors(dept))

    def in_scope(self, scope: Scope) -> list[Dept]:
        return [d for d in self.by_pk.values() if scope.covers(d.path)]

    def children(self, dept: Dept) -> list[Dept]:
        return sorted((d for d in self.by_pk.values() if d.parent_id == dept.pk), key=lambda d: d.path)

    def roots(self, scope: Scope) -> list[Dept]:
        if scope.is_hr:
            return sorted((d for d in self.by_pk.values() if d.parent_id is None), key=lambda d: d.path)
        return [self.by_path[p] for p in scope.paths if p in self.by_path]

    def group_for(self, dept: Dept, scope: Scope) -> Dept:
        """The row a person of ``dept`` counts in, in a table "by department": HR's are the
        divisions (部); a head's are the departments they head and the units just below them
        (福祉政策課 itself, 福祉政策課 › 企画係), since a whole 部 says nothing to a head of one 課."""
        chain = self.ancestors(dept) or [dept]
        if not scope.is_hr:
            for i, ancestor in enumerate(chain):
                if ancestor.path in scope.paths:
                    return chain[min(i + 1, len(chain) - 1)]
        return chain[0]

    def label_within(self, dept: Dept, scope: Scope) -> str:
        """``dept``'s name from the top of the scope down: 福祉部 for HR, 福祉政策課 › 企画係 for its head."""
        names = [d.display_name for d in self.ancestors(dept) if scope.covers(d.path)]
        return " › ".join(names) or dept.display_name


# --- Evidence building blocks -------------------------------------------------------------


def valid_award_q(at: dt.datetime | None = None, prefix: str = "") -> Q:
    """Issued, not revoked, not expired at ``at`` (now by default): ``AwardQuerySet.valid_q``."""
    return AwardQuerySet.valid_q(at or timezone.now(), prefix)


def award_is_valid(award: Award, at: dt.datetime | None = None) -> bool:
    return award.is_valid_at(at)


@dataclass
class SkillAlignment:
    """The courses and badge classes that give skill S at level L or higher (two small queries)."""

    course_levels: dict[int, int] = field(default_factory=dict)  # course id → level of S
    badge_levels: dict[int, int] = field(default_factory=dict)  # badge class id → best level of S

    @classmethod
    def load(cls, skill: Skill, level: int) -> SkillAlignment:
        found = cls()
        rows = CourseSkill.objects.filter(skill=skill, level__gte=level).values_list(
            "course_id", "level", "course__badge_class_id"
        )
        for course_id, lvl, badge_id in rows:
            found.course_levels[course_id] = lvl
            if badge_id:
                found.badge_levels[badge_id] = max(lvl, found.badge_levels.get(badge_id, 0))
        programme_rows = Programme.objects.filter(
            badge_class__isnull=False, courses__course_skills__skill=skill, courses__course_skills__level__gte=level
        ).values_list("badge_class_id", "courses__course_skills__level")
        for badge_id, lvl in programme_rows:
            found.badge_levels[badge_id] = max(lvl, found.badge_levels.get(badge_id, 0))
        return found


# --- People search ------------------------------------------------------------------------


def _katakana(text: str) -> str:
    """ひらがな → カタカナ (kana names are stored in katakana)."""
    return "".join(chr(ord(ch) + 0x60) if "ぁ" <= ch <= "ゖ" else ch for ch in text)


def name_terms(query: str) -> list[str]:
    """NFKC first (ｶﾅ → カナ, full-width digits → digits), then split on any space (incl. 　)."""
    return unicodedata.normalize("NFKC", query or "").split()[:6]


@dataclass(frozen=True)
class PeopleFilters:
    q: str = ""
    skill: Skill | None = None
    level: int = 1
    badge: str = ""  # part of a badge's name (Japanese or English)
    course: str = ""  # a course code, or part of its title
    department: Dept | None = None  # this department and everything below it
    grade: str = ""
    job_family: str = ""
    employment_type: str = ""
    valid_only: bool = False

    @property
    def has_evidence_criteria(self) -> bool:
        return bool(self.skill or self.badge or self.course or self.valid_only)


def _badge_match(text: str) -> list[int]:
    """Badge classes whose name contains ``text`` (one query over a small table).

    Resolved to a list first: PostgreSQL plans ``badge_class_id IN (1, 2, …)`` far better than the
    same condition as a subquery with LIKE inside (1.4 s against 0.2 s on the scale data set).
    """
    return list(
        BadgeClass.objects.filter(Q(name__icontains=text) | Q(name_en__icontains=text)).values_list("pk", flat=True)
    )


def _course_match(text: str) -> list[int]:
    """Courses with this code, or whose title contains ``text`` (one query, as for badges)."""
    return list(
        Course.objects.filter(
            Q(code__iexact=text) | Q(title__icontains=text) | Q(title_en__icontains=text)
        ).values_list("pk", flat=True)
    )


@dataclass
class SearchPlan:
    """What a search looks for, worked out once: the base people queryset and evidence filters."""

    filters: PeopleFilters
    people: QuerySet[StaffMember]
    alignment: SkillAlignment | None
    completion_q: Q | None  # completed enrolments that are evidence
    award_q: Q | None  # awards that are evidence


def search_plan(*, scope: Scope, filters: PeopleFilters, now: dt.datetime | None = None) -> SearchPlan:
    """The people matching ``filters`` that ``scope`` may see (not yet evaluated).

    Each evidence criterion is an uncorrelated ``id IN (subquery)``, which PostgreSQL runs once
    and hashes (a semi-join), rather than a correlated EXISTS per person. Costs 2 queries when
    a skill is chosen (its aligned courses and badges) and one for each of a badge or course
    text, none otherwise.
    """
    now = now or timezone.now()
    f = filters
    people = StaffMember.objects.filter(is_active=True).filter(scope.staff_q())
    if f.department is not None:
        people = people.filter(department__path__startswith=f.department.path)
    if f.grade:
        people = people.filter(grade=f.grade)
    if f.job_family:
        people = people.filter(job_family=f.job_family)
    if f.employment_type:
        people = people.filter(employment_type=f.employment_type)
    terms = name_terms(f.q)
    if terms:
        people = people.annotate(
            _name=Concat("family_name", "given_name"), _kana=Concat("family_name_kana", "given_name_kana")
        )
        for term in terms:
            kana = _katakana(term)
            people = people.filter(
                Q(_name__icontains=term) | Q(_name__icontains=kana) | Q(_kana__icontains=kana) | Q(employee_number=term)
            )

    completed = Enrolment.objects.filter(state=S.COMPLETED)
    valid = Award.objects.valid_at(now)
    issued = Award.objects.issued()
    completion_q: Q | None = None
    award_q: Q | None = None

    def _or(a: Q | None, b: Q) -> Q:
        return b if a is None else a | b

    alignment = None
    if f.skill is not None:
        alignment = SkillAlignment.load(f.skill, f.level)
        course_ids, badge_ids = list(alignment.course_levels), list(alignment.badge_levels)
        holders = Q(pk__in=valid.filter(badge_class_id__in=badge_ids).values("recipient_id"))
        award_q = _or(award_q, Q(badge_class_id__in=badge_ids) & valid_award_q(now))
        if not f.valid_only:
            holders |= Q(pk__in=completed.filter(course_id__in=course_ids).values("staff_id"))
            completion_q = _or(completion_q, Q(course_id__in=course_ids))
        people = people.filter(holders)
    if f.badge:
        badge_ids = _badge_match(f.badge)
        source = valid if f.valid_only else issued
        people = people.filter(pk__in=source.filter(badge_class_id__in=badge_ids).values("recipient_id"))
        award_q = _or(
            award_q,
            Q(badge_class_id__in=badge_ids) & (valid_award_q(now) if f.valid_only else AwardQuerySet.issued_q()),
        )
    if f.course:
        course_ids = _course_match(f.course)
        people = people.filter(pk__in=completed.filter(course_id__in=course_ids).values("staff_id"))
        completion_q = _or(completion_q, Q(course_id__in=course_ids))
    if f.valid_only and f.skill is None and not f.badge:
        people = people.filter(pk__in=valid.values("recipient_id"))
        award_q = _or(award_q, valid_award_q(now))
    people = people.select_related("department").order_by("family_name_kana", "given_name_kana", "employee_number")
    return SearchPlan(f, people, alignment, completion_q, award_q)


@dataclass
class PersonMatch:
    """One person in the results, with the evidence that made them match."""

    person: StaffMember
    department_label: str
    completions: list[Enrolment] = field(default_factory=list)
    awards: list[Award] = field(default_factory=list)

    @property
    def skill_level(self) -> int | None:
        """The best level of the searched skill shown by the evidence (None: no skill searched)."""
        levels = [getattr(x, "skill_level", None) for x in [*self.completions, *self.awards]]
        found = [lvl for lvl in levels if lvl]
        return max(found) if found else None


def attach_evidence(
    plan: SearchPlan,
    people: list[StaffMember],
    departments: DepartmentIndex,
    *,
    id_subquery: QuerySet[StaffMember] | None = None,
    now: dt.datetime | None = None,
) -> list[PersonMatch]:
    """The "why" for each person: at most two queries (completions, awards), whatever the page size.

    The queries are filtered by the page's ids, or by ``id_subquery`` for an export (so a long
    list of ids never travels to the database and back).
    """
    now = now or timezone.now()
    matches = [PersonMatch(p, departments.label(p.department_id)) for p in people]
    if not matches:
        return matches
    by_pk = {m.person.pk: m for m in matches}
    ids: Any = id_subquery if id_subquery is not None else list(by_pk)
    alignment = plan.alignment
    if plan.completion_q is not None:
        rows = (
            Enrolment.objects.filter(state=S.COMPLETED, staff_id__in=ids)
            .filter(plan.completion_q)
            .select_related("course")
            .only("pk", "staff_id", "completed_on", "grade", "course__code", "course__title", "course__title_en")
            .order_by("staff_id", "-completed_on", "pk")
        )
        for e in rows:
            e.skill_level = alignment.course_levels.get(e.course_id) if alignment else None  # type: ignore[attr-defined]
            if e.staff_id in by_pk:
                by_pk[e.staff_id].completions.append(e)
    if plan.award_q is not None:
        awards = (
            Award.objects.filter(recipient_id__in=ids)
            .filter(plan.award_q)
            .select_related("badge_class")
            .only(
                "pk",
                "recipient_id",
                "status",
                "issued_at",
                "expires_at",
                "revoked_at",
                "achieved_on",
                "badge_class__name",
                "badge_class__name_en",
            )
            .order_by("recipient_id", "-issued_at", "pk")
        )
        for a in awards:
            a.skill_level = alignment.badge_levels.get(a.badge_class_id) if alignment else None  # type: ignore[attr-defined]
            a.valid = award_is_valid(a, now)  # type: ignore[attr-defined]
            if a.recipient_id in by_pk:
                by_pk[a.recipient_id].awards.append(a)
    return matches


# --- Skill matrix ---------------------------------------------------------------------------


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


# --- Dashboard ----------------------------------------------------------------------------


@dataclass
class RateRow:
    label: str
    completed: int
    finished: int
    code: str = ""

    @property
    def rate(self) -> float:
        return 100.0 * self.completed / self.finished if self.finished else 0.0


@dataclass
class WaitlistRow:
    code: str
    title: str
    capacity: int | None
    waitlisted: int
    seated: int


@dataclass
class Dashboard:
    fy_from: int
    fy_to: int
    months: list[dt.date]
    requests: list[int]
    completions: list[int]
    badges: list[int]
    badges_cumulative: list[int]
    provider_rates: list[RateRow]
    course_rates: list[RateRow]
    badges_by_department: list[tuple[Dept, int]]
    badges_by_use_type: list[tuple[str, list[int]]]  # label, badges per fiscal year fy_from…fy_to
    use_types: list[tuple[str, int, int]]  # label, requests, completions
    subsidy: list[tuple[int, int, int | None]]  # fiscal year, spent, budget (None: none set)
    waitlists: list[WaitlistRow]


def training_budgets() -> dict[int, int]:
    """Budget per fiscal year from settings (TRAINING_BUDGET_BY_FISCAL_YEAR) until a model exists."""
    raw = getattr(settings, "TRAINING_BUDGET_BY_FISCAL_YEAR", {}) or {}
    return {int(k): int(v) for k, v in raw.items()}


def count_many(querysets: dict[str, QuerySet[Any]]) -> dict[str, int]:
    """COUNT(*) of many querysets in one query: ``SELECT (SELECT COUNT(*) …), (SELECT COUNT(*) …), …``.

    Each count is a range scan the database can answer from an index alone (see the migration
    ``courses/migrations/0003_hr_insight_indexes``), which on PostgreSQL is much cheaper than one
    GROUP BY over a computed month (``date_trunc`` in the local time zone costs ~0.6 µs a row).
    """
    if not querysets:
        return {}
    parts, params = [], []
    for qs in querysets.values():
        sql, p = qs.order_by().values("pk").query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) c)")  # noqa: S608 - ORM-built SQL, bound params
        params.extend(p)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return {name: int(n or 0) for name, n in zip(querysets, row, strict=True)}


def _course_fiscal_day(starts_on: dt.date | None, closes_on: dt.date | None, created_at: dt.datetime) -> dt.date:
    """The day that places a course's subsidy in a fiscal year: it starts, else applications close,
    else (a self-paced course with neither) the day it was added to the catalogue."""
    return starts_on or closes_on or timezone.localtime(created_at).date()


@dataclass
class MonthlySeries:
    requests: dict[str, list[int]]  # use type → per month
    completions: dict[str, list[int]]
    badges: list[int]
    badges_before: int


def _monthly_counts(
    *,
    scope: Scope,
    enrolments: QuerySet[Enrolment],
    issued: QuerySet[Award],
    months: list[dt.date],
    end: dt.date,
    aware: Any,
    tz: Any,
) -> MonthlySeries:
    """Counts per month, two ways with the same result.

    HR (everyone): one row of COUNTs over index ranges (:func:`count_many`), one per use type and
    month, so each index entry is read once and no row needs its month computed. A head of
    section: their people are few, so GROUP BY month over just their rows is cheaper than a
    hundred range counts that each join the staff table (three queries).
    """
    bounds = [*months, end]
    index = {m: i for i, m in enumerate(months)}
    start_at, end_at = aware(months[0]), aware(end)
    completed = enrolments.filter(state=S.COMPLETED)
    out = MonthlySeries(
        requests={u: [0] * len(months) for u in UseType.values},
        completions={u: [0] * len(months) for u in UseType.values},
        badges=[0] * len(months),
        badges_before=0,
    )
    if scope.is_hr:
        counts: dict[str, QuerySet[Any]] = {"before": issued.filter(issued_at__lt=start_at)}
        for i, (a, b) in enumerate(pairwise(bounds)):
            for u in UseType.values:
                counts[f"r{i}{u}"] = enrolments.filter(
                    use_type=u, requested_at__gte=aware(a), requested_at__lt=aware(b)
                )
                counts[f"c{i}{u}"] = completed.filter(use_type=u, completed_on__gte=a, completed_on__lt=b)
            counts[f"b{i}"] = issued.filter(issued_at__gte=aware(a), issued_at__lt=aware(b))
        n = count_many(counts)
        for i in range(len(months)):
            for u in UseType.values:
                out.requests[u][i] = n[f"r{i}{u}"]
                out.completions[u][i] = n[f"c{i}{u}"]
            out.badges[i] = n[f"b{i}"]
        out.badges_before = n["before"]
        return out

    def month(value: dt.date | dt.datetime | None) -> int | None:
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            value = timezone.localtime(value, tz).date() if timezone.is_aware(value) else value.date()
        return index.get(value.replace(day=1))

    for use, m, k in (
        enrolments.filter(requested_at__gte=start_at, requested_at__lt=end_at)
        .order_by()
        .annotate(m=TruncMonth("requested_at"))
        .values_list("use_type", "m")
        .annotate(n=Count("pk"))
    ):
        i = month(m)
        if i is not None and use in out.requests:
            out.requests[use][i] += k
    for use, m, k in (
        completed.filter(completed_on__gte=months[0], completed_on__lt=end)
        .order_by()
        .annotate(m=TruncMonth("completed_on"))
        .values_list("use_type", "m")
        .annotate(n=Count("pk"))
    ):
        i = month(m)
        if i is not None and use in out.completions:
            out.completions[use][i] += k
    # Badges: the months of the period, and every month before it (summed as "before").
    for m, k in (
        issued.filter(issued_at__lt=end_at)
        .order_by()
        .annotate(m=TruncMonth("issued_at"))
        .values_list("m")
        .annotate(n=Count("pk"))
    ):
        i = month(m)
        if i is not None:
            out.badges[i] += k
        elif m is not None:
            out.badges_before += k
    return out


def dashboard(
    *,
    scope: Scope,
    departments: DepartmentIndex,
    fy_from: int,
    fy_to: int,
    min_finished: int = 5,
    limit: int = 15,
) -> Dashboard:
    """Everything the dashboard shows for fiscal years ``fy_from``…``fy_to``: four queries for HR,
    six for a head of section.

    1. the catalogue (code, title, provider, dates, capacity) of every course;
    2. per course: completed, not completed, waiting, seated and subsidy (rates, waiting lists
       and subsidy are rolled up from this in Python);
    3. requests and completions per use type and month, badges per month and before the period
       (:func:`_monthly_counts`: one query for HR, three for a head);
    4. badges issued in the period by the holder's department, by use type and by fiscal year
       (one GROUP BY over ``AwardUse``).
    """
    start, _ = fiscal_year_bounds(fy_from)
    _, end = fiscal_year_bounds(fy_to)
    tz = timezone.get_current_timezone()

    def aware(day: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min), tz)

    start_at, end_at = aware(start), aware(end)
    months = _months(start, end)
    staff_q = scope.staff_q("staff__")
    recipient_q = scope.staff_q("recipient__")
    enrolments = Enrolment.objects.filter(staff_q)
    issued = Award.objects.public().filter(recipient_q)

    # 1. The catalogue.
    courses = {
        pk: row
        for pk, *row in Course.objects.order_by().values_list(
            "pk",
            "code",
            "title",
            "capacity",
            "provider__code",
            "provider__name",
            "starts_on",
            "application_closes_on",
            "created_at",
        )
    }

    # 2. Per course (served by the (course, state, staff, city_subsidy) index).
    seat = Q(state__in=SEAT_STATES)
    today = timezone.localdate()
    # Only courses that count in the period, or that can still have a waiting list.
    relevant = [
        pk
        for pk, (_c, _t, _cap, _pc, _pn, starts_on, closes_on, created_at) in courses.items()
        if start <= _course_fiscal_day(starts_on, closes_on, created_at) < end or (starts_on or today) >= today
    ]
    per_course = (
        enrolments.filter(course_id__in=relevant)
        .order_by()
        .values_list("course_id")
        .annotate(
            c=Count("pk", filter=Q(state=S.COMPLETED)),
            nc=Count("pk", filter=Q(state=S.NOT_COMPLETED)),
            w=Count("pk", filter=Q(state=S.WAITLISTED)),
            seated=Count("pk", filter=seat),
            subsidy=Sum("city_subsidy", filter=seat),
        )
    )
    providers: dict[str, RateRow] = {}
    course_rows: list[RateRow] = []
    waitlists: list[WaitlistRow] = []
    spent: dict[int, int] = defaultdict(int)
    for course_id, c, nc, w, seated, subsidy in per_course:
        code, title, capacity, p_code, p_name, starts_on, closes_on, created_at = courses[course_id]
        if w:
            waitlists.append(WaitlistRow(code, title, capacity, w, seated))
        day = _course_fiscal_day(starts_on, closes_on, created_at)
        if start <= day < end:
            spent[fiscal_year_of(day)] += int(subsidy or 0)
        # Completion rate: courses starting in the period, completed ÷ (completed + not completed).
        if starts_on is not None and start <= starts_on < end and (c or nc):
            row = providers.setdefault(p_code, RateRow(p_name or p_code, 0, 0, p_code))
            row.completed += c
            row.finished += c + nc
            if c + nc >= min_finished:
                course_rows.append(RateRow(title, c, c + nc, code))
    provider_rates = sorted(providers.values(), key=lambda r: r.code)
    course_rates = sorted(course_rows, key=lambda r: (r.rate, r.code))[:limit]
    waitlists = sorted(waitlists, key=lambda w: (-w.waitlisted, w.code))[:limit]
    budgets = training_budgets() if scope.is_hr else {}
    subsidy = [(fy, spent.get(fy, 0), budgets.get(fy)) for fy in range(fy_from, fy_to + 1)]

    # 3. Monthly series and use-type totals.
    series = _monthly_counts(
        scope=scope, enrolments=enrolments, issued=issued, months=months, end=end, aware=aware, tz=tz
    )
    requests = [sum(series.requests[u][i] for u in UseType.values) for i in range(len(months))]
    completions = [sum(series.completions[u][i] for u in UseType.values) for i in range(len(months))]
    badges = series.badges
    running = series.badges_before
    cumulative = []
    for k in badges:
        running += k
        cumulative.append(running)
    use_types = [
        (str(label), sum(series.requests[value]), sum(series.completions[value])) for value, label in UseType.choices
    ]

    # 4. Badges issued in the period by the holder's current division (部; for a head, the
    #    departments they head and the units below: DepartmentIndex.group_for), and by what they were
    #    issued for and fiscal year: one GROUP BY over AwardUse (kept by courses.holdings), which
    #    holds each issued award's holder, date and use type, so no award is joined to its
    #    enrolment here (that join cost ~0.5 s for three fiscal years of the whole city).
    fiscal_years = list(range(fy_from, fy_to + 1))
    fy_index = Case(
        *(When(issued_at__lt=aware(fiscal_year_bounds(fy)[1]), then=Value(i)) for i, fy in enumerate(fiscal_years)),
        output_field=IntegerField(),
    )
    by_division: dict[int, int] = defaultdict(int)
    by_kind: dict[str, list[int]] = {kind: [0] * len(fiscal_years) for kind in AwardUse.Kind.values}
    for dept_pk, kind, i, k in (
        AwardUse.objects.filter(recipient_q, issued_at__gte=start_at, issued_at__lt=end_at)
        .order_by()
        .annotate(fy=fy_index)
        .values_list("recipient__department_id", "kind", "fy")
        .annotate(n=Count("pk"))
    ):
        by_kind[kind if kind in by_kind else AwardUse.Kind.OTHER][i] += k
        dept = departments.by_pk.get(dept_pk) if dept_pk else None
        if dept is not None:
            by_division[departments.group_for(dept, scope).pk] += k
    badges_by_use_type = [
        (str(label), by_kind[kind])
        for kind, label in AwardUse.Kind.choices
        if kind != AwardUse.Kind.OTHER or any(by_kind[kind])  # "other source" only when there are some
    ]
    badges_by_department = sorted(
        ((departments.by_pk[pk], k) for pk, k in by_division.items()), key=lambda x: (-x[1], x[0].path)
    )
    return Dashboard(
        fy_from=fy_from,
        fy_to=fy_to,
        months=months,
        requests=requests,
        completions=completions,
        badges=badges,
        badges_cumulative=cumulative,
        provider_rates=provider_rates,
        course_rates=course_rates,
        badges_by_department=badges_by_department,
        badges_by_use_type=badges_by_use_type,
        use_types=use_types,
        subsidy=subsidy,
        waitlists=waitlists,
    )


# --- A person's profile for HR ------------------------------------------------------------


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


HELP_SKILL_HOLDING = gettext_lazy(
    "A person holds a skill at a level when they completed a course aligned to that skill at that level "
    "or higher, or hold a valid badge (issued, not revoked, not expired) of such a course or of a "
    "programme that includes one."
)
HELP_VALID_ONLY = gettext_lazy(
    "Only valid badges count as evidence: a completion alone is not enough for a skill, and with no "
    "skill or badge chosen the person must hold at least one valid badge."
)
HELP_FISCAL_YEAR = gettext_lazy(
    "Fiscal years run from April to March. Subsidy spent is the city's share of enrolments that took a "
    "seat (approved, completed or not completed), counted in the fiscal year in which the course starts."
)
