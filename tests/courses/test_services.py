from __future__ import annotations

import datetime as dt

import pytest

from badges.models import Award
from courses.models import Enrolment, EnrolmentEvent
from courses.services import (
    EnrolmentError,
    EnrolmentPermissionError,
    course_align_badge,
    enrolment_approve,
    enrolment_complete,
    enrolment_decline,
    enrolment_mark_not_completed,
    enrolment_recommend,
    enrolment_reject,
    enrolment_request,
    enrolment_withdraw,
    enrolments_bulk_approve,
    waitlist_promote,
)
from tests.factories import (
    make_badge_class,
    make_course,
    make_enrolment,
    make_programme,
    make_skill,
    make_staff,
    make_started_course,
    today,
)

pytestmark = pytest.mark.django_db


def _request(staff, course, **kwargs):  # type: ignore[no-untyped-def]
    kwargs.setdefault("use_type", "self_development")
    kwargs.setdefault("reason", "窓口業務の法的根拠を理解したい")
    return enrolment_request(staff=staff, course=course, **kwargs)


def _states(enrolment: Enrolment) -> list[tuple[str, str]]:
    return [(e.from_state, e.to_state) for e in enrolment.events.order_by("at", "pk")]


# --- Requesting -----------------------------------------------------------------------------


def test_a_request_copies_the_cost_share_and_records_who_asked_and_why(alice):
    course = make_course(cost=45000, city_subsidy=30000)
    enrolment = _request(alice, course)
    assert enrolment.state == "requested"
    assert (enrolment.cost, enrolment.city_subsidy, enrolment.staff_share) == (45000, 30000, 15000)
    event = enrolment.events.get()
    assert (event.from_state, event.to_state, event.actor, event.comment) == (
        "",
        "requested",
        alice,
        "窓口業務の法的根拠を理解したい",
    )


def test_requesting_the_same_course_twice_is_refused_and_keeps_one_request(alice):
    course = make_course()
    _request(alice, course)
    with pytest.raises(EnrolmentError, match="この講座には既に申し込んでいます"):
        _request(alice, course)
    assert Enrolment.objects.filter(staff=alice, course=course).count() == 1


def test_a_withdrawn_request_can_be_made_again(alice):
    course = make_course()
    first = _request(alice, course)
    enrolment_withdraw(enrolment=first, actor=alice)
    second = _request(alice, course)
    assert second.pk != first.pk


def test_the_database_keeps_one_live_enrolment_per_person_and_course(alice):
    from django.db import IntegrityError, transaction

    course = make_course()
    make_enrolment(staff=alice, course=course)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_enrolment(staff=alice, course=course)


def test_requesting_before_the_window_opens_is_refused(alice):
    course = make_course(application_opens_on=today() + dt.timedelta(days=3))
    with pytest.raises(EnrolmentError, match=r"この講座の申込受付は.+に始まります"):
        _request(alice, course)
    assert not Enrolment.objects.exists()


def test_requesting_after_the_window_closes_is_refused(alice):
    course = make_course(
        application_opens_on=today() - dt.timedelta(days=30), application_closes_on=today() - dt.timedelta(days=1)
    )
    with pytest.raises(EnrolmentError, match=r"この講座の申込受付は.+に終了しました"):
        _request(alice, course)


def test_a_use_type_the_course_does_not_support_is_refused(alice):
    course = make_course(for_promotion=False)
    with pytest.raises(EnrolmentError):
        _request(alice, course, use_type="promotion")


def test_a_request_needs_a_reason(alice):
    with pytest.raises(EnrolmentError, match="理由を簡潔に入力してください"):
        _request(alice, make_course(), reason="   ")


def test_a_full_course_can_still_be_requested(alice, dave):
    course = make_course(capacity=1)
    make_enrolment(staff=dave, course=course, state="approved")
    assert _request(alice, course).state == "requested"


def test_the_head_of_section_is_asked_by_email(alice, bob, emails_dispatched, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _request(alice, make_course())
    assert [(staff_id, template) for staff_id, template, _ in emails_dispatched] == [
        (bob.pk, "enrolment-review-request")
    ]


# --- Head of section ----------------------------------------------------------------------


def test_the_head_of_section_recommends_and_the_history_says_who_when_and_why(alice, bob):
    enrolment = _request(alice, make_course())
    enrolment_recommend(enrolment=enrolment, actor=bob, comment="業務に必要です")
    enrolment.refresh_from_db()
    assert enrolment.state == "recommended"
    assert enrolment.recommended_at is not None
    last = enrolment.events.last()
    assert (last.from_state, last.to_state, last.actor, last.comment) == (
        "requested",
        "recommended",
        bob,
        "業務に必要です",
    )


def test_a_head_of_section_cannot_decide_for_another_department(alice, dave, department):
    from staff.services import department_set_heads

    other_head = make_staff(department=dave.department)
    department_set_heads(department=dave.department, heads=[other_head])
    enrolment = _request(alice, make_course())
    with pytest.raises(EnrolmentPermissionError):
        enrolment_recommend(enrolment=enrolment, actor=other_head)
    with pytest.raises(EnrolmentPermissionError):
        enrolment_decline(enrolment=enrolment, actor=other_head, comment="no")
    assert Enrolment.objects.get().state == "requested"


def test_declining_needs_a_comment(alice, bob):
    enrolment = _request(alice, make_course())
    with pytest.raises(EnrolmentError, match="推薦しない理由を入力してください"):
        enrolment_decline(enrolment=enrolment, actor=bob, comment="")
    enrolment_decline(enrolment=enrolment, actor=bob, comment="繁忙期のため")
    assert Enrolment.objects.get().state == "rejected"


def test_recommending_twice_is_an_illegal_transition_with_a_clear_message(alice, bob):
    enrolment = _request(alice, make_course())
    enrolment_recommend(enrolment=enrolment, actor=bob)
    with pytest.raises(EnrolmentError, match="推薦できるのは新しい申込だけです"):
        enrolment_recommend(enrolment=enrolment, actor=bob)
    assert enrolment.events.count() == 2


# --- HR -------------------------------------------------------------------------------------


def test_hr_approves_a_recommended_request(alice, bob, carol):
    enrolment = _request(alice, make_course())
    enrolment_recommend(enrolment=enrolment, actor=bob)
    enrolment_approve(enrolment=enrolment, actor=carol, comment="承認します")
    assert enrolment.state == "approved"
    assert _states(enrolment) == [("", "requested"), ("requested", "recommended"), ("recommended", "approved")]


def test_hr_cannot_approve_what_the_head_of_section_has_not_recommended(alice, carol):
    enrolment = _request(alice, make_course())
    with pytest.raises(EnrolmentError, match="承認できるのは所属長推薦済みまたはキャンセル待ちの申込だけです"):
        enrolment_approve(enrolment=enrolment, actor=carol)
    assert Enrolment.objects.get().state == "requested"


def test_only_hr_can_approve(alice, bob):
    enrolment = make_enrolment(staff=alice, course=make_course(), state="recommended")
    with pytest.raises(EnrolmentPermissionError):
        enrolment_approve(enrolment=enrolment, actor=bob)


def test_approving_a_full_course_puts_the_person_on_the_waiting_list(alice, dave, carol):
    course = make_course(capacity=1)
    make_enrolment(staff=dave, course=course, state="approved")
    enrolment = make_enrolment(staff=alice, course=course, state="recommended")
    enrolment_approve(enrolment=enrolment, actor=carol)
    assert enrolment.state == "waitlisted"


def test_people_who_did_not_complete_still_count_as_seats(alice, dave, carol):
    course = make_course(capacity=1)
    make_enrolment(staff=dave, course=course, state="not_completed")
    enrolment = make_enrolment(staff=alice, course=course, state="recommended")
    enrolment_approve(enrolment=enrolment, actor=carol)
    assert enrolment.state == "waitlisted"


def test_approving_someone_still_waiting_on_a_full_course_is_refused(alice, dave, carol):
    course = make_course(capacity=1)
    make_enrolment(staff=dave, course=course, state="approved")
    enrolment = make_enrolment(staff=alice, course=course, state="waitlisted")
    with pytest.raises(EnrolmentError, match="講座はまだ定員に達しているため"):
        enrolment_approve(enrolment=enrolment, actor=carol)


def test_a_withdrawn_seat_goes_to_the_first_on_the_waiting_list(alice, dave, carol):
    from django.utils import timezone

    course = make_course(capacity=1)
    seated = make_enrolment(staff=dave, course=course, state="approved")
    later = make_enrolment(staff=make_staff(), course=course, state="waitlisted", recommended_at=timezone.now())
    first = make_enrolment(
        staff=alice, course=course, state="waitlisted", recommended_at=timezone.now() - dt.timedelta(days=1)
    )
    enrolment_withdraw(enrolment=seated, actor=dave)
    first.refresh_from_db()
    later.refresh_from_db()
    assert (first.state, later.state) == ("approved", "waitlisted")
    promotion = first.events.last()
    assert (promotion.from_state, promotion.to_state, promotion.actor) == ("waitlisted", "approved", None)


def test_hr_cancelling_an_approved_seat_promotes_the_waiting_list(alice, dave, carol):
    course = make_course(capacity=1)
    seated = make_enrolment(staff=dave, course=course, state="approved")
    waiting = make_enrolment(staff=alice, course=course, state="waitlisted")
    enrolment_reject(enrolment=seated, actor=carol, reason="日程が合わないため")
    waiting.refresh_from_db()
    assert waiting.state == "approved"


def test_raising_the_capacity_promotes_the_waiting_list(alice, dave, carol):
    course = make_course(capacity=1)
    make_enrolment(staff=dave, course=course, state="approved")
    waiting = make_enrolment(staff=alice, course=course, state="waitlisted")
    course.capacity = 2
    course.save()
    assert waitlist_promote(course=course) == [waiting]


def test_rejecting_needs_a_reason(alice, carol):
    enrolment = make_enrolment(staff=alice, course=make_course(), state="recommended")
    with pytest.raises(EnrolmentError, match="不承認の理由を入力してください"):
        enrolment_reject(enrolment=enrolment, actor=carol, reason=" ")


def test_bulk_approval_seats_the_longest_waiting_first_and_waitlists_the_rest(alice, dave, carol):
    from django.utils import timezone

    course = make_course(capacity=1)
    newer = make_enrolment(staff=alice, course=course, state="recommended", recommended_at=timezone.now())
    older = make_enrolment(
        staff=dave, course=course, state="recommended", recommended_at=timezone.now() - dt.timedelta(hours=1)
    )
    outcome = enrolments_bulk_approve(enrolments=[newer, older], actor=carol)
    assert [e.pk for e in outcome.done] == [older.pk]
    assert [e.pk for e in outcome.waitlisted] == [newer.pk]


def test_bulk_approval_reports_each_refusal_and_carries_on(alice, dave, carol):
    course = make_course()
    requested = make_enrolment(staff=alice, course=course, state="requested")
    recommended = make_enrolment(staff=dave, course=course, state="recommended")
    outcome = enrolments_bulk_approve(enrolments=[requested, recommended], actor=carol)
    assert [e.pk for e in outcome.done] == [recommended.pk]
    assert [e.pk for e, _ in outcome.errors] == [requested.pk]


# --- Withdrawing --------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["requested", "recommended", "waitlisted", "approved"])
def test_the_person_can_withdraw_while_pending_or_before_the_course_starts(alice, state):
    enrolment = make_enrolment(staff=alice, course=make_course(), state=state)
    enrolment_withdraw(enrolment=enrolment, actor=alice, comment="業務多忙のため")
    assert Enrolment.objects.get().state == "withdrawn"


def test_an_approved_enrolment_cannot_be_withdrawn_once_the_course_started(alice):
    course = make_course(starts_on=today() - dt.timedelta(days=1))
    enrolment = make_enrolment(staff=alice, course=course, state="approved")
    with pytest.raises(EnrolmentError, match="講座は既に始まっています"):
        enrolment_withdraw(enrolment=enrolment, actor=alice)


@pytest.mark.parametrize("state", ["completed", "not_completed", "rejected", "withdrawn"])
def test_a_finished_enrolment_cannot_be_withdrawn(alice, state):
    enrolment = make_enrolment(staff=alice, course=make_course(), state=state)
    with pytest.raises(EnrolmentError, match="のため、取り下げできません"):
        enrolment_withdraw(enrolment=enrolment, actor=alice)


def test_nobody_else_can_withdraw_a_persons_request(alice, bob):
    enrolment = make_enrolment(staff=alice, course=make_course())
    with pytest.raises(EnrolmentPermissionError):
        enrolment_withdraw(enrolment=enrolment, actor=bob)


# --- The whole table of transitions ---------------------------------------------------------

ALL_STATES = [
    "requested",
    "recommended",
    "approved",
    "waitlisted",
    "completed",
    "not_completed",
    "rejected",
    "withdrawn",
]
ACTIONS = {
    "approve": ({"recommended", "waitlisted"}, lambda e, hr: enrolment_approve(enrolment=e, actor=hr)),
    "reject": (
        {"requested", "recommended", "waitlisted", "approved"},
        lambda e, hr: enrolment_reject(enrolment=e, actor=hr, reason="理由"),
    ),
    "complete": ({"approved", "not_completed"}, lambda e, hr: enrolment_complete(enrolment=e, actor=hr)),
    "not_completed": ({"approved"}, lambda e, hr: enrolment_mark_not_completed(enrolment=e, actor=hr)),
}


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("state", ALL_STATES)
def test_hr_actions_follow_the_state_machine(alice, carol, action, state):
    allowed, act = ACTIONS[action]
    enrolment = make_enrolment(staff=alice, course=make_started_course(), state=state)
    events_before = EnrolmentEvent.objects.count()
    if state in allowed:
        act(enrolment, carol)
        assert EnrolmentEvent.objects.count() == events_before + 1
    elif action == "complete" and state == "completed":
        assert act(enrolment, carol) is False  # same values: nothing to do, nothing recorded
        assert EnrolmentEvent.objects.count() == events_before
    else:
        with pytest.raises(EnrolmentError):
            act(enrolment, carol)
        assert Enrolment.objects.get().state == state
        assert EnrolmentEvent.objects.count() == events_before


# --- Completion and badges ------------------------------------------------------------------


def test_completion_requests_exactly_one_award_after_the_commit(
    alice, carol, enqueued, django_capture_on_commit_callbacks
):
    course = make_started_course(badge_class=make_badge_class())
    enrolment = make_enrolment(staff=alice, course=course, state="approved")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        enrolment_complete(enrolment=enrolment, actor=carol, grade="優")
        assert enqueued == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    award = Award.objects.get()
    assert (award.recipient, award.badge_class, award.source_key) == (
        alice,
        course.badge_class,
        f"enrolment:{enrolment.pk}",
    )
    assert award.evidence[0]["result"] == "優"
    assert enqueued == [award.pk]


def test_marking_completed_again_requests_no_second_award(alice, carol, enqueued, django_capture_on_commit_callbacks):
    course = make_started_course(badge_class=make_badge_class())
    enrolment = make_enrolment(staff=alice, course=course, state="approved")
    with django_capture_on_commit_callbacks(execute=True):
        enrolment_complete(enrolment=enrolment, actor=carol, grade="良")
    with django_capture_on_commit_callbacks(execute=True):
        assert enrolment_complete(enrolment=enrolment, actor=carol, grade="良") is False
        assert enrolment_complete(enrolment=enrolment, actor=carol, grade="優") is True  # a correction
    assert Award.objects.count() == 1
    assert len(enqueued) == 1
    enrolment.refresh_from_db()
    assert enrolment.grade == "優"
    assert _states(enrolment)[-1] == ("completed", "completed")


def test_a_course_without_a_badge_completes_without_an_award(alice, carol, enqueued):
    enrolment = make_enrolment(staff=alice, course=make_started_course(), state="approved")
    enrolment_complete(enrolment=enrolment, actor=carol)
    assert not Award.objects.exists()


def test_completing_the_last_course_of_a_programme_requests_the_programme_badge(
    alice, carol, enqueued, django_capture_on_commit_callbacks
):
    kenpo, gyosei = make_started_course(title="憲法"), make_started_course(title="行政法")
    programme = make_programme(courses=[kenpo, gyosei], badge_class=make_badge_class(name="自治体法務"))
    first = make_enrolment(staff=alice, course=kenpo, state="approved")
    second = make_enrolment(staff=alice, course=gyosei, state="approved")
    with django_capture_on_commit_callbacks(execute=True):
        enrolment_complete(enrolment=first, actor=carol)
    assert not Award.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        enrolment_complete(enrolment=second, actor=carol)
    award = Award.objects.get()
    assert award.source_key == f"programme:{programme.pk}:staff:{alice.pk}"
    assert sorted(e["name"] for e in award.evidence) == sorted(["憲法", "行政法"])
    assert enqueued == [award.pk]


def test_completion_dates_cannot_be_in_the_future(alice, carol):
    enrolment = make_enrolment(staff=alice, course=make_course(), state="approved")
    with pytest.raises(EnrolmentError, match="修了日に未来の日付は指定できません"):
        enrolment_complete(enrolment=enrolment, actor=carol, completed_on=today() + dt.timedelta(days=1))


def test_the_course_badge_gets_one_alignment_per_skill(settings):
    settings.PORTAL_BASE_URL = "https://portal.example"
    law, dx = make_skill(code="LAW", name="法務"), make_skill(code="DX", name="DX")
    course = make_course(code="CHUO-KENPO", badge_class=make_badge_class(), skills={law: 2, dx: 1})
    alignments = course_align_badge(course=course)
    course.badge_class.refresh_from_db()
    assert course.badge_class.alignments == alignments
    assert {a["targetCode"] for a in alignments} == {"LAW", "DX"}
    law_alignment = next(a for a in alignments if a["targetCode"] == "LAW")
    assert law_alignment["targetFramework"] == "八王子市職員スキル体系"
    # The skill's public page: the course page is for signed-in staff (tests/courses/test_public_skills.py).
    assert law_alignment["targetUrl"] == "https://portal.example/public/skills/LAW/"
    assert law_alignment["targetName"] == "法務"
