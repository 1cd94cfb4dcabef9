"""Three tables derived from completions and awards, kept up to date by the services that change
them, so that HR insight reads narrow tables instead of joining everything (docs/benchmarks.md,
"HR insight"):

* ``SkillHolding``: who holds which skill at which level (the skill matrix), instead of
  deduplicating every completion and badge in the city;
* ``SkillBadgeSpan``: when the badges giving a skill were valid, merged per person, skill and
  level (the skill matrix for a past day, with ``SkillHolding.completed_on``); written with
  ``SkillHolding`` by the same functions;
* ``AwardUse``: what each issued badge was issued for (the dashboard's badges by use type),
  instead of joining every award to its enrolment through ``source_key``.

What "holds" means is the module docstring of ``courses.insight``; this module computes exactly
that, per person, with a few set-based statements:

* :func:`skill_holdings_refresh` recomputes the rows of some people from the source tables
  (completed enrolments, issued awards). Callers: ``enrolment_complete`` (and the bulk
  completion path), the receiver of ``badges.signals.awards_changed`` (issued, revoked,
  re-issued), and the catalogue edits below (``courses.services.course_update`` /
  ``programme_update``, whichever way the edit came: the admin or the catalogue import). It
  runs inside the caller's transaction, so the holdings commit or roll back with the change
  that caused them.
* :func:`skill_holdings_refresh_for_courses` / ``_for_programmes``: a course's skills or badge,
  or a programme's courses or badge, changed: refresh everyone with evidence through them.
* :func:`skill_holdings_rebuild` redoes the whole table (``manage.py skill_holdings_rebuild``,
  ``seed_scale``, and after data was written around the services).
* :func:`award_uses_refresh` / :func:`award_uses_rebuild`: the same for ``AwardUse``; only
  ``awards_changed`` changes it (an award's source and issue date never change afterwards,
  and an enrolment's use type is read-only once requested).

Expiry needs no upkeep: ``badge_until`` is compared with the day asked about. Revocation
does (it is an ``awards_changed``).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction

from badges.models import Award

from .learning import learning_years_refresh
from .models import (
    AwardUse,
    Course,
    CourseSkill,
    Enrolment,
    EnrolmentState,
    Programme,
    SkillBadgeSpan,
    SkillHolding,
    SkillLevel,
)

#: People refreshed per statement (keeps every IN list well under SQLite's variable limit).
CHUNK = 500

#: First key of the PostgreSQL advisory locks taken per person while their rows are rewritten.
_LOCK_CLASS = zlib.crc32(b"courses.skill_holdings") & 0x7FFFFFFF


def _t(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _evidence_sql(where_staff: str) -> str:
    """One row per piece of evidence: (person, skill, level, completed on, badge issued, badge expires).

    ``where_staff`` is a condition on the person's id, written with ``{col}`` for the column
    (e.g. ``"{col} IN (%s, %s)"``), or ``""`` for everyone. An award counts while its status is
    issued (a revoked award has status revoked), as in the matrix's evidence query.
    """
    enrolment, course_skill, award = _t(Enrolment), _t(CourseSkill), _t(Award)
    course, programme = _t(Course), _t(Programme)
    programme_courses = _t(Programme.courses.through)

    def staff(col: str) -> str:
        return f" AND {where_staff.format(col=col)}" if where_staff else ""

    return f"""
        SELECT en.staff_id AS p, cs.skill_id AS s, cs.level AS lv,
               en.completed_on AS done, NULL AS since, NULL AS until
          FROM {enrolment} en JOIN {course_skill} cs ON cs.course_id = en.course_id
         WHERE en.state = '{EnrolmentState.COMPLETED}'{staff("en.staff_id")}
        UNION ALL
        SELECT a.recipient_id, cs.skill_id, cs.level, NULL, a.issued_at, a.expires_at
          FROM {award} a
          JOIN {course} c ON c.badge_class_id = a.badge_class_id
          JOIN {course_skill} cs ON cs.course_id = c.id
         WHERE a.status = '{Award.Status.ISSUED}' AND a.issued_at IS NOT NULL{staff("a.recipient_id")}
        UNION ALL
        SELECT a.recipient_id, cs.skill_id, cs.level, NULL, a.issued_at, a.expires_at
          FROM {award} a
          JOIN {programme} pr ON pr.badge_class_id = a.badge_class_id
          JOIN {programme_courses} pc ON pc.programme_id = pr.id
          JOIN {course_skill} cs ON cs.course_id = pc.course_id
         WHERE a.status = '{Award.Status.ISSUED}' AND a.issued_at IS NOT NULL{staff("a.recipient_id")}
    """  # noqa: S608 - table names from the models, values bound as parameters


def _insert_sql(where_staff: str) -> str:
    """INSERT … SELECT of the holdings of the people matching ``where_staff`` (see above).

    Each piece of evidence at level L gives a row for every level 1…L (joined with a tiny
    table of the levels), then one row per (person, skill, level): the first completion, the
    first badge, and the latest expiry, or NULL when one of the badges never expires.
    """
    levels = _levels_sql()
    return f"""
        INSERT INTO {_t(SkillHolding)} (staff_id, skill_id, level, completed_on, badge_since, badge_until)
        SELECT e.p, e.s, lv.n, MIN(e.done), MIN(e.since),
               CASE WHEN MAX(CASE WHEN e.since IS NOT NULL AND e.until IS NULL THEN 1 ELSE 0 END) = 1
                    THEN NULL ELSE MAX(e.until) END
          FROM ({_evidence_sql(where_staff)}) e
          JOIN ({levels}) lv ON lv.n <= e.lv
         GROUP BY e.p, e.s, lv.n
    """  # noqa: S608 - table names from the models, values bound as parameters


def _levels_sql() -> str:
    return " UNION ALL ".join(f"SELECT {int(n)} AS n" for n in SkillLevel.values)


def _spans_insert_sql(where_staff: str) -> str:
    """INSERT … SELECT of the ``SkillBadgeSpan`` rows of the people matching ``where_staff``.

    Every issued award, and every revoked one with its revocation time, giving a skill (through
    a course's or a programme's badge) is the interval (issued_at, end], ``end`` the earlier of
    its expiry and its revocation (NULL: open); empty ones (ended before issue) are left out.
    Each gives the levels 1…L of its course, then the intervals of one (person, skill, level)
    are merged in issue order (gaps and islands): an interval starts a new span when it starts
    after every interval issued strictly earlier has ended (intervals issued at the same moment
    always share a span, so the order among them does not matter); a span runs from its first
    start to its latest end. Window frames in ``GROUPS`` (PostgreSQL 11+, SQLite 3.28+). Each
    span gets the person's first completion for the skill and level from ``SkillHolding``, so
    that table's rows of these people must be written first.
    """
    award, course, course_skill = _t(Award), _t(Course), _t(CourseSkill)
    programme, programme_courses = _t(Programme), _t(Programme.courses.through)
    issued, revoked = Award.Status.ISSUED, Award.Status.REVOKED

    def staff(col: str) -> str:
        return f" AND {where_staff.format(col=col)}" if where_staff else ""

    # The end of an award's validity: its expiry, or its revocation when that came first.
    end = (
        f"CASE WHEN a.status = '{revoked}' AND (a.expires_at IS NULL OR a.revoked_at < a.expires_at) "
        "THEN a.revoked_at ELSE a.expires_at END"
    )
    awards = f"""
        SELECT a.recipient_id AS p, a.badge_class_id AS b, a.issued_at AS since, {end} AS until
          FROM {award} a
         WHERE a.issued_at IS NOT NULL
           AND (a.status = '{issued}' OR (a.status = '{revoked}' AND a.revoked_at IS NOT NULL)){staff("a.recipient_id")}
    """  # noqa: S608 - table names and statuses from the models
    evidence = f"""
        SELECT aw.p, cs.skill_id AS s, cs.level AS lv, aw.since, aw.until
          FROM ({awards}) aw
          JOIN {course} c ON c.badge_class_id = aw.b
          JOIN {course_skill} cs ON cs.course_id = c.id
        UNION ALL
        SELECT aw.p, cs.skill_id, cs.level, aw.since, aw.until
          FROM ({awards}) aw
          JOIN {programme} pr ON pr.badge_class_id = aw.b
          JOIN {programme_courses} pc ON pc.programme_id = pr.id
          JOIN {course_skill} cs ON cs.course_id = pc.course_id
    """  # noqa: S608
    window = "PARTITION BY e.p, e.s, lv.n ORDER BY e.since GROUPS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING"
    marked = f"""
        SELECT e.p, e.s, lv.n, e.since, e.until,
               CASE WHEN COUNT(*) OVER w = 0 THEN 1
                    WHEN COUNT(*) OVER w > COUNT(e.until) OVER w THEN 0
                    WHEN e.since > MAX(e.until) OVER w THEN 1 ELSE 0 END AS starts
          FROM ({evidence}) e
          JOIN ({_levels_sql()}) lv ON lv.n <= e.lv
         WHERE e.until IS NULL OR e.until > e.since
        WINDOW w AS ({window})
    """  # noqa: S608
    numbered = f"""
        SELECT m.p, m.s, m.n, m.since, m.until,
               SUM(m.starts) OVER (PARTITION BY m.p, m.s, m.n ORDER BY m.since
                                   RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS island
          FROM ({marked}) m
    """  # noqa: S608
    merged = f"""
        SELECT i.p, i.s, i.n, MIN(i.since) AS since,
               CASE WHEN COUNT(i.until) < COUNT(*) THEN NULL ELSE MAX(i.until) END AS until
          FROM ({numbered}) i
         GROUP BY i.p, i.s, i.n, i.island
    """  # noqa: S608
    return f"""
        INSERT INTO {_t(SkillBadgeSpan)} (staff_id, skill_id, level, valid_from, valid_until, completed_on)
        SELECT g.p, g.s, g.n, g.since, g.until, h.completed_on
          FROM ({merged}) g
          LEFT JOIN {_t(SkillHolding)} h ON h.staff_id = g.p AND h.skill_id = g.s AND h.level = g.n
    """  # noqa: S608 - table names from the models, values bound as parameters


def _lock_people(cursor: Any, ids: list[int]) -> None:
    """PostgreSQL: one transaction-scoped advisory lock per person, in id order.

    Two transactions refreshing the same person (a completion and a badge issued for them at
    the same moment) would otherwise each compute from a snapshot without the other's change,
    or collide on the unique constraint. The second one waits here until the first commits;
    its statements then see the first one's rows. Taken in id order, so two refreshes of
    overlapping sets wait rather than deadlock. SQLite has one writer at a time anyway.
    """
    if connection.vendor != "postgresql" or not ids:
        return
    cursor.execute(
        "SELECT pg_advisory_xact_lock(%s, t.id) FROM unnest(%s::int[]) AS t(id)",
        [_LOCK_CLASS, ids],
    )


def skill_holdings_refresh(*, staff_ids: Iterable[int]) -> None:
    """Recompute the holdings of ``staff_ids`` from their completions and awards.

    Set-based: per 500 people, a lock (PostgreSQL), one DELETE and one INSERT … SELECT,
    whatever their number of completions and badges. Runs in the caller's transaction (or
    its own when there is none) and is idempotent: calling it twice, or for people whose
    evidence did not change, leaves the same rows.
    """
    ids = sorted({int(pk) for pk in staff_ids})
    if not ids:
        return
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            _lock_people(cursor, chunk)
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM {_t(SkillHolding)} WHERE staff_id IN ({marks})", chunk)  # noqa: S608
            cursor.execute(f"DELETE FROM {_t(SkillBadgeSpan)} WHERE staff_id IN ({marks})", chunk)  # noqa: S608
            where = "{col} IN (" + marks + ")"
            cursor.execute(_insert_sql(where), chunk * 3)
            cursor.execute(_spans_insert_sql(where), chunk * 2)
    # Their learning per fiscal year (completions, badges, the year they first held a skill).
    learning_years_refresh(staff_ids=ids)


def _people_with_evidence_through(course_ids: list[int], badge_class_ids: list[int]) -> set[int]:
    """Everyone who completed one of ``course_ids`` or holds (or held) an award of one of
    ``badge_class_ids``: the people whose holdings a catalogue change can alter."""
    people = set(
        Enrolment.objects.filter(course_id__in=course_ids, state=EnrolmentState.COMPLETED).values_list(
            "staff_id", flat=True
        )
    )
    if badge_class_ids:
        people |= set(Award.objects.filter(badge_class_id__in=badge_class_ids).values_list("recipient_id", flat=True))
    return people


def skill_holdings_refresh_for_courses(*, course_ids: Iterable[int], old_badge_class_ids: Iterable[int] = ()) -> None:
    """A course's skills or badge changed: refresh the people with evidence through it.

    That is whoever completed it, or holds its badge or the badge of a programme that includes
    it; ``old_badge_class_ids``: a badge the course no longer has (its holders lose the skill).
    """
    course_ids = list(course_ids)
    badges = set(old_badge_class_ids)
    badges |= set(
        Course.objects.filter(pk__in=course_ids, badge_class__isnull=False).values_list("badge_class_id", flat=True)
    )
    badges |= set(
        Programme.objects.filter(courses__in=course_ids, badge_class__isnull=False).values_list(
            "badge_class_id", flat=True
        )
    )
    skill_holdings_refresh(staff_ids=_people_with_evidence_through(course_ids, sorted(badges)))


def skill_holdings_refresh_for_programmes(
    *, programme_ids: Iterable[int], old_badge_class_ids: Iterable[int] = ()
) -> None:
    """A programme's courses or badge changed: refresh the holders of its badge (old and new)."""
    badges = set(old_badge_class_ids)
    badges |= set(
        Programme.objects.filter(pk__in=list(programme_ids), badge_class__isnull=False).values_list(
            "badge_class_id", flat=True
        )
    )
    skill_holdings_refresh(staff_ids=_people_with_evidence_through([], sorted(badges)))


def skill_holdings_rebuild() -> int:
    """Recompute the whole table from the evidence (one DELETE and one INSERT … SELECT); returns
    the number of rows.

    On PostgreSQL the table is locked against other writers for the duration (readers go on
    reading the old rows until the commit): a completion that refreshes someone meanwhile
    waits, then rewrites that person's rows from the committed evidence.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {_t(SkillHolding)}, {_t(SkillBadgeSpan)} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {_t(SkillHolding)}")  # noqa: S608
        cursor.execute(f"DELETE FROM {_t(SkillBadgeSpan)}")  # noqa: S608
        cursor.execute(_insert_sql(""))
        rows = cursor.rowcount
        cursor.execute(_spans_insert_sql(""))
        return rows


# --- What each badge was issued for (AwardUse) ------------------------------------------------


def _award_uses_insert_sql(where_recipient: str) -> str:
    """INSERT … SELECT of the ``AwardUse`` rows of the awards ever issued (issued or revoked now)
    to the people matching ``where_recipient`` (``"{col} IN (…)"`` or ``""`` for everyone).

    The enrolment is found by the number in ``source_key`` (cast only after the prefix was
    checked), by its primary key.
    """
    award, enrolment = _t(Award), _t(Enrolment)
    where = f" AND {where_recipient.format(col='a.recipient_id')}" if where_recipient else ""
    K = AwardUse.Kind
    return f"""
        INSERT INTO {_t(AwardUse)} (award_id, recipient_id, issued_at, kind)
        SELECT a.id, a.recipient_id, a.issued_at,
               CASE WHEN SUBSTR(a.source_key, 1, 10) = 'programme:' THEN '{K.PROGRAMME}'
                    WHEN e.use_type IN ('{K.SELF_DEVELOPMENT}', '{K.PROMOTION}') THEN e.use_type
                    ELSE '{K.OTHER}' END
          FROM {award} a
          LEFT JOIN {enrolment} e
            ON e.id = CASE WHEN SUBSTR(a.source_key, 1, 10) = 'enrolment:'
                           THEN CAST(SUBSTR(a.source_key, 11) AS BIGINT) END
         WHERE a.status IN ('{Award.Status.ISSUED}', '{Award.Status.REVOKED}')
           AND a.issued_at IS NOT NULL{where}
    """  # noqa: S608 - table names from the models, values bound as parameters


def award_uses_refresh(*, recipient_ids: Iterable[int]) -> None:
    """Recompute the ``AwardUse`` rows of these people's badges (per 500: a lock, a DELETE and an
    INSERT … SELECT), in the caller's transaction."""
    ids = sorted({int(pk) for pk in recipient_ids})
    if not ids:
        return
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            _lock_people(cursor, chunk)
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM {_t(AwardUse)} WHERE recipient_id IN ({marks})", chunk)  # noqa: S608
            cursor.execute(_award_uses_insert_sql("{col} IN (" + marks + ")"), chunk)


def award_uses_rebuild() -> int:
    """Recompute every ``AwardUse`` row (as :func:`skill_holdings_rebuild`); returns the count."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {_t(AwardUse)} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {_t(AwardUse)}")  # noqa: S608
        cursor.execute(_award_uses_insert_sql(""))
        return cursor.rowcount


def on_awards_changed(sender: Any, *, recipient_ids: Iterable[int], **kwargs: Any) -> None:
    """``badges.signals.awards_changed`` (connected in ``CoursesConfig.ready``): badges were issued,
    revoked or re-issued, inside that transaction; their holders' skills may have changed."""
    recipient_ids = list(recipient_ids)
    award_uses_refresh(recipient_ids=recipient_ids)
    skill_holdings_refresh(staff_ids=recipient_ids)  # then their LearningYear rows, badges included
