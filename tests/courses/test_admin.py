from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from badges.models import Award
from courses.models import Enrolment
from tests.factories import make_badge_class, make_course, make_enrolment, make_staff, make_started_course, today

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:courses_enrolment_changelist"


@pytest.fixture
def hr_client(client, carol):  # type: ignore[no-untyped-def]
    client.force_login(carol)
    return client


def _action(client, action, enrolments, **extra):  # type: ignore[no-untyped-def]
    data = {"action": action, ACTION_CHECKBOX_NAME: [e.pk for e in enrolments], **extra}
    return client.post(reverse(CHANGELIST), data, follow=True)


def test_hr_sees_pending_requests_filtered_by_state_course_department_and_use_type(hr_client, alice, dave):
    course = make_course(code="CHUO-GYOSEI")
    waiting = make_enrolment(staff=alice, course=course, state="recommended", use_type="promotion")
    make_enrolment(staff=dave, course=make_course(), state="requested")
    url = reverse(CHANGELIST)
    assert hr_client.get(url).status_code == 200
    for params in (
        {"state": "awaiting_hr"},
        {"course": course.pk},
        {"department": alice.department.code},
        {"use_type": "promotion"},
    ):
        response = hr_client.get(url, params)
        assert [e.pk for e in response.context["cl"].result_list] == [waiting.pk], params


def test_the_department_filter_includes_units_below(hr_client, alice):
    enrolment = make_enrolment(staff=alice, course=make_course())
    division = alice.department.parent
    response = hr_client.get(reverse(CHANGELIST), {"department": division.code})
    assert [e.pk for e in response.context["cl"].result_list] == [enrolment.pk]


def test_the_change_page_shows_the_history(hr_client, alice):
    enrolment = make_enrolment(staff=alice, course=make_course(), state="recommended")
    response = hr_client.get(reverse("admin:courses_enrolment_change", args=[enrolment.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "所属長推薦済み" in content  # Recommended by head of section
    assert "申込中" in content  # Requested


def test_staff_without_the_admin_cannot_reach_it(client, alice):
    client.force_login(alice)
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_admin_users_who_are_not_hr_are_forbidden(client):
    other_admin = make_staff(is_staff=True, mfa=True)
    client.force_login(other_admin)
    assert client.get(reverse(CHANGELIST)).status_code == 403
    assert client.get(reverse("admin:courses_enrolment_import")).status_code == 403


def test_hr_has_no_add_or_delete_for_enrolments(hr_client, alice):
    enrolment = make_enrolment(staff=alice, course=make_course())
    assert hr_client.get(reverse("admin:courses_enrolment_add")).status_code == 403
    assert hr_client.get(reverse("admin:courses_enrolment_delete", args=[enrolment.pk])).status_code == 403


def test_bulk_approve_approves_and_waitlists_when_full(hr_client, alice, dave):
    course = make_course(capacity=1)
    first = make_enrolment(staff=alice, course=course, state="recommended")
    second = make_enrolment(staff=dave, course=course, state="recommended")
    response = _action(hr_client, "approve", [first, second])
    states = sorted(Enrolment.objects.values_list("state", flat=True))
    assert states == ["approved", "waitlisted"]
    content = response.content.decode()
    assert "1 件を承認しました。" in content  # 1 approved.
    assert "1 件は定員に達しているためキャンセル待ちになりました。" in content  # 1 put on the waiting list


def test_bulk_approve_reports_illegal_transitions(hr_client, alice):
    enrolment = make_enrolment(staff=alice, course=make_course(), state="requested")
    response = _action(hr_client, "approve", [enrolment])
    assert "承認できるのは所属長推薦済みまたはキャンセル待ちの申込だけです" in response.content.decode()
    assert Enrolment.objects.get().state == "requested"


def test_bulk_reject_asks_for_a_reason_first(hr_client, alice, dave):
    course = make_course()
    enrolments = [make_enrolment(staff=p, course=course, state="recommended") for p in (alice, dave)]
    form = _action(hr_client, "reject", enrolments)
    assert "courses/admin/enrolment_action.html" in [t.name for t in form.templates]
    assert set(Enrolment.objects.values_list("state", flat=True)) == {"recommended"}
    missing = _action(hr_client, "reject", enrolments, apply="1", reason="")
    assert "courses/admin/enrolment_action.html" in [t.name for t in missing.templates]
    _action(hr_client, "reject", enrolments, apply="1", reason="予算超過のため")
    assert set(Enrolment.objects.values_list("state", flat=True)) == {"rejected"}
    assert {e.events.last().comment for e in Enrolment.objects.all()} == {"予算超過のため"}


def test_bulk_mark_completed_records_the_result_and_requests_one_award_each(
    hr_client, alice, dave, enqueued, django_capture_on_commit_callbacks
):
    course = make_started_course(badge_class=make_badge_class())
    enrolments = [make_enrolment(staff=p, course=course, state="approved") for p in (alice, dave)]
    data = {"apply": "1", "completed_on": today().isoformat(), "grade": "A", "result_note": "レポート合格"}
    with django_capture_on_commit_callbacks(execute=True):
        _action(hr_client, "mark_completed", enrolments, **data)
    assert list(Enrolment.objects.values_list("state", "grade").order_by().distinct()) == [("completed", "A")]
    assert Award.objects.count() == 2
    assert len(enqueued) == 2
    with django_capture_on_commit_callbacks(execute=True):
        response = _action(hr_client, "mark_completed", enrolments, **data)
    assert Award.objects.count() == 2 and len(enqueued) == 2
    assert "件は既に同じ内容で記録済みです" in response.content.decode()


def test_bulk_mark_not_completed(hr_client, alice):
    enrolment = make_enrolment(staff=alice, course=make_course(), state="approved")
    _action(hr_client, "mark_not_completed", [enrolment], apply="1", comment="試験欠席")
    assert Enrolment.objects.get().state == "not_completed"


def test_raising_the_capacity_in_the_admin_seats_the_waiting_list(hr_client, alice, dave):
    course = make_course(capacity=1)
    make_enrolment(staff=dave, course=course, state="approved")
    waiting = make_enrolment(staff=alice, course=course, state="waitlisted")
    response = hr_client.get(reverse("admin:courses_course_change", args=[course.pk]))
    form = response.context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if k != "skills"}
    data.update(
        {
            "capacity": 2,
            "provider": course.provider_id,
            "badge_class": "",
            "course_skills-TOTAL_FORMS": "0",
            "course_skills-INITIAL_FORMS": "0",
            "course_skills-MIN_NUM_FORMS": "0",
            "course_skills-MAX_NUM_FORMS": "1000",
        }
    )
    for key in ("starts_on", "ends_on", "application_opens_on", "application_closes_on"):
        data[key] = getattr(course, key).isoformat()
    for key in ("for_self_development", "for_promotion", "is_published"):
        if not data.get(key):
            data.pop(key, None)
    response = hr_client.post(reverse("admin:courses_course_change", args=[course.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    waiting.refresh_from_db()
    assert waiting.state == "approved"


def test_the_catalogue_admin_pages_render_for_hr(hr_client):
    make_course()
    for name in ("course", "provider", "skill", "programme"):
        assert hr_client.get(reverse(f"admin:courses_{name}_changelist")).status_code == 200, name
    assert hr_client.get(reverse("admin:courses_course_import")).status_code == 200
    assert hr_client.get(reverse("admin:courses_course_export")).status_code == 200
