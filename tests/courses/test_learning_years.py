"""The human-capital report's table (``LearningYear``, courses/learning.py): every service that
changes a seat, a completion, a badge or a confirmed external badge keeps it equal to a fresh
computation in the same transaction; a change written around the services is caught by the
check; the rebuild gives the same rows; and the report reads it in three queries."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from badges import issuing
from badges.models import Award
from badges.services import award_revoke, external_badge_confirm, external_badge_reject
from courses import hcreport
from courses.insight import DepartmentIndex, Scope, fiscal_year_of
from courses.learning import learning_years_drift, learning_years_rebuild
from courses.models import Enrolment, LearningYear
from courses.services import (
    course_update,
    enrolment_approve,
    enrolment_complete,
    enrolment_mark_not_completed,
    enrolment_recommend,
    enrolment_reject,
    enrolment_request,
    enrolment_withdraw,
    enrolments_bulk_complete,
)
from tests.courses.promotion_helpers import external_badge
from tests.factories import make_badge_class, make_course, make_skill, make_started_course

pytestmark = pytest.mark.django_db

FY = fiscal_year_of(timezone.localdate())


def row(person: Any, fy: int = FY) -> dict[str, Any]:
    """The stored row of ``person`` in ``fy`` ({} when there is none), after checking that the
    whole table equals a fresh computation."""
    assert learning_years_drift() == []
    found = LearningYear.objects.filter(staff=person, fiscal_year=fy).values().first()
    return found or {}


def _request(person: Any, course: Any, use_type: str = "self_development") -> Enrolment:
    return enrolment_request(staff=person, course=course, use_type=use_type, reason="業務に必要です")


def issue_all() -> None:
    for award_id in Award.objects.filter(status="pending").values_list("pk", flat=True):
        assert issuing.award_ensure_issued(award_id=award_id) == "issued"


def test_a_seat_a_completion_a_badge_and_its_revocation_are_kept_by_the_services(alice, bob, carol, signing_key):  # type: ignore[no-untyped-def]
    law = make_skill(code="LAW")
    course = make_started_course(
        hours=Decimal("7.5"),
        cost=30000,
        city_subsidy=20000,
        skills={law: 1},
        badge_class=make_badge_class(),
        for_promotion=True,
    )
    enrolment = _request(alice, course, use_type="promotion")
    assert row(alice) == {}  # a request holds no seat
    enrolment_recommend(enrolment=enrolment, actor=bob)
    enrolment_approve(enrolment=enrolment, actor=carol)
    assert (row(alice)["seats"], row(alice)["subsidy"], row(alice)["staff_share"]) == (1, 20000, 10000)
    enrolment_complete(enrolment=enrolment, actor=carol)
    r = row(alice)
    assert (r["completions"], r["promotion_completions"], r["hours"], r["first_skill"]) == (1, 1, Decimal("7.5"), True)
    issue_all()  # awards_changed, in the issuing transaction
    assert row(alice)["badges"] == 1
    award_revoke(award=Award.objects.get(), reason="成績の訂正", by=carol)
    assert row(alice)["badges"] == 1  # issued in the year: a revoked badge was issued


def test_not_completing_keeps_the_seat_and_a_late_completion_counts(alice, bob, carol):  # type: ignore[no-untyped-def]
    enrolment = _request(alice, make_started_course(hours=4))
    enrolment_recommend(enrolment=enrolment, actor=bob)
    enrolment_approve(enrolment=enrolment, actor=carol)
    enrolment_mark_not_completed(enrolment=enrolment, actor=carol)
    assert (row(alice)["seats"], row(alice)["completions"]) == (1, 0)
    enrolment_complete(enrolment=enrolment, actor=carol)  # a late grade report
    assert (row(alice)["seats"], row(alice)["completions"], row(alice)["hours"]) == (1, 1, Decimal(4))


def test_giving_a_seat_up_or_being_refused_one_is_kept(alice, bob, carol):  # type: ignore[no-untyped-def]
    course = make_course(cost=10000, city_subsidy=10000)
    enrolment = _request(alice, course)
    enrolment_recommend(enrolment=enrolment, actor=bob)
    enrolment_approve(enrolment=enrolment, actor=carol)
    assert row(alice)["seats"] == 1
    enrolment_withdraw(enrolment=enrolment, actor=alice)
    assert row(alice) == {}
    other = _request(alice, make_course())
    enrolment_reject(enrolment=other, actor=carol, reason="定員のため")
    assert row(alice) == {}


def test_completions_in_bulk_are_kept(alice, dave, carol):  # type: ignore[no-untyped-def]
    course = make_started_course(hours=3)
    enrolments = [_request(p, course) for p in (alice, dave)]
    Enrolment.objects.filter(pk__in=[e.pk for e in enrolments]).update(state="approved")  # around the services
    learning_years_rebuild()
    enrolments_bulk_complete(enrolments=Enrolment.objects.filter(pk__in=[e.pk for e in enrolments]), actor=carol)
    assert row(alice)["completions"] == row(dave)["completions"] == 1


def test_moving_a_course_to_last_year_moves_its_seats(alice, bob, carol):  # type: ignore[no-untyped-def]
    course = make_course(cost=10000, city_subsidy=4000)
    enrolment = _request(alice, course)
    enrolment_recommend(enrolment=enrolment, actor=bob)
    enrolment_approve(enrolment=enrolment, actor=carol)
    assert row(alice)["seats"] == 1
    course.starts_on = dt.date(FY - 1, 10, 1)
    course.save()
    course_update(course=course, changed=["starts_on"])
    assert row(alice) == {}
    assert row(alice, FY - 1)["subsidy"] == 4000


def test_hr_confirming_or_rejecting_an_external_badge_is_kept(alice, carol):  # type: ignore[no-untyped-def]
    confirmed = external_badge(alice, issued=timezone.localdate(), status="pending", hours=Decimal("2.0"))
    external_badge_confirm(badge=confirmed, by=carol, exception_reason="研修所の確認済み")
    assert (row(alice)["external_confirmed"], row(alice)["hours"]) == (1, Decimal("2.0"))
    rejected = external_badge(alice, issued=timezone.localdate(), status="pending", hours=Decimal("5.0"))
    external_badge_reject(badge=rejected, by=carol, note="対象外の研修です")
    assert (row(alice)["external_confirmed"], row(alice)["hours"]) == (1, Decimal("2.0"))


def test_a_change_written_around_the_services_is_caught_and_the_rebuild_mends_it(alice, bob, carol):  # type: ignore[no-untyped-def]
    enrolment = _request(alice, make_course())
    enrolment_recommend(enrolment=enrolment, actor=bob)
    enrolment_approve(enrolment=enrolment, actor=carol)
    Enrolment.objects.filter(pk=enrolment.pk).update(state="rejected")  # as a forgetful service would
    drift = learning_years_drift()
    assert len(drift) == 1 and f"staff {alice.pk}, FY{FY}" in drift[0]
    out = io.StringIO()
    call_command("learning_years_rebuild", stdout=out)
    assert "person-years" in out.getvalue()
    assert learning_years_drift() == []
    assert not LearningYear.objects.filter(staff=alice).exists()


def test_the_report_reads_the_table_in_three_queries(alice, bob, carol, django_assert_num_queries):  # type: ignore[no-untyped-def]
    enrolment = _request(alice, make_course(cost=10000, city_subsidy=10000))
    enrolment_recommend(enrolment=enrolment, actor=bob)
    enrolment_approve(enrolment=enrolment, actor=carol)
    departments = DepartmentIndex.load()
    with django_assert_num_queries(3):  # headcount, the two years' sums, skill coverage
        report = hcreport.report(scope=Scope(is_hr=True), departments=departments, fiscal_year=FY)
    assert report.city.counts[FY].participants == 1 and report.city.counts[FY].subsidy == 10000
