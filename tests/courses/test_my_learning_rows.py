"""The rows of "My learning" come from the cache (courses/fragments.py), keyed on everything
they show: every change to an enrolment, its course, its history or its badge is on the very
next page, with nothing deleted anywhere."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from courses.models import Course, EnrolmentEvent
from courses.services import enrolment_withdraw
from tests.factories import make_course, make_enrolment, make_provider

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clear_cache")]

URL = "/courses/my-learning/"


@pytest.fixture
def enrolment(alice):  # type: ignore[no-untyped-def]
    provider = make_provider(name="中央大学法学部", name_en="Chuo University Faculty of Law")
    course = make_course(code="CHUO-GYOSEI", title="行政法", title_en="Administrative Law", provider=provider)
    return make_enrolment(staff=alice, course=course, state="requested")


def section(page: str, heading_id: str) -> str:
    start = page.index(f'id="{heading_id}"')
    return page[start : page.index("</section>", start)]


def rows_cached() -> list[str]:
    return [k for k in cache._cache if ":my-learning-row:" in k]  # type: ignore[attr-defined]


def test_rows_are_kept_and_reused_and_read_the_same(client, alice, enrolment):
    client.force_login(alice)
    first = client.get(URL)
    assert "courses/_my_learning_row.html" in [t.name for t in first.templates]
    assert len(rows_cached()) == 1
    second = client.get(URL)
    assert "courses/_my_learning_row.html" not in [t.name for t in second.templates]  # from the cache
    strip = lambda text: re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)  # noqa: E731
    assert strip(second.content.decode()) == strip(first.content.decode())
    assert "行政法" in section(second.content.decode(), "progress-heading")


def test_a_withdrawal_moves_the_row_at_once(client, alice, enrolment):
    client.force_login(alice)
    assert "行政法" in section(client.get(URL).content.decode(), "progress-heading")
    enrolment_withdraw(enrolment=enrolment, actor=alice, comment="日程が合わないため")
    page = client.get(URL).content.decode()
    assert "行政法" not in section(page, "progress-heading")
    closed = section(page, "closed-heading")
    assert "行政法" in closed and "日程が合わないため" in closed  # the new event in the history


def test_a_new_event_and_a_renamed_actor_show_at_once(client, alice, bob, enrolment):
    client.force_login(alice)
    client.get(URL)
    EnrolmentEvent.objects.create(
        enrolment=enrolment, from_state="requested", to_state="requested", actor=bob, comment="確認中です"
    )
    page = client.get(URL).content.decode()
    assert "確認中です" in page and "佐藤 一郎" in page
    type(bob).objects.filter(pk=bob.pk).update(family_name="高橋")
    page = client.get(URL).content.decode()
    assert "高橋 一郎" in page and "佐藤 一郎" not in page


def test_a_course_edit_shows_at_once_even_by_a_bulk_update(client, alice, enrolment):
    client.force_login(alice)
    client.get(URL)
    Course.objects.filter(pk=enrolment.course_id).update(title="行政法 入門")  # no signal, no updated_at
    assert "行政法 入門" in section(client.get(URL).content.decode(), "progress-heading")


def test_a_language_switch_shows_the_rows_in_the_other_language_at_once(client, alice, enrolment):
    client.force_login(alice)
    assert "行政法" in section(client.get(URL).content.decode(), "progress-heading")
    alice.preferred_language = "en"
    alice.save(update_fields=["preferred_language"])
    rows = section(client.get(URL).content.decode(), "progress-heading")
    assert "Administrative Law" in rows and "Chuo University Faculty of Law" in rows and "History" in rows
    assert len(rows_cached()) == 2  # one row per language


def test_a_place_on_the_waiting_list_shows_at_once(client, alice, bob, enrolment):
    course = enrolment.course
    enrolment.delete()
    ahead = make_enrolment(staff=bob, course=course, state="waitlisted")
    make_enrolment(staff=alice, course=course, state="waitlisted")
    client.force_login(alice)
    assert "キャンセル待ち 2 番目" in section(client.get(URL).content.decode(), "progress-heading")
    ahead.delete()
    rows = section(client.get(URL).content.decode(), "progress-heading")
    assert "キャンセル待ち 1 番目" in rows and "キャンセル待ち 2 番目" not in rows
