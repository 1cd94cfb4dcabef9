"""The catalogue's course cards and filter form come from the cache (courses/fragments.py):
every change a card or the form shows must be on the very next page, with no deletion anywhere."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from courses.models import Course, Enrolment, Provider, Skill
from courses.services import enrolment_request, enrolment_withdraw
from tests.factories import make_course, make_enrolment, make_provider, make_skill, make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clear_cache")]


@pytest.fixture
def course(db):  # type: ignore[no-untyped-def]
    provider = make_provider(code="CHUO-LAW", name="中央大学法学部", name_en="Chuo University Faculty of Law")
    law = make_skill(code="LAW", name="法務", name_en="Legal affairs")
    return make_course(
        code="CHUO-GYOSEI",
        title="行政法",
        title_en="Administrative Law",
        provider=provider,
        skills={law: 2},
        capacity=3,
    )


def card(client, code: str = "CHUO-GYOSEI", query: str = "") -> str:  # type: ignore[no-untyped-def]
    """The card of one course on the catalogue page, as served."""
    response = client.get(reverse("courses:catalogue") + query)
    assert response.status_code == 200
    for item in response.content.decode().split('<li class="course-card">')[1:]:
        if f'href="/courses/{code}/"' in item:
            return item[: item.index("</p>\n  </li>")]
    raise AssertionError(f"no card for {code}")


def filters(client, query: str = "") -> str:  # type: ignore[no-untyped-def]
    page = client.get(reverse("courses:catalogue") + query).content.decode()
    start = page.index('<form method="get"')
    return page[start : page.index("</form>", start)]


def cached(prefix: str) -> list[str]:
    return [k for k in cache._cache if f":{prefix}:" in k]  # type: ignore[attr-defined]


def test_cards_and_the_form_are_kept_and_reused(client, alice, course):
    client.force_login(alice)
    first = client.get(reverse("courses:catalogue")).content.decode()
    assert len(cached("course-card")) == 1 and len(cached("catalogue-filters")) == 1
    second = client.get(reverse("courses:catalogue")).content.decode()
    strip = lambda text: re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)  # noqa: E731
    assert strip(second) == strip(first)
    assert len(cached("course-card")) == 1 and len(cached("catalogue-filters")) == 1


def test_a_seat_taken_by_someone_else_shows_at_once(client, alice, course):
    client.force_login(alice)
    assert "3 名中 残り 3 名" in card(client)
    make_enrolment(staff=make_staff(), course=course, state="approved")
    text = card(client)
    assert "3 名中 残り 2 名" in text
    for _ in range(2):
        make_enrolment(staff=make_staff(), course=course, state="approved")
    assert "満席（キャンセル待ち）" in card(client)


def test_the_viewers_own_request_and_withdrawal_show_at_once(client, alice, bob, course):
    client.force_login(alice)
    mine = "申込済み"
    assert mine not in card(client)
    enrolment = enrolment_request(staff=alice, course=course, use_type="self_development", reason="業務に活かすため")
    assert mine in card(client)
    # Another person's card for the same course does not say so.
    client.force_login(bob)
    assert mine not in card(client)
    client.force_login(alice)
    enrolment_withdraw(enrolment=enrolment, actor=alice)
    assert mine not in card(client)
    assert Enrolment.objects.get(pk=enrolment.pk).state == "withdrawn"


def test_course_edits_show_at_once(client, alice, course):
    client.force_login(alice)
    assert "行政法" in card(client)
    course.title = "行政法 II"
    course.cost, course.city_subsidy = 20000, 5000
    course.save()
    text = card(client)
    assert "行政法 II" in text and "15,000 円" in text
    # Even a write that leaves updated_at alone (a bulk update) is seen: the key is the content.
    Course.objects.filter(pk=course.pk).update(term="2026年度 後期")
    assert "2026年度 後期" in card(client)


def test_provider_and_skill_renames_show_at_once(client, alice, course):
    client.force_login(alice)
    assert "中央大学法学部" in card(client) and "法務" in card(client)
    Provider.objects.filter(code="CHUO-LAW").update(name="中央大学 法学部 通信教育課程")
    assert "中央大学 法学部 通信教育課程" in card(client)
    Skill.objects.filter(code="LAW").update(name="法務・コンプライアンス")
    assert "法務・コンプライアンス" in card(client)
    # and the filter form's choices too
    form = filters(client)
    assert "中央大学 法学部 通信教育課程" in form and "法務・コンプライアンス" in form


def test_a_language_switch_shows_the_other_language_at_once(client, alice, course):
    client.force_login(alice)
    ja = card(client)
    assert "行政法" in ja and "Administrative Law" not in ja
    assert client.post(reverse("staff:language_set"), {"language": "en", "next": "/courses/"}).status_code == 302
    en = card(client)
    assert "Administrative Law" in en and "Chuo University Faculty of Law" in en and "Legal affairs" in en
    assert 'aria-label="Search the catalogue"' in filters(client)
    assert client.post(reverse("staff:language_set"), {"language": "ja", "next": "/courses/"}).status_code == 302
    assert card(client) == ja


def test_the_form_shows_what_was_searched(client, alice, course):
    client.force_login(alice)
    plain = filters(client)
    assert 'value="CHUO-LAW" selected' not in plain
    chosen = filters(client, "?provider=CHUO-LAW&q=行政&open_now=on")
    assert 'value="CHUO-LAW" selected' in chosen and 'value="行政"' in chosen and "checked" in chosen
    assert "条件をすべてクリア" in chosen and "条件をすべてクリア" not in plain
    assert filters(client) == plain


def test_a_new_provider_appears_in_the_form_at_once(client, alice, course):
    client.force_login(alice)
    assert "市民大学" not in filters(client)
    make_course(provider=make_provider(code="SHIMIN", name="市民大学"))
    assert "市民大学" in filters(client)


def test_the_application_window_is_worded_for_today(client, alice, course):
    import datetime as dt

    from django.utils import timezone
    from django.utils.formats import date_format

    client.force_login(alice)
    closes = timezone.localdate() + dt.timedelta(days=1)
    Course.objects.filter(pk=course.pk).update(application_closes_on=closes)
    assert f"{date_format(closes, 'DATE_FORMAT')} まで" in card(client)
    # The key names the day: tomorrow's page is another entry (it would say "Closed" the day after).
    from courses import fragments

    course = Course.objects.get(pk=course.pk)
    course.seats_taken, course.my_state, course.card_skills = 0, None, []  # catalogue_courses' annotations
    keys = {fragments.card_key(course, today=day, language="ja") for day in (closes, closes + dt.timedelta(days=1))}
    assert len(keys) == 2
