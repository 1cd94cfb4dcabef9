from __future__ import annotations

import pytest
from django.urls import reverse

from courses.models import Enrolment
from staff.services import department_set_heads
from tests.factories import make_course, make_department, make_enrolment, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(db):  # type: ignore[no-untyped-def]
    return make_course(code="CHUO-GYOSEI", title="行政法")


def test_the_head_of_section_sees_requests_from_their_departments_only(client, alice, bob, dave, course):
    mine = make_enrolment(staff=alice, course=course)
    make_enrolment(staff=dave, course=course)
    client.force_login(bob)
    response = client.get(reverse("courses:approvals"))
    assert response.status_code == 200
    assert [e.pk for e in response.context["awaiting"]] == [mine.pk]
    assert "高橋" not in response.content.decode()  # dave's family name


def test_people_in_units_below_the_section_are_included(client, bob, department, course):
    unit = make_department(code="401010", name="企画係", level="unit", parent=department)
    person = make_staff(department=unit)
    enrolment = make_enrolment(staff=person, course=course)
    client.force_login(bob)
    assert [e.pk for e in client.get(reverse("courses:approvals")).context["awaiting"]] == [enrolment.pk]


def test_the_head_recommends_with_a_comment(client, alice, bob, course):
    enrolment = make_enrolment(staff=alice, course=course)
    client.force_login(bob)
    response = client.post(
        reverse("courses:decide", args=[enrolment.pk]), {"decision": "recommend", "comment": "ぜひ"}, follow=True
    )
    enrolment.refresh_from_db()
    assert enrolment.state == "recommended"
    assert enrolment.events.last().comment == "ぜひ"
    assert "さんの「行政法」受講を推薦しました。" in response.content.decode()
    assert [e.pk for e in response.context["decided"]] == [enrolment.pk]


def test_declining_without_a_comment_is_refused(client, alice, bob, course):
    enrolment = make_enrolment(staff=alice, course=course)
    client.force_login(bob)
    response = client.post(reverse("courses:decide", args=[enrolment.pk]), {"decision": "decline"}, follow=True)
    enrolment.refresh_from_db()
    assert enrolment.state == "requested"
    assert "推薦しない理由を入力してください。" in response.content.decode()


def test_the_head_declines_with_a_comment(client, alice, bob, course):
    enrolment = make_enrolment(staff=alice, course=course)
    client.force_login(bob)
    client.post(reverse("courses:decide", args=[enrolment.pk]), {"decision": "decline", "comment": "繁忙期"})
    enrolment.refresh_from_db()
    assert enrolment.state == "rejected"


def test_a_head_deciding_for_another_department_is_forbidden(client, bob, dave, course):
    enrolment = make_enrolment(staff=dave, course=course)
    client.force_login(bob)
    response = client.post(reverse("courses:decide", args=[enrolment.pk]), {"decision": "recommend"})
    assert response.status_code == 403
    enrolment.refresh_from_db()
    assert enrolment.state == "requested"


def test_an_enrolment_that_does_not_exist_is_not_found(client, bob):
    client.force_login(bob)
    assert client.post(reverse("courses:decide", args=[999999]), {"decision": "recommend"}).status_code == 404


def test_people_who_head_nothing_cannot_open_the_approvals_page(client, alice, course):
    client.force_login(alice)
    assert client.get(reverse("courses:approvals")).status_code == 403
    enrolment = make_enrolment(staff=make_staff(), course=course)
    assert client.post(reverse("courses:decide", args=[enrolment.pk]), {"decision": "recommend"}).status_code == 403


def test_a_head_cannot_recommend_their_own_request(client, bob, course):
    enrolment = make_enrolment(staff=bob, course=course)
    client.force_login(bob)
    assert client.post(reverse("courses:decide", args=[enrolment.pk]), {"decision": "recommend"}).status_code == 403


def test_deciding_twice_shows_a_clear_message(client, alice, bob, course):
    enrolment = make_enrolment(staff=alice, course=course)
    client.force_login(bob)
    url = reverse("courses:decide", args=[enrolment.pk])
    client.post(url, {"decision": "recommend"})
    response = client.post(url, {"decision": "decline", "comment": "やはり"}, follow=True)
    assert "所属長が推薦しないと判断できるのは新しい申込だけです" in response.content.decode()
    assert Enrolment.objects.get().state == "recommended"


def test_a_head_of_two_departments_sees_both(client, alice, bob, dave, course):
    department_set_heads(department=dave.department, heads=[bob])
    make_enrolment(staff=alice, course=course)
    make_enrolment(staff=dave, course=course)
    client.force_login(bob)
    assert len(client.get(reverse("courses:approvals")).context["awaiting"]) == 2


def test_a_long_queue_is_paginated(client, bob, department):
    course = make_course()
    for _ in range(25):
        make_enrolment(staff=make_staff(department=department), course=course)
    client.force_login(bob)
    first = client.get(reverse("courses:approvals"))
    assert len(first.context["awaiting"]) == 20
    assert "25" in first.content.decode()
    assert len(client.get(reverse("courses:approvals"), {"page": 2}).context["awaiting"]) == 5
