"""Career paths (issue 15 §2): role profiles HR defines, the gaps a staff member has against the
profiles they choose, the catalogue's courses that close each gap, and a section's coverage.

Reads and writes of this feature, kept together because they are small:

* :func:`career_page`: a person's chosen profiles with, per skill needed, what they hold, whether
  it is enough, and the courses that close the gap (five queries whatever the catalogue's size);
* :func:`role_profile_choose` / :func:`role_profile_unchoose`: the person's own choice;
* :func:`career_course_request`: "request this course" from a gap, one click: it goes through
  ``services.enrolment_request`` with all of its checks (open for applications, not requested
  already, account active…), with the use type and reason filled in from the gap;
* :func:`profile_coverage`: how many people of a scope (HR: the city; a head: their departments)
  hold each skill of a profile, and all of them, by department (four GROUP BY queries).

"Holds skill S at level L" is ``courses.insight``'s definition, read from ``SkillHolding`` (kept
by ``courses.holdings``): a completion of a course aligned to S at L or higher, or a valid badge
(issued, not revoked, not expired) of such a course or of a programme including one.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext

from staff.models import Department, StaffMember

from .insight import DepartmentIndex, Dept, Scope
from .models import (
    Course,
    CourseSkill,
    Enrolment,
    RoleProfile,
    RoleProfileChoice,
    RoleProfileSkill,
    Skill,
    SkillHolding,
    SkillLevel,
    UseType,
)
from .services import EnrolmentError, enrolment_request

#: Courses listed under one gap (the nearest to open first); the catalogue has the rest.
COURSES_PER_GAP = 5


def holding_valid_q(now: dt.datetime, prefix: str = "") -> Q:
    """A ``SkillHolding`` row that counts at ``now``: a completion, or a badge not expired."""
    return Q(**{f"{prefix}completed_on__isnull": False}) | (
        Q(**{f"{prefix}badge_since__isnull": False})
        & (Q(**{f"{prefix}badge_until__isnull": True}) | Q(**{f"{prefix}badge_until__gt": now}))
    )


def level_label(level: int) -> str:
    return str(SkillLevel(level).label) if level in SkillLevel.values else str(level)


def _t(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def holder_masks_sql(
    pairs: Sequence[tuple[int, int]],
    now: dt.datetime,
    *,
    scope: Scope | None = None,
    opted_in: bool = False,
    department_ids: Sequence[int] | None = None,
    per_person: bool = False,
) -> tuple[str, list[Any]]:
    """SQL over ``SkillHolding``: which of ``pairs`` ((skill id, level) at that level or higher)
    each active person holds now, as a bit mask (bit i: ``pairs[i]``), for the people of
    ``scope`` (None: everyone), only those who opted in to cross-department projects, or only
    ``department_ids``. Grouped: rows (department id, mask, people). ``per_person``: rows
    (person id, department id, employee number, mask) in employee-number order.

    Shared by the coverage of a profile and the team proposal (``courses.teams``). One
    index-range read of ``skill_holding_matrix_idx`` per pair (it holds every column needed),
    summed per person first, then joined to the people once: never a query per person.
    """
    valid = (
        "(h.completed_on IS NOT NULL OR (h.badge_since IS NOT NULL AND (h.badge_until IS NULL OR h.badge_until > %s)))"
    )
    parts, params = [], []
    for i, (skill_id, level) in enumerate(pairs):
        select = f"SELECT h.staff_id AS p, {1 << i} AS b FROM {_t(SkillHolding)} h "  # noqa: S608 - bound values
        parts.append(select + f"WHERE h.level = %s AND h.skill_id = %s AND {valid}")
        params += [level, skill_id, now]
    where, where_params = ["s.is_active = %s"], [True]
    joins = ""
    if opted_in:
        where.append("s.team_opt_in = %s")
        where_params.append(True)
    if department_ids is not None:
        where.append("s.department_id IN (" + ", ".join(["%s"] * len(department_ids)) + ")")
        where_params += list(department_ids)
    if scope is not None and not scope.is_hr:
        joins = f" JOIN {_t(Department)} d ON d.id = s.department_id"
        likes = []
        for path in scope.paths:
            likes.append("d.path LIKE %s ESCAPE '!'")
            where_params.append(path.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%")
        where.append("(" + " OR ".join(likes or ["1 = 0"]) + ")")
        where.append("s.id <> %s")
        where_params.append(scope.viewer_pk or 0)
    union = " UNION ALL ".join(parts)
    base = f"""
        SELECT e.p, s.department_id AS dept{", s.employee_number AS number" if per_person else ""}, SUM(e.b) AS mask
          FROM ({union}) e
          JOIN {_t(StaffMember)} s ON s.id = e.p{joins}
         WHERE {" AND ".join(where)}
         GROUP BY e.p, s.department_id{", s.employee_number" if per_person else ""}
    """  # noqa: S608 - table names from the models, values bound as parameters
    if per_person:
        return base + " ORDER BY s.employee_number", params + where_params
    return f"SELECT x.dept, x.mask, COUNT(*) FROM ({base}) x GROUP BY x.dept, x.mask", params + where_params  # noqa: S608


def holder_cells(
    pairs: Sequence[tuple[int, int]], now: dt.datetime, **kwargs: Any
) -> dict[tuple[int | None, int], int]:
    """Run :func:`holder_masks_sql` grouped: {(department id, mask): people}."""
    sql, params = holder_masks_sql(pairs, now, **kwargs)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(dept, int(mask)): int(n) for dept, mask, n in cursor.fetchall()}


# --- A staff member's career page --------------------------------------------------------


@dataclass
class GapCourse:
    course: Course
    level: int  # the level of the skill this course gives
    state: str = ""  # the person's live enrolment's state, if any
    state_label: str = ""
    open_now: bool = False  # applications are open today

    @property
    def requested(self) -> bool:
        return bool(self.state)


@dataclass
class SkillStatus:
    skill: Skill
    needed: int
    held: int = 0  # the highest level held (0: none)
    since: dt.date | None = None  # the first evidence of the needed level, when held
    courses: list[GapCourse] = field(default_factory=list)

    @property
    def met(self) -> bool:
        return self.held >= self.needed

    @property
    def needed_label(self) -> str:
        return level_label(self.needed)

    @property
    def held_label(self) -> str:
        return level_label(self.held) if self.held else ""


@dataclass
class ProfileGaps:
    profile: RoleProfile
    rows: list[SkillStatus]

    @property
    def met_count(self) -> int:
        return sum(1 for r in self.rows if r.met)

    @property
    def complete(self) -> bool:
        return bool(self.rows) and self.met_count == len(self.rows)


@dataclass
class CareerPage:
    chosen: list[ProfileGaps]
    others: list[RoleProfile]


def _first_evidence(completed_on: dt.date | None, badge_since: dt.datetime | None) -> dt.date | None:
    days = [d for d in (completed_on, timezone.localdate(badge_since) if badge_since else None) if d]
    return min(days) if days else None


def career_page(*, staff: StaffMember, today: dt.date | None = None, now: dt.datetime | None = None) -> CareerPage:
    """The profiles ``staff`` chose, each with its gaps, and the other profiles offered.

    Six queries: the profiles offered; the person's choices; the skills every profile needs; the
    person's holdings of those skills; the published courses, open or opening, that give a
    missing skill at the level needed or higher; the person's live enrolments in those courses.
    """
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    profiles = list(RoleProfile.objects.filter(is_active=True).order_by("code"))
    mine = set(RoleProfileChoice.objects.filter(staff=staff).values_list("profile_id", flat=True))
    chosen = [p for p in profiles if p.pk in mine]
    others = [p for p in profiles if p.pk not in mine]
    # The skills of every profile offered: the others list says what each path asks for.
    all_needs = list(
        RoleProfileSkill.objects.filter(profile__is_active=True, skill__is_active=True)
        .select_related("skill")
        .order_by("skill__sort_order", "skill__code")
    )
    for p in others:
        p.needs = [n for n in all_needs if n.profile_id == p.pk]  # type: ignore[attr-defined]
    if not chosen:
        return CareerPage(chosen=[], others=others)

    needs = [n for n in all_needs if n.profile_id in mine]
    skill_ids = {n.skill_id for n in needs}
    held: dict[int, int] = defaultdict(int)
    since: dict[tuple[int, int], dt.date | None] = {}
    for skill_id, level, completed_on, badge_since in SkillHolding.objects.filter(
        holding_valid_q(now), staff=staff, skill_id__in=skill_ids
    ).values_list("skill_id", "level", "completed_on", "badge_since"):
        held[skill_id] = max(held[skill_id], level)
        since[(skill_id, level)] = _first_evidence(completed_on, badge_since)

    # The lowest missing level per skill: a course at that level or higher may close a gap.
    missing: dict[int, int] = {}
    for n in needs:
        if held[n.skill_id] < n.level:
            missing[n.skill_id] = min(missing.get(n.skill_id, n.level), n.level)
    offers: dict[int, list[GapCourse]] = defaultdict(list)
    if missing:
        condition = Q()
        for skill_id, level in missing.items():
            condition |= Q(skill_id=skill_id, level__gte=level)
        rows = (
            CourseSkill.objects.filter(condition)
            .filter(course__is_published=True)
            .filter(Q(course__application_closes_on__isnull=True) | Q(course__application_closes_on__gte=today))
            .select_related("course", "course__provider")
            .order_by("course__application_opens_on", "course__starts_on", "course__code")
        )
        for cs in rows:
            offers[cs.skill_id].append(
                GapCourse(course=cs.course, level=cs.level, open_now=cs.course.is_open_on(today))
            )
        course_ids = {g.course.pk for gaps in offers.values() for g in gaps}
        live = dict(
            Enrolment.objects.active().filter(staff=staff, course_id__in=course_ids).values_list("course_id", "state")
        )
        labels = dict(Enrolment._meta.get_field("state").choices)  # type: ignore[arg-type]
        for gaps in offers.values():
            for g in gaps:
                g.state = live.get(g.course.pk, "")
                g.state_label = str(labels.get(g.state, "")) if g.state else ""

    by_profile: dict[int, list[SkillStatus]] = defaultdict(list)
    for n in needs:
        row = SkillStatus(skill=n.skill, needed=n.level, held=held[n.skill_id])
        if row.met:
            row.since = since.get((n.skill_id, n.level))
        else:
            row.courses = [g for g in offers[n.skill_id] if g.level >= n.level][:COURSES_PER_GAP]
        by_profile[n.profile_id].append(row)
    return CareerPage(chosen=[ProfileGaps(p, by_profile[p.pk]) for p in chosen], others=others)


@transaction.atomic
def role_profile_choose(*, staff: StaffMember, profile: RoleProfile) -> bool:
    """The person follows ``profile``; False if they already did."""
    if not profile.is_active:
        raise EnrolmentError(gettext("This career path is no longer offered."))
    try:
        with transaction.atomic():
            _obj, created = RoleProfileChoice.objects.get_or_create(staff=staff, profile=profile)
    except IntegrityError:  # the same choice submitted twice at once: the constraint kept one
        return False
    return created


def role_profile_unchoose(*, staff: StaffMember, profile: RoleProfile) -> bool:
    """The person stops following ``profile``; False if they did not follow it."""
    deleted, _rows = RoleProfileChoice.objects.filter(staff=staff, profile=profile).delete()
    return bool(deleted)


def career_course_request(*, staff: StaffMember, course: Course, profile: RoleProfile, skill: Skill) -> Enrolment:
    """Request ``course`` to close the gap in ``skill`` for ``profile``: one click, through
    ``enrolment_request`` and its checks. The course must give the skill at the level the profile
    needs; self-development when the course offers it (else promotion evidence); the reason says
    which career path and skill it is for (the head of section reads it)."""
    need = RoleProfileSkill.objects.filter(profile=profile, skill=skill).first()
    if need is None or not CourseSkill.objects.filter(course=course, skill=skill, level__gte=need.level).exists():
        raise EnrolmentError(gettext("This course does not close that gap."))
    use_type = UseType.SELF_DEVELOPMENT if course.for_self_development else UseType.PROMOTION
    reason = gettext("To gain “%(skill)s” (%(level)s), needed for the career path “%(profile)s”.") % {
        "skill": skill.display_name,
        "level": level_label(need.level),
        "profile": profile.display_name,
    }
    return enrolment_request(staff=staff, course=course, use_type=use_type, reason=reason)


# --- A section's coverage of a profile ---------------------------------------------------


@dataclass
class CoverageRow:
    department: Dept | None  # None: the total
    label: str
    headcount: int
    holders: list[int]  # per skill needed, in the profile's order
    complete: int  # people who hold every skill needed
    labels: list[str] = field(default_factory=list)  # the skills needed, as column labels

    def share(self, n: int) -> int:
        return round(100 * n / self.headcount) if self.headcount else 0

    @property
    def cells(self) -> list[tuple[str, int, int, int]]:
        """Per skill: its label, holders, share in percent, people missing it."""
        return [
            (label, n, self.share(n), self.headcount - n) for label, n in zip(self.labels, self.holders, strict=True)
        ]

    @property
    def complete_share(self) -> int:
        return self.share(self.complete)


@dataclass
class Coverage:
    profile: RoleProfile
    needs: list[RoleProfileSkill]
    rows: list[CoverageRow]
    total: CoverageRow
    courses: dict[int, list[Course]]  # per skill id: catalogue courses that close the gap
    is_city: bool = True  # HR's view of the whole city (False: a head's departments)

    @property
    def gaps(self) -> list[tuple[RoleProfileSkill, int, int, list[Course]]]:
        """The skills needed, the least held first: (need, people missing it, share holding it,
        courses that close it)."""
        out = [
            (need, self.total.headcount - n, self.total.share(n), self.courses.get(need.skill_id, []))
            for need, n in zip(self.needs, self.total.holders, strict=True)
        ]
        return sorted(out, key=lambda x: (-x[1], x[0].skill.sort_order, x[0].skill.code))


def profile_coverage(
    *,
    profile: RoleProfile,
    scope: Scope,
    departments: DepartmentIndex,
    now: dt.datetime | None = None,
    today: dt.date | None = None,
) -> Coverage:
    """How many active people of ``scope`` hold each skill of ``profile``, and all of them, per
    department row (``DepartmentIndex.group_for``: HR's divisions, a head's departments and the
    units below them) and in total. Counts only, no names: nobody's record is opened.

    Four queries: the skills needed; people per department; people per department and set of
    skills held (:func:`holder_masks_sql`), from which holders per skill and of every skill are
    summed; the courses that close each gap.
    """
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    needs = list(
        RoleProfileSkill.objects.filter(profile=profile)
        .select_related("skill")
        .order_by("skill__sort_order", "skill__code")
    )
    people = StaffMember.objects.filter(scope.staff_q(), is_active=True)
    headcount = dict(people.order_by().values_list("department_id").annotate(n=Count("pk")))
    holders: dict[int | None, list[int]] = defaultdict(lambda: [0] * len(needs))
    complete: dict[int | None, int] = defaultdict(int)
    if needs:
        full = (1 << len(needs)) - 1
        cells = holder_cells([(n.skill_id, n.level) for n in needs], now, scope=scope)
        for (dept_id, mask), k in cells.items():
            for i in range(len(needs)):
                if mask & (1 << i):
                    holders[dept_id][i] += k
            if mask == full:
                complete[dept_id] += k

    groups: dict[int, CoverageRow] = {}
    total = CoverageRow(None, gettext("Total"), 0, [0] * len(needs), 0)
    for dept_id, n in headcount.items():
        dept = departments.by_pk.get(dept_id) if dept_id else None
        row = None
        if dept is not None:
            group = departments.group_for(dept, scope)
            row = groups.get(group.pk)
            if row is None:
                row = groups[group.pk] = CoverageRow(
                    group, departments.label_within(group, scope), 0, [0] * len(needs), 0
                )
        for target in (row, total) if row is not None else (total,):
            target.headcount += n
            target.holders = [a + b for a, b in zip(target.holders, holders[dept_id], strict=True)]
            target.complete += complete[dept_id]
    rows = sorted(groups.values(), key=lambda r: r.department.path if r.department else "")
    labels = [f"{n.skill.display_name} {level_label(n.level)}" for n in needs]
    for r in [*rows, total]:
        r.labels = labels

    courses: dict[int, list[Course]] = defaultdict(list)
    if needs:
        condition = Q()
        for n in needs:
            condition |= Q(skill_id=n.skill_id, level__gte=n.level)
        for cs in (
            CourseSkill.objects.filter(condition, course__is_published=True)
            .filter(Q(course__application_closes_on__isnull=True) | Q(course__application_closes_on__gte=today))
            .select_related("course")
            .order_by("course__application_opens_on", "course__starts_on", "course__code")
        ):
            if len(courses[cs.skill_id]) < 3:
                courses[cs.skill_id].append(cs.course)
    return Coverage(profile=profile, needs=needs, rows=rows, total=total, courses=dict(courses), is_city=scope.is_hr)


def coverage_profiles() -> list[RoleProfile]:
    return list(RoleProfile.objects.filter(is_active=True).order_by("code"))


def profile_by_code(code: str) -> RoleProfile | None:
    return RoleProfile.objects.filter(code=code.strip().upper()).first()
