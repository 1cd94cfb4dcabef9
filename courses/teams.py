"""Cross-department teams (部局横断プロジェクト, issue 15 §3): HR or a head of section enters the
skills and levels a project needs and how many people; the portal proposes a team.

Who can be proposed: active staff who opted in on their profile page
(``StaffMember.team_opt_in``, off by default, withdrawable). Nobody else is ever read here: the
opt-in is a condition of every query that returns people. Every choice is also kept in
``staff.TeamOptInChange``, written with the flag under the person's row lock
(``staff.services.staff_set_team_opt_in``), so the flag read here is always the latest choice.

Who may search, and what they see (docs/roles.md): HR, and every head of section **city-wide**
among the opted-in, since finding people outside one's own departments is the point of a
cross-department team and the people found chose to be found for it. Heads see only the evidence
needed: name, department, and for each skill asked for the badge or course that shows it, its
level and date; not grade, history or anything else of the record (the full profile link is
given only for people inside the viewer's insight scope). Every proposal shown or exported is
written to the record access log, one row per person proposed.

The algorithm (:func:`team_propose`), a greedy set cover that spreads over departments:

1. One GROUP BY over ``SkillHolding`` gives, per opted-in person, the set of asked-for (skill,
   level) pairs they hold, as a bit mask, and then the number of people per (department, mask)
   cell; people holding none of them are not candidates.
2. Greedy, one person per step until the head count: take a cell with people left that
   (a) covers the most skills not yet covered by the team, then (b) whose division (部) has
   given the fewest people to the team so far, then (c) whose department has, then (d) covers
   the most asked-for skills in all (a second holder is a backup), then the department's place
   in the organisation chart (deterministic). Coverage comes first: a team that lacks a skill
   is worse than one with two people from one 部; among equally useful people the team spreads.
3. Within a cell the people are taken in employee-number order (the portal does not rank
   people beyond their evidence). A second query reads the people of the chosen departments only.
4. What is still uncovered after the head count is filled (or when candidates run out) is
   reported, with the number of opted-in people holding each skill (zero: nobody to propose).

The greedy choice is the classic approximation for set cover (within a factor ln k of the
smallest team); k, the skills asked for, is at most :data:`MAX_NEEDS`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext

from badges.models import Award
from staff.models import StaffMember

from .careers import holder_cells, holder_masks_sql, level_label
from .insight import DepartmentIndex, Dept, valid_award_q
from .models import CourseSkill, Enrolment, EnrolmentState, Programme, Skill, SkillHolding, _localised

MAX_NEEDS = 6
MAX_SIZE = 20


@dataclass(frozen=True)
class Need:
    skill: Skill
    level: int

    @property
    def level_label(self) -> str:
        return level_label(self.level)


@dataclass
class Evidence:
    need: Need
    held: int  # the highest level of the skill the person holds
    kind: str  # "badge" or "course"
    name: str
    on: dt.date | None
    until: dt.date | None = None  # a badge's expiry

    def text(self) -> str:
        """One line, in the page's language (the export writes it in Japanese)."""
        values = {
            "skill": self.need.skill.display_name,
            "level": level_label(self.held),
            "name": self.name,
            "date": self.on.isoformat() if self.on else "—",
        }
        if self.kind == "badge":
            line = gettext("%(skill)s %(level)s: badge “%(name)s” issued %(date)s") % values
            if self.until:
                line += " " + gettext("(valid until %(date)s)") % {"date": self.until.isoformat()}
            return line
        return gettext("%(skill)s %(level)s: completed “%(name)s” %(date)s") % values


@dataclass
class Member:
    person: StaffMember
    department_label: str
    division: Dept | None
    evidence: list[Evidence] = field(default_factory=list)
    new_needs: list[Need] = field(default_factory=list)  # what this person added to the team's coverage


@dataclass
class TeamProposal:
    needs: list[Need]
    size: int
    members: list[Member]
    uncovered: list[Need]
    candidates: int  # opted-in people holding at least one skill asked for
    holders: dict[Skill, int]  # per skill asked for: opted-in people holding it

    @property
    def divisions(self) -> int:
        return len({m.division.pk if m.division else None for m in self.members})

    @property
    def short(self) -> bool:
        return len(self.members) < self.size


def _greedy(
    cells: dict[tuple[int | None, int], int],
    size: int,
    full: int,
    division_of: dict[int | None, int | None],
    order: dict[int | None, str],
) -> list[tuple[int | None, int]]:
    """Step 2 of the module docstring: the (department, mask) cell of each person taken, in order.

    Per step, each distinct mask (at most 2**6) offers its best cell: the first, in the
    organisation chart's order, of those whose division and then department gave the fewest
    people so far; a cell in an untouched division ends that mask's scan at once, so a step
    reads a few cells per mask, not the thousands of cells of the city."""
    left = dict(cells)
    per_division: dict[int | None, int] = {}
    per_department: dict[int | None, int] = {}
    ordered = sorted(left, key=lambda c: (order.get(c[0], "~"), c[1]))
    rank = {cell: i for i, cell in enumerate(ordered)}
    by_mask: dict[int, list[tuple[tuple[int | None, int], int | None, int | None]]] = defaultdict(list)
    for cell in ordered:
        by_mask[cell[1]].append((cell, cell[0], division_of.get(cell[0])))
    covered = 0
    steps: list[tuple[int | None, int]] = []
    for _step in range(size):
        missing = full & ~covered
        best, best_key = None, None
        for mask, candidates in by_mask.items():
            found, found_load = None, None
            for cell, dept, division in candidates:
                if not left[cell]:
                    continue
                load = (per_division.get(division, 0), per_department.get(dept, 0))
                if found_load is None or load < found_load:
                    found, found_load = cell, load
                    if load == (0, 0):
                        break
            if found is None or found_load is None:
                continue
            key = ((mask & missing).bit_count(), -found_load[0], -found_load[1], mask.bit_count(), -rank[found])
            if best_key is None or key > best_key:
                best, best_key = found, key
        if best is None:
            break
        left[best] -= 1
        per_division[division_of.get(best[0])] = per_division.get(division_of.get(best[0]), 0) + 1
        per_department[best[0]] = per_department.get(best[0], 0) + 1
        covered |= best[1]
        steps.append(best)
    return steps


def team_propose(
    *, needs: list[Need], size: int, departments: DepartmentIndex, now: dt.datetime | None = None
) -> TeamProposal:
    """Propose up to ``size`` opted-in people covering ``needs`` (the module docstring says how).

    Nine queries whatever the number of staff: the cells; the people of the chosen departments;
    the people chosen; their holdings of the skills asked for; the courses and the programmes
    aligned to them; their valid badges and their completions of those courses.
    """
    now = now or timezone.now()
    full = (1 << len(needs)) - 1
    pairs = [(n.skill.pk, n.level) for n in needs]
    cells = holder_cells(pairs, now, opted_in=True)
    holders = {n.skill: sum(k for (_d, mask), k in cells.items() if mask & (1 << i)) for i, n in enumerate(needs)}
    division_of: dict[int | None, int | None] = {}
    order: dict[int | None, str] = {}
    for dept_id in {d for d, _m in cells}:
        dept = departments.by_pk.get(dept_id) if dept_id else None
        chain = departments.ancestors(dept) if dept else []
        division_of[dept_id] = chain[0].pk if chain else None
        order[dept_id] = dept.path if dept else "~"
    steps = _greedy(cells, size, full, division_of, order)

    # Step 3: the people of the chosen cells, in employee-number order.
    by_cell: dict[tuple[int | None, int], list[int]] = defaultdict(list)
    want = Counter(steps)
    if steps:
        depts = sorted({d for d, _m in want if d is not None})
        with connection.cursor() as cursor:
            # People without a department (rare) are read with everyone's rows.
            limit = None if any(d is None for d, _m in want) else depts
            sql, params = holder_masks_sql(pairs, now, opted_in=True, department_ids=limit, per_person=True)
            cursor.execute(sql, params)
            for pk, dept, _number, mask in cursor.fetchall():
                cell = (dept, int(mask))
                if len(by_cell[cell]) < want[cell]:
                    by_cell[cell].append(pk)
    chosen_ids = [pk for pks in by_cell.values() for pk in pks]
    people = {
        p.pk: p
        for p in StaffMember.objects.filter(pk__in=chosen_ids, team_opt_in=True, is_active=True).select_related(
            "department"
        )
    }

    members: list[Member] = []
    covered = 0
    for cell in steps:
        pk = by_cell[cell].pop(0) if by_cell[cell] else None
        person = people.get(pk) if pk is not None else None
        if person is None:  # withdrew between the two queries: not proposed
            continue
        dept = departments.by_pk.get(person.department_id) if person.department_id else None
        chain = departments.ancestors(dept) if dept else []
        new = cell[1] & ~covered
        covered |= cell[1]
        members.append(
            Member(
                person=person,
                department_label=departments.label(person.department_id),
                division=chain[0] if chain else None,
                new_needs=[n for i, n in enumerate(needs) if new & (1 << i)],
            )
        )
    _attach_evidence(members, needs, now)
    uncovered = [n for i, n in enumerate(needs) if not covered & (1 << i)]
    return TeamProposal(
        needs=needs,
        size=size,
        members=members,
        uncovered=uncovered,
        candidates=sum(cells.values()),
        holders=holders,
    )


def _attach_evidence(members: list[Member], needs: list[Need], now: dt.datetime) -> None:
    """For each member and skill asked for that they hold: the badge (preferred: it can be
    verified) or the course completion that shows it, with level and date. Five queries."""
    if not members:
        return
    ids = [m.person.pk for m in members]
    skill_ids = [n.skill.pk for n in needs]
    held: dict[tuple[int, int], int] = defaultdict(int)
    for staff_id, skill_id, level, completed_on, badge_since, badge_until in SkillHolding.objects.filter(
        staff_id__in=ids, skill_id__in=skill_ids
    ).values_list("staff_id", "skill_id", "level", "completed_on", "badge_since", "badge_until"):
        if completed_on is not None or (badge_since is not None and (badge_until is None or badge_until > now)):
            held[(staff_id, skill_id)] = max(held[(staff_id, skill_id)], level)

    # What gives each skill, at which level: courses (and their badges) and programme badges.
    course_gives: dict[int, list[tuple[int, int]]] = defaultdict(list)  # course → (skill, level)
    badge_gives: dict[int, dict[int, int]] = defaultdict(dict)  # badge class → skill → level
    course_names: dict[int, str] = {}
    for course_id, skill_id, level, badge_id, title, title_en, code in CourseSkill.objects.filter(
        skill_id__in=skill_ids
    ).values_list(
        "course_id", "skill_id", "level", "course__badge_class_id", "course__title", "course__title_en", "course__code"
    ):
        course_gives[course_id].append((skill_id, level))
        course_names[course_id] = f"{_localised(title, title_en)} ({code})"
        if badge_id:
            badge_gives[badge_id][skill_id] = max(level, badge_gives[badge_id].get(skill_id, 0))
    for badge_id, skill_id, level in Programme.objects.filter(
        badge_class__isnull=False, courses__course_skills__skill_id__in=skill_ids
    ).values_list("badge_class_id", "courses__course_skills__skill_id", "courses__course_skills__level"):
        badge_gives[badge_id][skill_id] = max(level, badge_gives[badge_id].get(skill_id, 0))

    best: dict[tuple[int, int], Evidence] = {}
    need_of = {n.skill.pk: n for n in needs}
    awards = (
        # The members' few valid badges, filtered here: an IN list of every aligned badge class
        # (a thousand at the 23-ward scale) cost more to send than these rows do to read.
        Award.objects.filter(valid_award_q(now), recipient_id__in=ids)
        .select_related("badge_class")
        .order_by("issued_at")
    )
    for a in awards:
        if a.badge_class_id not in badge_gives:
            continue
        for skill_id, level in badge_gives[a.badge_class_id].items():
            need = need_of[skill_id]
            key = (a.recipient_id, skill_id)
            if level >= need.level and key not in best:
                best[key] = Evidence(
                    need,
                    held[key],
                    "badge",
                    a.badge_class.display_name,
                    timezone.localdate(a.issued_at) if a.issued_at else None,
                    timezone.localdate(a.expires_at) if a.expires_at else None,
                )
    for staff_id, course_id, completed_on in (
        Enrolment.objects.filter(staff_id__in=ids, state=EnrolmentState.COMPLETED)
        .order_by("completed_on")
        .values_list("staff_id", "course_id", "completed_on")
    ):
        if course_id not in course_gives:
            continue
        for skill_id, level in course_gives[course_id]:
            need = need_of[skill_id]
            key = (staff_id, skill_id)
            if level >= need.level and key not in best:
                best[key] = Evidence(need, held[key], "course", course_names[course_id], completed_on)
    for m in members:
        m.evidence = [best[(m.person.pk, n.skill.pk)] for n in needs if (m.person.pk, n.skill.pk) in best]
