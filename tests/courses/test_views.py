from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from courses.models import Enrolment
from tests.factories import make_badge_class, make_course, make_enrolment, make_provider, make_skill, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(db):  # type: ignore[no-untyped-def]
    chuo = make_provider(code="CHUO-LAW", name="中央大学法学部 通信教育課程", name_en="Chuo University Faculty of Law")
    city = make_provider(code="CITY", name="八王子市 職員研修", kind="city")
    law, bosai = make_skill(code="LAW", name="法務"), make_skill(code="BOSAI", name="防災")
    return {
        "gyosei": make_course(
            code="CHUO-GYOSEI",
            title="行政法",
            title_en="Administrative Law",
            provider=chuo,
            skills={law: 2},
            badge_class=make_badge_class(name="行政法 修了"),
        ),
        "kenpo": make_course(code="CHUO-KENPO", title="憲法", provider=chuo, skills={law: 1}),
        "bosai": make_course(
            code="CITY-BOSAI",
            title="防災基礎研修",
            description="避難所運営の基礎を学ぶ",
            provider=city,
            delivery="classroom",
            skills={bosai: 1},
            for_promotion=False,
            application_closes_on=today() - dt.timedelta(days=1),
            application_opens_on=today() - dt.timedelta(days=30),
        ),
    }


def _titles(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.title for c in response.context["page"].object_list]


# --- Catalogue ------------------------------------------------------------------------------


def test_the_catalogue_needs_sign_in(client):
    response = client.get(reverse("courses:catalogue"))
    assert response.status_code == 302


def test_part_of_a_japanese_word_finds_the_course(client, alice, catalogue):
    client.force_login(alice)
    response = client.get(reverse("courses:catalogue"), {"q": "行政"})
    assert _titles(response) == ["行政法"]
    assert "行政法" in response.content.decode()


def test_search_covers_descriptions_skills_and_providers(client, alice, catalogue):
    client.force_login(alice)
    assert _titles(client.get(reverse("courses:catalogue"), {"q": "避難所"})) == ["防災基礎研修"]
    assert sorted(_titles(client.get(reverse("courses:catalogue"), {"q": "法務"}))) == ["憲法", "行政法"]
    assert sorted(_titles(client.get(reverse("courses:catalogue"), {"q": "中央大学"}))) == ["憲法", "行政法"]


def test_every_word_of_a_search_must_match(client, alice, catalogue):
    client.force_login(alice)
    # A full-width space separates words, as a Japanese keyboard types it.
    assert _titles(client.get(reverse("courses:catalogue"), {"q": "中央大学　行政"})) == ["行政法"]


def test_filters_narrow_the_catalogue(client, alice, catalogue):
    client.force_login(alice)
    url = reverse("courses:catalogue")
    assert _titles(client.get(url, {"provider": "CITY"})) == ["防災基礎研修"]
    assert sorted(_titles(client.get(url, {"skill": "LAW"}))) == ["憲法", "行政法"]
    assert _titles(client.get(url, {"delivery": "classroom"})) == ["防災基礎研修"]
    assert sorted(_titles(client.get(url, {"open_now": "on"}))) == ["憲法", "行政法"]
    assert sorted(_titles(client.get(url, {"use_type": "promotion"}))) == ["憲法", "行政法"]


def test_unknown_filter_values_are_ignored(client, alice, catalogue):
    client.force_login(alice)
    response = client.get(reverse("courses:catalogue"), {"provider": "NOPE", "sort": "evil", "page": "x"})
    assert response.status_code == 200
    assert len(_titles(response)) == 3


def test_sorting_keeps_courses_closed_for_application_last(client, alice, catalogue):
    kenpo = catalogue["kenpo"]
    kenpo.application_closes_on = today() + dt.timedelta(days=2)
    kenpo.save()
    client.force_login(alice)
    url = reverse("courses:catalogue")
    assert _titles(client.get(url, {"sort": "deadline"})) == ["憲法", "行政法", "防災基礎研修"]
    assert _titles(client.get(url, {"sort": "code"})) == ["行政法", "憲法", "防災基礎研修"]
    assert _titles(client.get(url))[-1] == "防災基礎研修"


def test_a_search_with_no_result_shows_a_clear_empty_state(client, alice, catalogue):
    client.force_login(alice)
    response = client.get(reverse("courses:catalogue"), {"q": "量子力学"})
    assert response.context["page"].paginator.count == 0
    assert "条件に合う講座はありません。" in response.content.decode()


def test_the_catalogue_is_paginated(client, alice):
    provider = make_provider()
    for _ in range(25):
        make_course(provider=provider)
    client.force_login(alice)
    first = client.get(reverse("courses:catalogue"))
    second = client.get(reverse("courses:catalogue"), {"page": 2})
    assert len(first.context["page"].object_list) == 20
    assert len(second.context["page"].object_list) == 5
    assert "page=2" in first.content.decode()


def test_the_catalogue_shows_english_titles_to_people_who_chose_english(client, alice, catalogue):
    alice.preferred_language = "en"
    alice.save()
    client.force_login(alice)
    content = client.get(reverse("courses:catalogue"), {"q": "行政"}).content.decode()
    assert "Administrative Law" in content


def test_unpublished_courses_are_not_shown(client, alice):
    make_course(title="準備中の講座", is_published=False)
    client.force_login(alice)
    assert client.get(reverse("courses:catalogue")).context["page"].paginator.count == 0
    assert client.get(reverse("courses:detail", args=["NOPE"])).status_code == 404


# --- Course page --------------------------------------------------------------------------


def test_the_course_page_shows_details_skills_cost_share_and_badge(client, alice, catalogue):
    client.force_login(alice)
    response = client.get(reverse("courses:detail", args=["CHUO-GYOSEI"]))
    content = response.content.decode()
    assert response.status_code == 200
    for text in ("行政法", "中央大学法学部 通信教育課程", "法務", "行政法 修了", "10,000", "この講座に申し込む"):
        assert text in content, text


def test_course_codes_in_addresses_are_not_case_sensitive(client, alice, catalogue):
    client.force_login(alice)
    assert client.get(reverse("courses:detail", args=["chuo-gyosei"])).status_code == 200


def test_a_closed_course_has_no_request_button(client, alice, catalogue):
    client.force_login(alice)
    content = client.get(reverse("courses:detail", args=["CITY-BOSAI"])).content.decode()
    assert "現在申込を受け付けていません。" in content
    assert reverse("courses:request", args=["CITY-BOSAI"]) not in content


# --- Requesting -----------------------------------------------------------------------------


def test_a_staff_member_requests_a_course_in_two_steps(client, alice, catalogue):
    client.force_login(alice)
    url = reverse("courses:request", args=["CHUO-GYOSEI"])
    form = client.get(url)
    assert form.status_code == 200
    assert "10,000" in form.content.decode()  # the staff share, before choosing
    data = {"use_type": "promotion", "reason": "昇任選考に活用したい"}
    confirm = client.post(url, data)
    assert confirm.templates[0].name == "courses/request_confirm.html"
    assert not Enrolment.objects.exists()
    done = client.post(url, {**data, "confirm": "1"})
    assert done.status_code == 302 and done["Location"] == reverse("courses:my_learning")
    enrolment = Enrolment.objects.get()
    assert (enrolment.staff, enrolment.use_type, enrolment.state) == (alice, "promotion", "requested")


def test_the_request_form_needs_a_use_type_and_a_reason(client, alice, catalogue):
    client.force_login(alice)
    response = client.post(reverse("courses:request", args=["CHUO-GYOSEI"]), {"use_type": "", "reason": ""})
    assert response.templates[0].name == "courses/request.html"
    assert response.context["form"].errors.keys() == {"use_type", "reason"}


def test_submitting_a_request_twice_keeps_one_and_says_so(client, alice, catalogue):
    client.force_login(alice)
    url = reverse("courses:request", args=["CHUO-GYOSEI"])
    data = {"use_type": "self_development", "reason": "理由", "confirm": "1"}
    client.post(url, data)
    second = client.post(url, data, follow=True)
    assert Enrolment.objects.count() == 1
    assert "この講座には既に申し込んでいます。" in second.content.decode()


def test_a_request_that_arrives_twice_at_the_service_is_refused_cleanly(client, alice, catalogue, monkeypatch):
    # The page's own check is passed (a second tab), so the service's refusal is what shows.
    client.force_login(alice)
    url = reverse("courses:request", args=["CHUO-GYOSEI"])
    make_enrolment(staff=alice, course=catalogue["gyosei"])
    monkeypatch.setattr("courses.views.selectors.live_enrolment", lambda **kw: None)
    response = client.post(url, {"use_type": "self_development", "reason": "理由", "confirm": "1"}, follow=True)
    assert Enrolment.objects.count() == 1
    assert "この講座には既に申し込んでいます。" in response.content.decode()


def test_requesting_outside_the_window_is_refused(client, alice, catalogue):
    client.force_login(alice)
    url = reverse("courses:request", args=["CITY-BOSAI"])
    response = client.post(url, {"use_type": "self_development", "reason": "理由", "confirm": "1"}, follow=True)
    assert not Enrolment.objects.exists()
    assert "この講座は現在申込を受け付けていません。" in response.content.decode()


def test_a_full_course_can_be_requested_with_a_waiting_list_warning(client, alice, dave, catalogue):
    course = catalogue["kenpo"]
    course.capacity = 1
    course.save()
    make_enrolment(staff=dave, course=course, state="approved")
    client.force_login(alice)
    detail = client.get(reverse("courses:detail", args=[course.code])).content.decode()
    assert "この講座は満席です。" in detail
    url = reverse("courses:request", args=[course.code])
    client.post(url, {"use_type": "self_development", "reason": "理由", "confirm": "1"})
    assert Enrolment.objects.get(staff=alice).state == "requested"


# --- My learning --------------------------------------------------------------------------


def test_my_learning_shows_every_request_with_status_history_and_results(client, alice, catalogue):
    make_enrolment(staff=alice, course=catalogue["gyosei"], state="recommended")
    make_enrolment(staff=alice, course=catalogue["kenpo"], state="completed", grade="優")
    make_enrolment(staff=alice, course=catalogue["bosai"], state="withdrawn")
    client.force_login(alice)
    response = client.get(reverse("courses:my_learning"))
    content = response.content.decode()
    assert [e.course.code for e in response.context["in_progress"]] == ["CHUO-GYOSEI"]
    assert [e.course.code for e in response.context["finished"]] == ["CHUO-KENPO"]
    assert [e.course.code for e in response.context["closed"]] == ["CITY-BOSAI"]
    assert "優" in content
    assert "所属長推薦済み" in content
    assert content.count('<details class="history">') == 3


def test_my_learning_lists_upcoming_deadlines(client, alice, catalogue):
    make_enrolment(staff=alice, course=catalogue["gyosei"], state="approved")
    client.force_login(alice)
    deadlines = client.get(reverse("courses:my_learning")).context["deadlines"]
    assert [d.day for d in deadlines] == [catalogue["gyosei"].starts_on, catalogue["gyosei"].ends_on]


def test_my_learning_shows_nobody_elses_enrolments(client, alice, dave, catalogue):
    make_enrolment(staff=dave, course=catalogue["gyosei"])
    client.force_login(alice)
    assert client.get(reverse("courses:my_learning")).context["in_progress"] == []


def test_withdrawing_from_my_learning(client, alice, catalogue):
    enrolment = make_enrolment(staff=alice, course=catalogue["gyosei"], state="recommended")
    client.force_login(alice)
    response = client.post(reverse("courses:withdraw", args=[enrolment.pk]), {"confirm": "1"}, follow=True)
    enrolment.refresh_from_db()
    assert enrolment.state == "withdrawn"
    assert "「行政法」の申込を取り下げました。" in response.content.decode()


def test_withdrawing_someone_elses_enrolment_is_not_found(client, alice, dave, catalogue):
    enrolment = make_enrolment(staff=dave, course=catalogue["gyosei"])
    client.force_login(alice)
    assert client.post(reverse("courses:withdraw", args=[enrolment.pk])).status_code == 404
    enrolment.refresh_from_db()
    assert enrolment.state == "requested"


def test_withdrawing_asks_first_and_a_get_changes_nothing(client, alice, catalogue):
    enrolment = make_enrolment(staff=alice, course=catalogue["gyosei"])
    client.force_login(alice)
    assert client.get(reverse("courses:withdraw", args=[enrolment.pk])).status_code == 200
    enrolment.refresh_from_db()
    assert enrolment.state == "requested"


def test_withdrawing_a_completed_course_is_refused_with_a_message(client, alice, catalogue):
    enrolment = make_enrolment(staff=alice, course=catalogue["gyosei"], state="completed")
    client.force_login(alice)
    response = client.post(reverse("courses:withdraw", args=[enrolment.pk]), {"confirm": "1"}, follow=True)
    assert "この申込は「修了」のため、取り下げできません。" in response.content.decode()


def test_the_navigation_and_home_page_link_to_the_course_pages(client, alice, bob):
    client.force_login(alice)
    content = client.get(reverse("home")).content.decode()
    assert reverse("courses:catalogue") in content
    assert reverse("courses:my_learning") in content
    assert reverse("courses:approvals") not in content
    client.force_login(bob)
    assert reverse("courses:approvals") in client.get(reverse("home")).content.decode()


def test_course_pages_load_no_inline_script_or_style(client, alice, catalogue):
    client.force_login(alice)
    for url in (
        reverse("courses:catalogue"),
        reverse("courses:detail", args=["CHUO-GYOSEI"]),
        reverse("courses:request", args=["CHUO-GYOSEI"]),
        reverse("courses:my_learning"),
    ):
        content = client.get(url).content.decode()
        assert "<script" not in content and "style=" not in content and "<style" not in content, url
