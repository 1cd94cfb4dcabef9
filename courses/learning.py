"""``LearningYear``: each person's learning per fiscal year (seats, subsidy and staff share, hours,
completions and those for promotion, badges issued, external badges confirmed, the year they
first held a skill), so that the human-capital report (``courses.hcreport``) is one GROUP BY over
narrow rows instead of scans of every enrolment, badge and holding in the city
(docs/architecture.md, "The human-capital report's table"; docs/benchmarks.md).

Kept as ``courses.holdings`` keeps ``SkillHolding``: :func:`learning_years_refresh` recomputes the
rows of some people from the source tables, in the caller's transaction, so the rows commit or
roll back with the change that caused them. Callers:

* ``courses.holdings.skill_holdings_refresh`` (its last step): completions (one and bulk),
  badges issued, revoked or re-issued (``awards_changed``, after ``AwardUse``), catalogue edits
  of skills and badges;
* ``courses.services._move``: an enrolment taking or leaving a seat, or leaving completed;
* ``courses.services.course_update``: a course's dates (the fiscal year its seats count in) or
  hours changed: everyone enrolled in it;
* the receiver of ``badges.signals.external_badges_changed``: HR confirmed or rejected an
  external badge.

People's department and whether they are active are not stored: the report joins them as they
are today. :func:`learning_years_rebuild` (``manage.py learning_years_rebuild``, ``seed_scale``)
redoes the whole table; :func:`learning_years_drift` compares the table with a fresh computation
(tests call it after every service, so a service that forgets the refresh fails a test).
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from badges.models import ExternalBadge
from staff.models import StaffMember

from .insight import fiscal_year_of
from .models import SEAT_STATES, AwardUse, Enrolment, EnrolmentState, LearningYear, SkillHolding, UseType

#: People computed per round of statements.
CHUNK = 1000

#: First key of the PostgreSQL advisory locks taken per person while their rows are rewritten.
_LOCK_CLASS = zlib.crc32(b"courses.learning_years") & 0x7FFFFFFF

#: The columns compared by :func:`learning_years_drift` (and written by the refresh).
FIELDS = (
    "seats",
    "subsidy",
    "staff_share",
    "hours",
    "completions",
    "promotion_completions",
    "badges",
    "external_confirmed",
    "first_skill",
)


def _fy_at(moment: dt.datetime) -> int:
    return fiscal_year_of(timezone.localtime(moment).date())


def course_fiscal_year(starts_on: dt.date | None, closes_on: dt.date | None, created_at: dt.datetime) -> int:
    """The fiscal year a course counts in: it starts, else applications close, else it was added."""
    return fiscal_year_of(starts_on or closes_on or timezone.localtime(created_at).date())


def compute(staff_ids: list[int]) -> dict[tuple[int, int], dict[str, Any]]:
    """(person, fiscal year) → the row's values, for ``staff_ids``, from the source tables: five
    queries whatever their number of enrolments and badges. Only years with something in them."""
    rows: dict[tuple[int, int], dict[str, Any]] = defaultdict(
        lambda: {f: (Decimal(0) if f == "hours" else False if f == "first_skill" else 0) for f in FIELDS}
    )
    seated = Enrolment.objects.filter(staff_id__in=staff_ids, state__in=SEAT_STATES).values_list(
        "staff_id",
        "course__starts_on",
        "course__application_closes_on",
        "course__created_at",
        "city_subsidy",
        "staff_share",
    )
    for person, starts_on, closes_on, created_at, subsidy, share in seated.order_by().iterator(chunk_size=5000):
        row = rows[person, course_fiscal_year(starts_on, closes_on, created_at)]
        row["seats"] += 1
        row["subsidy"] += subsidy or 0
        row["staff_share"] += share or 0
    completed = Enrolment.objects.filter(
        staff_id__in=staff_ids, state=EnrolmentState.COMPLETED, completed_on__isnull=False
    ).values_list("staff_id", "completed_on", "use_type", "course__hours")
    for person, completed_on, use_type, hours in completed.order_by().iterator(chunk_size=5000):
        if completed_on is None:  # excluded by the filter above; says so to the type checker
            continue
        row = rows[person, fiscal_year_of(completed_on)]
        row["completions"] += 1
        row["promotion_completions"] += use_type == UseType.PROMOTION
        row["hours"] += hours or 0
    confirmed = ExternalBadge.objects.filter(holder_id__in=staff_ids, status=ExternalBadge.Status.CONFIRMED)
    for person, issued_on, hours, confirmed_at in confirmed.order_by().values_list(
        "holder_id", "issued_on", "hours", "confirmed_at"
    ):
        if issued_on is not None:
            rows[person, fiscal_year_of(issued_on)]["hours"] += hours or 0
        if confirmed_at is not None:
            rows[person, _fy_at(confirmed_at)]["external_confirmed"] += 1
    uses = AwardUse.objects.filter(recipient_id__in=staff_ids, issued_at__isnull=False)
    for person, issued_at in uses.order_by().values_list("recipient_id", "issued_at").iterator(chunk_size=5000):
        rows[person, _fy_at(issued_at)]["badges"] += 1
    first: dict[int, int] = {}
    for person, completed_on, badge_since in (
        SkillHolding.objects.filter(staff_id__in=staff_ids, level=1)
        .order_by()
        .values_list("staff_id", "completed_on", "badge_since")
        .iterator(chunk_size=5000)
    ):
        years = [fiscal_year_of(completed_on)] if completed_on else []
        if badge_since is not None:
            years.append(_fy_at(badge_since))
        if years:
            first[person] = min(first.get(person, years[0]), *years)
    for person, fy in first.items():
        rows[person, fy]["first_skill"] = True
    return dict(rows)


def _lock_people(cursor: Any, ids: list[int]) -> None:
    """PostgreSQL: a transaction-scoped advisory lock per person, in id order (as
    ``courses.holdings._lock_people``: two refreshes of one person wait rather than collide)."""
    if connection.vendor != "postgresql" or not ids:
        return
    cursor.execute("SELECT pg_advisory_xact_lock(%s, t.id) FROM unnest(%s::int[]) AS t(id)", [_LOCK_CLASS, ids])


def _write(chunk: list[int], computed: dict[tuple[int, int], dict[str, Any]]) -> int:
    LearningYear.objects.filter(staff_id__in=chunk).delete()
    objs = [LearningYear(staff_id=p, fiscal_year=fy, **values) for (p, fy), values in computed.items()]
    LearningYear.objects.bulk_create(objs, batch_size=5000)
    return len(objs)


def learning_years_refresh(*, staff_ids: Iterable[int]) -> None:
    """Recompute the rows of ``staff_ids`` from their enrolments, badges and holdings: per 1,000
    people a lock (PostgreSQL), five reads, one DELETE and one INSERT. Runs in the caller's
    transaction (or its own) and is idempotent."""
    ids = sorted({int(pk) for pk in staff_ids})
    if not ids:
        return
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            _lock_people(cursor, chunk)
            _write(chunk, compute(chunk))


def learning_years_refresh_for_courses(*, course_ids: Iterable[int]) -> None:
    """A course's dates or hours changed: everyone enrolled in it (whatever the state)."""
    people = Enrolment.objects.filter(course_id__in=list(course_ids)).values_list("staff_id", flat=True)
    learning_years_refresh(staff_ids=set(people))


def learning_years_rebuild() -> int:
    """Recompute the whole table, everyone in rounds of 1,000 people; returns the number of rows.
    On PostgreSQL the table is locked against other writers meanwhile (readers see the old rows)."""
    rows = 0
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            table = connection.ops.quote_name(LearningYear._meta.db_table)
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        LearningYear.objects.all().delete()
        ids = list(StaffMember.objects.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            computed = compute(chunk)
            LearningYear.objects.bulk_create(
                [LearningYear(staff_id=p, fiscal_year=fy, **values) for (p, fy), values in computed.items()],
                batch_size=5000,
            )
            rows += len(computed)
    return rows


def learning_years_drift(staff_ids: Iterable[int] | None = None) -> list[str]:
    """Where the table differs from a fresh computation (of ``staff_ids``, else everyone): one line
    per differing (person, fiscal year), empty when the table is right."""
    ids = sorted(
        {int(pk) for pk in staff_ids} if staff_ids is not None else StaffMember.objects.values_list("pk", flat=True)
    )
    out = []
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        fresh = compute(chunk)
        stored = {
            (r["staff_id"], r["fiscal_year"]): {f: r[f] for f in FIELDS}
            for r in LearningYear.objects.filter(staff_id__in=chunk).values("staff_id", "fiscal_year", *FIELDS)
        }
        for key in sorted(set(fresh) | set(stored)):
            if fresh.get(key) != stored.get(key):
                out.append(f"staff {key[0]}, FY{key[1]}: stored {stored.get(key)}, fresh {fresh.get(key)}")
    return out


def on_external_badges_changed(sender: Any, *, holder_ids: Iterable[int], **kwargs: Any) -> None:
    """``badges.signals.external_badges_changed`` (connected in ``CoursesConfig.ready``)."""
    learning_years_refresh(staff_ids=holder_ids)
