"""My learning (マイ学習) as staff use it every day: withdrawing asks first, completed courses
are only the completed ones, deadlines are only those still ahead of the person, the waiting
list shows each person's place, a revoked badge is marked, terms read in English."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from badges import services as badge_services
from courses.models import Enrolment, term_label
from courses.selectors import waitlist_positions
from tests.badges.conftest import issue
from tests.factories import make_badge_class, make_course, make_enrolment, make_staff, today

pytestmark = pytest.mark.django_db


def _english(person) -> None:  # type: ignore[no-untyped-def]
    person.preferred_language = "en"
    person.save()


def test_withdrawing_asks_first_and_only_the_confirmation_withdraws(client, alice):
    enrolment = make_enrolment(staff=alice, course=make_course(title="行政法"), state="approved")
    client.force_login(alice)
    url = f"/courses/my-learning/{enrolment.pk}/withdraw/"
    question = client.get(url)
    assert question.status_code == 200
    assert 'name="confirm"' in question.content.decode()
    # A bare POST (an old form, a stray script) only asks again.
    assert client.post(url).status_code == 200
    assert Enrolment.objects.get(pk=enrolment.pk).state == "approved"
    response = client.post(url, {"confirm": "1", "comment": "業務多忙のため"})
    assert response.status_code == 302 and response["Location"] == "/courses/my-learning/"
    enrolment.refresh_from_db()
    assert enrolment.state == "withdrawn"
    assert enrolment.events.order_by("at", "pk").last().comment == "業務多忙のため"


def test_my_learning_offers_withdrawal_as_a_secondary_link_to_the_question(client, alice):
    enrolment = make_enrolment(staff=alice, course=make_course(), state="requested")
    client.force_login(alice)
    page = client.get("/courses/my-learning/").content.decode()
    assert (
        f'class="button button--secondary button--compact" href="/courses/my-learning/{enrolment.pk}/withdraw/"' in page
    )
    assert f'action="/courses/my-learning/{enrolment.pk}/withdraw/"' not in page  # no one-click form


def test_a_request_that_can_no_longer_be_withdrawn_is_not_asked_about(client, alice):
    started = make_course(starts_on=today() - dt.timedelta(days=1), ends_on=today() + dt.timedelta(days=30))
    enrolment = make_enrolment(staff=alice, course=started, state="approved")
    client.force_login(alice)
    response = client.get(f"/courses/my-learning/{enrolment.pk}/withdraw/")
    assert response.status_code == 302 and response["Location"] == "/courses/my-learning/"


def test_completed_courses_lists_only_completed_ones(client, alice):
    make_enrolment(staff=alice, course=make_course(title="統計の基礎"), state="completed", grade="優")
    make_enrolment(staff=alice, course=make_course(title="公文書管理"), state="not_completed")
    client.force_login(alice)
    response = client.get("/courses/my-learning/")
    assert [e.course.title for e in response.context["finished"]] == ["統計の基礎"]
    assert [e.course.title for e in response.context["not_completed"]] == ["公文書管理"]
    page = response.content.decode()
    completed = page[page.index('id="done-heading"') : page.index('id="not-completed-heading"')]
    assert "統計の基礎" in completed and "公文書管理" not in completed


def test_upcoming_deadlines_leave_out_application_deadlines_of_courses_already_applied_for(client, alice):
    for state in ("requested", "recommended"):
        make_enrolment(staff=alice, course=make_course(title=f"申込済み{state}"), state=state)
    approved = make_enrolment(staff=alice, course=make_course(title="受講決定"), state="approved")
    client.force_login(alice)
    deadlines = client.get("/courses/my-learning/").context["deadlines"]
    assert deadlines and {d.enrolment.pk for d in deadlines} == {approved.pk}
    assert all(d.day != d.enrolment.course.application_closes_on for d in deadlines)


def test_the_waiting_list_place_is_counted_in_the_order_seats_are_given(alice, dave):
    course = make_course(capacity=1)
    make_enrolment(staff=make_staff(), course=course, state="approved")
    now = dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC)
    first = make_enrolment(staff=dave, course=course, state="waitlisted", recommended_at=now)
    second = make_enrolment(staff=alice, course=course, state="waitlisted", recommended_at=now + dt.timedelta(hours=1))
    other = make_enrolment(staff=alice, course=make_course(capacity=1), state="waitlisted")
    make_enrolment(staff=alice, course=make_course(capacity=1), state="approved")  # not waiting
    assert waitlist_positions(alice) == {second.pk: 2, other.pk: 1}
    assert waitlist_positions(dave) == {first.pk: 1}


def test_my_learning_and_the_course_page_show_the_waiting_list_place(client, alice, dave):
    course = make_course(capacity=1)
    make_enrolment(staff=make_staff(), course=course, state="approved")
    now = dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC)
    make_enrolment(staff=dave, course=course, state="waitlisted", recommended_at=now)
    make_enrolment(staff=alice, course=course, state="waitlisted", recommended_at=now + dt.timedelta(hours=1))
    _english(alice)
    client.force_login(alice)
    for url in ("/courses/my-learning/", f"/courses/{course.code}/"):
        assert "Number 2 on the waiting list" in client.get(url).content.decode(), url


def test_my_learning_marks_a_revoked_badge(client, alice, signing_key, enqueued):
    course = make_course(title="情報セキュリティ研修", badge_class=make_badge_class(name="情報セキュリティ 修了"))
    done = make_enrolment(staff=alice, course=course, state="completed")
    award = issue(alice, course.badge_class, f"enrolment:{done.pk}")
    client.force_login(alice)
    page = client.get("/courses/my-learning/").content.decode()
    assert f"/badges/{award.public_id}/" in page and "取消し" not in page
    badge_services.award_revoke(award=award, reason="誤登録")
    page = client.get("/courses/my-learning/").content.decode()
    row = page[page.index("情報セキュリティ研修") :]
    assert "取消し" in row[: row.index("</tr>")]


def test_a_term_reads_in_english_on_english_pages():
    with translation.override("en"):
        assert term_label("2026年度 通年") == "FY2026, full year"
        assert term_label("2026年度 前期") == "FY2026, first half"
        assert term_label("2027年度") == "FY2027"
        assert term_label("随時") == "随時"  # any other wording is shown as written
    with translation.override("ja"):
        assert term_label("2026年度 通年") == "2026年度 通年"


def test_the_english_course_page_says_what_exists_only_in_japanese(client, alice, badge_class):
    course = make_course(
        title="公文書管理", description="公文書の実務を学びます。", term="2026年度 通年", badge_class=badge_class
    )
    _english(alice)
    client.force_login(alice)
    page = client.get(f"/courses/{course.code}/").content.decode()
    assert '<h1 lang="ja">公文書管理</h1>' in page
    assert '<div class="prose" lang="ja">' in page and "(Japanese only)" in page
    assert "FY2026, full year" in page and "2026年度" not in page
    assert "Issued by Hachioji City" in page
