"""The skill holdings and badge spans tables: kept by the services that change the evidence,
equal to a full rebuild, and giving the skill matrix exactly what the evidence query gives, for
today, later days and earlier days."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from badges import issuing
from badges.models import Award
from badges.services import award_reissue, award_revoke
from courses import insight
from courses.holdings import (
    award_uses_rebuild,
    skill_holdings_rebuild,
    skill_holdings_refresh,
    skill_holdings_refresh_for_courses,
    skill_holdings_refresh_for_programmes,
)
from courses.models import AwardUse, SkillBadgeSpan, SkillHolding
from courses.services import course_set_skills, enrolment_complete
from tests.factories import (
    make_award,
    make_badge_class,
    make_department,
    make_enrolment,
    make_programme,
    make_skill,
    make_staff,
    make_started_course,
)

pytestmark = pytest.mark.django_db


def holdings(person: Any = None) -> set[tuple[Any, ...]]:
    rows = SkillHolding.objects.all() if person is None else SkillHolding.objects.filter(staff=person)
    return set(rows.values_list("staff_id", "skill__code", "level", "completed_on", "badge_since", "badge_until"))


def spans(person: Any = None) -> set[tuple[Any, ...]]:
    rows = SkillBadgeSpan.objects.all() if person is None else SkillBadgeSpan.objects.filter(staff=person)
    return set(rows.values_list("staff_id", "skill__code", "level", "valid_from", "valid_until", "completed_on"))


def levels(person: Any) -> dict[str, int]:
    """Best level per skill code held by ``person``, whatever the evidence."""
    best: dict[str, int] = {}
    for code, level in SkillHolding.objects.filter(staff=person).values_list("skill__code", "level"):
        best[code] = max(level, best.get(code, 0))
    return best


def issue_all(signing_key: Any) -> None:
    """What the worker does for every pending award."""
    for award_id in Award.objects.filter(status="pending").values_list("pk", flat=True):
        assert issuing.award_ensure_issued(award_id=award_id) == "issued"


def award_uses() -> set[tuple[Any, ...]]:
    return set(AwardUse.objects.values_list("award_id", "recipient_id", "issued_at", "kind"))


# --- Kept by the services ----------------------------------------------------------------


def test_completing_a_course_gives_its_skills_at_every_level_up_to_the_courses(alice, carol):
    data, law = make_skill(code="DATA"), make_skill(code="LAW")
    course = make_started_course(skills={data: 3, law: 1})
    enrolment = make_enrolment(staff=alice, course=course, state="approved")
    enrolment_complete(enrolment=enrolment, actor=carol, completed_on=timezone.localdate() - dt.timedelta(days=3))
    rows = SkillHolding.objects.filter(staff=alice).order_by("skill__code", "level")
    assert [(h.skill.code, h.level) for h in rows] == [("DATA", 1), ("DATA", 2), ("DATA", 3), ("LAW", 1)]
    assert {h.completed_on for h in rows} == {timezone.localdate() - dt.timedelta(days=3)}
    assert {h.badge_since for h in rows} == {None}  # the badge is still pending: not evidence yet


def test_issuing_a_badge_records_when_it_was_issued_and_until_when_it_is_valid(alice, carol, signing_key):
    data = make_skill(code="DATA")
    course = make_started_course(skills={data: 2}, badge_class=make_badge_class(validity_days=365))
    enrolment_complete(enrolment=make_enrolment(staff=alice, course=course, state="approved"), actor=carol)
    issue_all(signing_key)  # through awards_changed, inside the issuing transaction
    award = Award.objects.get()
    rows = SkillHolding.objects.filter(staff=alice)
    assert {(h.level, h.badge_since, h.badge_until) for h in rows} == {
        (1, award.issued_at, award.expires_at),
        (2, award.issued_at, award.expires_at),
    }
    assert award.expires_at is not None


def test_revoking_the_badge_removes_it_but_the_completion_still_counts(alice, carol, signing_key):
    data = make_skill(code="DATA")
    course = make_started_course(skills={data: 2}, badge_class=make_badge_class())
    enrolment_complete(enrolment=make_enrolment(staff=alice, course=course, state="approved"), actor=carol)
    issue_all(signing_key)
    assert SkillHolding.objects.filter(staff=alice, badge_since__isnull=False).count() == 2
    award = Award.objects.get()
    done = timezone.localdate()
    assert spans(alice) == {(alice.pk, "DATA", n, award.issued_at, None, done) for n in (1, 2)}
    award_revoke(award=award, reason="成績の訂正", by=carol)
    assert levels(alice) == {"DATA": 2}
    assert not SkillHolding.objects.filter(staff=alice, badge_since__isnull=False).exists()
    award.refresh_from_db()  # a past day still sees the badge, up to its revocation
    assert spans(alice) == {(alice.pk, "DATA", n, award.issued_at, award.revoked_at, done) for n in (1, 2)}


def test_a_badge_alone_gives_the_skill_and_revoking_it_takes_it_away(alice, dave, carol, signing_key):
    data = make_skill(code="DATA")
    course = make_started_course(skills={data: 1}, badge_class=make_badge_class())
    award = make_award(recipient=alice, badge_class=course.badge_class)  # e.g. from an earlier system
    skill_holdings_refresh(staff_ids=[alice.pk])
    assert levels(alice) == {"DATA": 1}
    award_revoke(award=award, reason="誤発行", by=carol)
    assert levels(alice) == {}
    assert levels(dave) == {}


def test_a_reissued_badge_counts_again_once_the_new_one_is_issued(alice, carol, signing_key):
    data = make_skill(code="DATA")
    course = make_started_course(skills={data: 1}, badge_class=make_badge_class())
    enrolment_complete(enrolment=make_enrolment(staff=alice, course=course, state="approved"), actor=carol)
    issue_all(signing_key)
    award_reissue(award=Award.objects.get(), reason="氏名の訂正", by=carol)
    assert not SkillHolding.objects.filter(staff=alice, badge_since__isnull=False).exists()
    issue_all(signing_key)
    new = Award.objects.get(status="issued")
    assert set(SkillHolding.objects.filter(staff=alice).values_list("badge_since", flat=True)) == {new.issued_at}


def test_a_programme_badge_gives_the_skills_of_all_its_courses(alice, carol, signing_key):
    data, law = make_skill(code="DATA"), make_skill(code="LAW")
    first, second = make_started_course(skills={data: 1}), make_started_course(skills={law: 2})
    make_programme(courses=[first, second], badge_class=make_badge_class())
    for course in (first, second):
        enrolment_complete(enrolment=make_enrolment(staff=alice, course=course, state="approved"), actor=carol)
    issue_all(signing_key)
    award = Award.objects.get()
    assert award.source_key.startswith("programme:")
    assert set(SkillHolding.objects.filter(staff=alice).values_list("skill__code", "level", "badge_since")) == {
        ("DATA", 1, award.issued_at),
        ("LAW", 1, award.issued_at),
        ("LAW", 2, award.issued_at),
    }


def test_an_issued_badge_records_the_use_type_of_the_request_it_was_issued_for(alice, dave, carol, signing_key):
    law = make_skill(code="LAW")
    first, second = (
        make_started_course(skills={law: 1}, badge_class=make_badge_class()),
        make_started_course(skills={law: 2}),
    )
    make_programme(courses=[first, second], badge_class=make_badge_class())
    own = make_enrolment(staff=alice, course=first, state="approved", use_type="promotion")
    enrolment_complete(enrolment=own, actor=carol)
    enrolment_complete(enrolment=make_enrolment(staff=alice, course=second, state="approved"), actor=carol)
    enrolment_complete(enrolment=make_enrolment(staff=dave, course=first, state="approved"), actor=carol)
    assert not AwardUse.objects.exists()  # pending badges were not issued yet
    issue_all(signing_key)
    kinds = {
        (u.recipient_id, u.award.source_key.split(":")[0]): u.kind for u in AwardUse.objects.select_related("award")
    }
    assert kinds == {
        (alice.pk, "enrolment"): "promotion",
        (alice.pk, "programme"): "programme",
        (dave.pk, "enrolment"): "self_development",
    }
    # A revoked badge was still issued: it stays counted.
    award_revoke(award=Award.objects.get(recipient=dave), reason="訂正", by=carol)
    assert AwardUse.objects.filter(recipient=dave, kind="self_development").count() == 1


def test_expiry_needs_no_write_the_matrix_compares_the_date(alice, carol):
    data = make_skill(code="DATA")
    course = make_started_course(skills={data: 1}, badge_class=make_badge_class())
    now = timezone.now()
    make_award(
        recipient=alice,
        badge_class=course.badge_class,
        issued_at=now - dt.timedelta(days=10),
        expires_at=now + dt.timedelta(days=5),
    )
    skill_holdings_refresh(staff_ids=[alice.pk])
    scope = insight.insight_scope(carol)
    assert scope is not None

    def valid_holders(as_of: dt.date) -> int:
        matrix = insight.skill_matrix(
            scope=scope, departments=insight.DepartmentIndex.load(), as_of=as_of, valid_only=True
        )
        return sum(n for row in matrix.rows for n in row.counts)

    today = timezone.localdate()
    before = holdings()
    assert valid_holders(today) == 1
    assert valid_holders(today + dt.timedelta(days=3)) == 1
    assert valid_holders(today + dt.timedelta(days=6)) == 0  # expired by then; nothing was written
    assert holdings() == before


def test_changing_a_courses_skills_moves_the_holdings_of_everyone_who_completed_it(alice, dave, carol):
    data, law = make_skill(code="DATA"), make_skill(code="LAW")
    course = make_started_course(skills={data: 2})
    for person in (alice, dave):
        enrolment_complete(enrolment=make_enrolment(staff=person, course=course, state="approved"), actor=carol)
    course_set_skills(course=course, levels={data: 1, law: 3})
    skill_holdings_refresh_for_courses(course_ids=[course.pk])
    assert levels(alice) == levels(dave) == {"DATA": 1, "LAW": 3}


def test_a_badge_moved_off_a_course_no_longer_gives_its_skill(alice, carol):
    data = make_skill(code="DATA")
    badge = make_badge_class()
    course = make_started_course(skills={data: 1}, badge_class=badge)
    make_award(recipient=alice, badge_class=badge)
    skill_holdings_refresh(staff_ids=[alice.pk])
    assert levels(alice) == {"DATA": 1}
    course.badge_class = None
    course.save()
    skill_holdings_refresh_for_courses(course_ids=[course.pk], old_badge_class_ids=[badge.pk])
    assert levels(alice) == {}


def test_a_course_added_to_a_programme_gives_its_badge_holders_the_new_skill(alice):
    data, law = make_skill(code="DATA"), make_skill(code="LAW")
    programme = make_programme(courses=[make_started_course(skills={data: 1})], badge_class=make_badge_class())
    make_award(recipient=alice, badge_class=programme.badge_class)
    skill_holdings_refresh(staff_ids=[alice.pk])
    programme.courses.add(make_started_course(skills={law: 2}))
    skill_holdings_refresh_for_programmes(programme_ids=[programme.pk])
    assert levels(alice) == {"DATA": 1, "LAW": 2}


def test_the_admin_refreshes_holdings_when_a_courses_skills_are_edited_inline(client, alice, carol):
    data, law = make_skill(code="DATA"), make_skill(code="LAW")
    course = make_started_course(skills={data: 1})
    enrolment_complete(enrolment=make_enrolment(staff=alice, course=course, state="approved"), actor=carol)
    client.force_login(carol)

    url = reverse("admin:courses_course_change", args=[course.pk])
    form = client.get(url).context["adminform"].form
    data_row = course.course_skills.get()
    post = {
        name: value
        for name, value in form.initial.items()
        if value is not None and not isinstance(value, (list, dt.date, dt.datetime))
    }
    post.update(
        {
            "provider": course.provider_id,
            "starts_on": course.starts_on.isoformat(),
            "ends_on": course.ends_on.isoformat(),
            "application_opens_on": course.application_opens_on.isoformat(),
            "application_closes_on": course.application_closes_on.isoformat(),
            "course_skills-TOTAL_FORMS": "2",
            "course_skills-INITIAL_FORMS": "1",
            "course_skills-0-id": data_row.pk,
            "course_skills-0-course": course.pk,
            "course_skills-0-skill": data.pk,
            "course_skills-0-level": "2",
            "course_skills-1-course": course.pk,
            "course_skills-1-skill": law.pk,
            "course_skills-1-level": "1",
        }
    )
    for flag in ("is_published", "for_self_development", "for_promotion"):
        if not form.initial.get(flag):
            post.pop(flag, None)
    response = client.post(url, post)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert levels(alice) == {"DATA": 2, "LAW": 1}


# --- Rebuild equals incremental ------------------------------------------------------------


def test_a_full_rebuild_gives_the_rows_the_services_kept(alice, bob, dave, carol, signing_key):
    data, law = make_skill(code="DATA"), make_skill(code="LAW")
    # Under way for two months: the completions below are dated up to 40 days ago.
    began = timezone.localdate() - dt.timedelta(days=60)
    data2 = make_started_course(
        skills={data: 2, law: 1}, badge_class=make_badge_class(validity_days=30), starts_on=began
    )
    data3 = make_started_course(skills={data: 3}, badge_class=make_badge_class(), starts_on=began)
    law2 = make_started_course(skills={law: 2}, starts_on=began)
    make_programme(courses=[data2, law2], badge_class=make_badge_class())
    days_ago = iter(range(40, 0, -3))
    for person, courses in ((alice, [data2, law2]), (bob, [data3]), (dave, [data2, data3, law2])):
        for course in courses:
            enrolment = make_enrolment(staff=person, course=course, state="approved")
            day = timezone.localdate() - dt.timedelta(days=next(days_ago))
            enrolment_complete(enrolment=enrolment, actor=carol, completed_on=day)
    issue_all(signing_key)
    award_revoke(award=Award.objects.filter(recipient=dave).order_by("pk").first(), reason="訂正", by=carol)
    kept, uses, kept_spans = holdings(), award_uses(), spans()
    assert kept and len(uses) == 6  # alice: DATA2, programme; bob: DATA3; dave: DATA2, DATA3, programme
    assert kept_spans
    assert skill_holdings_rebuild() == len(kept)
    assert award_uses_rebuild() == len(uses)
    assert holdings() == kept
    assert award_uses() == uses
    assert spans() == kept_spans


def test_badge_intervals_that_touch_or_overlap_are_one_span_and_a_gap_makes_two(alice, carol):
    data = make_skill(code="DATA")
    course = make_started_course(skills={data: 1}, badge_class=make_badge_class())
    other = make_started_course(skills={data: 2}, badge_class=make_badge_class())
    t = timezone.now() - dt.timedelta(days=500)
    day = dt.timedelta(days=1)
    badge, other_badge = course.badge_class, other.badge_class
    make_award(recipient=alice, badge_class=badge, issued_at=t, expires_at=t + 10 * day)
    make_award(recipient=alice, badge_class=badge, issued_at=t + 10 * day, expires_at=t + 20 * day)  # touches
    make_award(recipient=alice, badge_class=other_badge, issued_at=t + 5 * day, expires_at=t + 8 * day)  # inside
    make_award(recipient=alice, badge_class=badge, issued_at=t + 30 * day, expires_at=t + 40 * day)  # after a gap
    revoked = make_award(recipient=alice, badge_class=other_badge, issued_at=t + 35 * day, expires_at=None)
    Award.objects.filter(pk=revoked.pk).update(status="revoked", revoked_at=t + 50 * day)
    make_award(recipient=alice, badge_class=badge, issued_at=t + 60 * day, expires_at=t + 60 * day)  # empty
    make_award(recipient=alice, badge_class=badge, issued_at=t + 70 * day, status="pending")
    skill_holdings_refresh(staff_ids=[alice.pk])
    assert spans(alice) == {
        (alice.pk, "DATA", 1, t, t + 20 * day, None),
        (alice.pk, "DATA", 1, t + 30 * day, t + 50 * day, None),  # the revoked badge, until its revocation
        (alice.pk, "DATA", 2, t + 5 * day, t + 8 * day, None),
        (alice.pk, "DATA", 2, t + 35 * day, t + 50 * day, None),
    }


# --- The matrix from the table equals the matrix from the evidence ---------------------------


@pytest.fixture
def varied_city(alice, bob, dave, department):  # type: ignore[no-untyped-def]
    """Sixty people with random completions and awards of every kind (issued, revoked, pending,
    failed; expired, expiring, never expiring), written directly, then one rebuild."""
    rng = random.Random(20261126)
    welfare = department.parent
    disability = make_department(code="4020", name="障害者福祉課", level="section", parent=welfare)
    unit = make_department(code="402010", name="庶務係", level="unit", parent=disability)
    places = [department, disability, unit, dave.department]
    skills = [make_skill(code=code) for code in ("DATA", "LAW", "DX")]
    courses = []
    for _i in range(8):
        chosen = rng.sample(skills, rng.choice([1, 1, 2]))
        badge = make_badge_class() if rng.random() < 0.7 else None
        courses.append(make_started_course(skills={s: rng.choice([1, 2, 3]) for s in chosen}, badge_class=badge))
    programmes = [
        make_programme(courses=rng.sample(courses, 2), badge_class=make_badge_class()),
        make_programme(courses=rng.sample(courses, 3), badge_class=make_badge_class()),
    ]
    badges = [c.badge_class for c in courses if c.badge_class] + [p.badge_class for p in programmes]
    people = [alice, bob, dave]
    for _i in range(57):
        people.append(
            make_staff(
                department=rng.choice(places),
                grade=rng.choice(["shuji", "shunin", "kakaricho"]),
                is_active=rng.random() < 0.9,
            )
        )
    now, today = timezone.now(), timezone.localdate()
    for person in people:
        for course in rng.sample(courses, rng.randrange(0, 4)):
            state = rng.choice(["completed", "completed", "not_completed", "approved"])
            extra = {"completed_on": today - dt.timedelta(days=rng.randrange(0, 800))} if state == "completed" else {}
            make_enrolment(staff=person, course=course, state=state, **extra)
        for badge in rng.sample(badges, rng.randrange(0, 3)):
            issued = now - dt.timedelta(days=rng.randrange(1, 900), hours=rng.randrange(24))
            expires = rng.choice(
                [None, None, issued + dt.timedelta(days=rng.randrange(1, 1200)), now + dt.timedelta(hours=3)]
            )
            status = rng.choice(["issued", "issued", "issued", "revoked", "pending", "failed"])
            make_award(recipient=person, badge_class=badge, status=status, issued_at=issued, expires_at=expires)
    skill_holdings_rebuild()
    return {"people": people, "places": places}


def _rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(tuple(r) for r in cursor.fetchall())


def test_the_matrix_from_holdings_equals_the_matrix_from_the_evidence(varied_city, carol, bob):
    departments = insight.DepartmentIndex.load()
    hr, head = insight.insight_scope(carol), insight.insight_scope(bob)
    assert hr is not None and head is not None
    today = timezone.localdate()
    days = [today + dt.timedelta(days=n) for n in (0, 1, 400, -1, -30, -200, -400, -700, -1000)]
    compared = nonzero = 0
    for scope in (hr, head):
        for parent in (None, departments.by_code["40"], departments.by_code["4020"]):
            if parent is not None and not scope.covers(parent.path):
                continue
            for level in (1, 2, 3):
                for grade in ("", "shunin"):
                    for valid_only in (False, True):
                        for as_of in days:
                            args = {
                                "scope": scope,
                                "parent": parent,
                                "level": level,
                                "grade": grade,
                                "as_of": as_of,
                                "valid_only": valid_only,
                            }
                            from_table = _rows(*insight.matrix._holder_counts_from_holdings(**args))
                            assert from_table == _rows(*insight.matrix._holder_counts_sql(**args)), args
                            compared += 1
                            nonzero += bool(from_table)
    assert compared > 300 and nonzero > compared // 2


def test_an_earlier_day_is_answered_from_the_tables(varied_city, carol):
    """Badges valid on a past day need each badge's own dates: the badge spans give them."""
    scope = insight.insight_scope(carol)
    assert scope is not None
    departments = insight.DepartmentIndex.load()
    past = timezone.localdate() - dt.timedelta(days=200)
    args = {"scope": scope, "parent": None, "level": 1, "grade": "", "as_of": past, "valid_only": False}
    expected = _rows(*insight.matrix._holder_counts_sql(**args))
    matrix = insight.skill_matrix(scope=scope, departments=departments, as_of=past)
    assert sum(n for row in matrix.rows for n in row.counts) == sum(n for *_k, n in expected) > 0
    SkillBadgeSpan.objects.all().delete()  # the matrix reads the tables, not the evidence
    emptied = insight.skill_matrix(scope=scope, departments=departments, as_of=past)
    assert sum(n for row in emptied.rows for n in row.counts) < sum(n for *_k, n in expected)


# --- Concurrency (PostgreSQL: real locks) ------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_completions_for_one_person_keep_every_skill(alice, carol):
    """Eight completions for one person at the same moment, each in its own transaction and on
    its own course: each refresh waits for the one before (advisory lock per person) and then
    sees its rows, so none is lost and no two inserts collide."""
    import threading

    from django.db import close_old_connections

    shared = make_skill(code="DATA")  # every course gives it: the same rows, written eight times
    enrolments = [
        make_enrolment(
            staff=alice,
            course=make_started_course(skills={shared: 1 + i % 3, make_skill(code=f"S{i}"): 2}),
            state="approved",
        )
        for i in range(8)
    ]
    barrier = threading.Barrier(len(enrolments))
    errors: list[BaseException] = []

    def complete(enrolment: Any) -> None:
        try:
            barrier.wait(timeout=10)
            enrolment_complete(enrolment=enrolment, actor=carol)
        except BaseException as exc:  # pragma: no cover - would be a bug
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=complete, args=(e,)) for e in enrolments]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    close_old_connections()

    assert errors == []
    assert levels(alice) == {"DATA": 3, **{f"S{i}": 2 for i in range(8)}}
    kept = holdings()
    skill_holdings_rebuild()
    assert holdings() == kept
