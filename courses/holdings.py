"""Two tables derived from completions and awards, kept up to date by the services that change
them, so that HR insight reads narrow tables instead of joining everything (docs/benchmarks.md,
"HR insight"):

* ``SkillHolding``: who holds which skill at which level (the skill matrix), instead of
  deduplicating every completion and badge in the city;
* ``AwardUse``: what each issued badge was issued for (the dashboard's badges by use type),
  instead of joining every award to its enrolment through ``source_key``.

What "holds" means is the module docstring of ``courses.insight``; this module computes exactly
that, per person, with a few set-based statements:

* :func:`skill_holdings_refresh` recomputes the rows of some people from the source tables
  (completed enrolments, issued awards). Callers: ``enrolment_complete`` (and the bulk
  completion path), the receiver of ``badges.signals.awards_changed`` (issued, revoked,
  re-issued), and the catalogue edits below. It runs inside the caller's transaction, so the
  holdings commit or roll back with the change that caused them.
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

from .models import AwardUse, Course, CourseSkill, Enrolment, EnrolmentState, Programme, SkillHolding, SkillLevel

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
    levels = " UNION ALL ".join(f"SELECT {int(n)} AS n" for n in SkillLevel.values)
    return f"""
        INSERT INTO {_t(SkillHolding)} (staff_id, skill_id, level, completed_on, badge_since, badge_until)
        SELECT e.p, e.s, lv.n, MIN(e.done), MIN(e.since),
               CASE WHEN MAX(CASE WHEN e.since IS NOT NULL AND e.until IS NULL THEN 1 ELSE 0 END) = 1
                    THEN NULL ELSE MAX(e.until) END
          FROM ({_evidence_sql(where_staff)}) e
          JOIN ({levels}) lv ON lv.n <= e.lv
         GROUP BY e.p, e.s, lv.n
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
            where = "{col} IN (" + marks + ")"
            cursor.execute(_insert_sql(where), chunk * 3)


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
            cursor.execute(f"LOCK TABLE {_t(SkillHolding)} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {_t(SkillHolding)}")  # noqa: S608
        cursor.execute(_insert_sql(""))
        return cursor.rowcount


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
    skill_holdings_refresh(staff_ids=recipient_ids)
    award_uses_refresh(recipient_ids=recipient_ids)
