"""The .ics calendar file of an approved course (issue 13; courses/calendar.py): what a
calendar application reads from it (parsed back with the icalendar library), and that only the
person whose enrolment it is can download it.

The Japanese link text 「カレンダーに追加 (.ics)」 is in docs/_pending_translations/reminders.po
until the lead merges it into locale/ja.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import unquote

import icalendar
import pytest
from django.urls import reverse

from tests.factories import make_course, make_enrolment, make_provider, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(db):  # type: ignore[no-untyped-def]
    return make_course(
        code="CHUO-GYOSEI",
        title="行政法",
        title_en="Administrative Law",
        provider=make_provider(name="中央大学法学部 通信教育課程", name_en="Chuo University, Faculty of Law"),
        term="2026年度 前期",
        starts_on=dt.date(2026, 6, 17),
        ends_on=dt.date(2026, 9, 15),
    )


def _url(enrolment) -> str:  # type: ignore[no-untyped-def]
    return reverse("courses:calendar", args=[enrolment.pk])


def _event(response) -> icalendar.Event:  # type: ignore[no-untyped-def]
    calendar = icalendar.Calendar.from_ical(response.content)
    (event,) = calendar.walk("VEVENT")
    return event


def test_an_approved_course_downloads_as_one_all_day_event_from_its_first_to_its_last_day(client, alice, course):
    enrolment = make_enrolment(staff=alice, course=course, state="approved")
    client.force_login(alice)
    response = client.get(_url(enrolment))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.content)
    assert str(calendar["VERSION"]) == "2.0" and calendar["PRODID"]
    event = _event(response)
    # All-day: dates, not times; DTEND is the day after the last day (exclusive).
    assert event.decoded("DTSTART") == dt.date(2026, 6, 17)
    assert event.decoded("DTEND") == dt.date(2026, 9, 16)
    assert not isinstance(event.decoded("DTSTART"), dt.datetime)
    assert str(event["SUMMARY"]) == "行政法"
    assert str(event["URL"]).endswith("/courses/CHUO-GYOSEI/")
    description = str(event["DESCRIPTION"])
    assert "中央大学法学部 通信教育課程" in description and "CHUO-GYOSEI" in description
    assert "2026年度 前期" in description
    assert str(event["UID"]) == f"enrolment-{enrolment.pk}@127.0.0.1"
    assert event["DTSTAMP"]


def test_the_file_is_named_after_the_course_in_the_page_language(client, alice, course):
    enrolment = make_enrolment(staff=alice, course=course, state="approved")
    client.force_login(alice)
    disposition = client.get(_url(enrolment))["Content-Disposition"]
    assert disposition.startswith('attachment; filename="CHUO-GYOSEI.ics"; ')
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == "行政法.ics"
    assert encoded == "%E8%A1%8C%E6%94%BF%E6%B3%95.ics"  # only ASCII in the header itself


def test_staff_who_read_in_english_get_the_english_title(client, department, course):
    reader = make_staff(department=department, preferred_language="en")
    enrolment = make_enrolment(staff=reader, course=course, state="approved")
    client.force_login(reader)
    response = client.get(_url(enrolment))
    event = _event(response)
    assert str(event["SUMMARY"]) == "Administrative Law"
    assert "Chuo University, Faculty of Law" in str(event["DESCRIPTION"])
    assert unquote(response["Content-Disposition"].split("filename*=UTF-8''", 1)[1]) == "Administrative Law.ics"


def test_the_uid_stays_the_same_so_downloading_again_updates_the_event(client, alice, course):
    enrolment = make_enrolment(staff=alice, course=course, state="approved")
    other = make_enrolment(staff=alice, course=make_course(), state="approved")
    client.force_login(alice)
    first, again = _event(client.get(_url(enrolment))), _event(client.get(_url(enrolment)))
    assert first["UID"] == again["UID"]
    assert _event(client.get(_url(other)))["UID"] != first["UID"]


def test_a_course_without_an_end_date_is_one_day(client, alice):
    single = make_course(starts_on=dt.date(2026, 7, 1), ends_on=None)
    enrolment = make_enrolment(staff=alice, course=single, state="approved")
    client.force_login(alice)
    event = _event(client.get(_url(enrolment)))
    assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (dt.date(2026, 7, 1), dt.date(2026, 7, 2))


def test_only_the_owner_can_download_it(client, alice, bob, carol, dave, course):
    enrolment = make_enrolment(staff=alice, course=course, state="approved")
    assert client.get(_url(enrolment)).status_code == 302  # to sign in
    for person in (dave, bob, carol):  # another person, her head of section, HR
        client.force_login(person)
        assert client.get(_url(enrolment)).status_code == 404, person
    client.force_login(alice)
    assert client.get(reverse("courses:calendar", args=[enrolment.pk + 1000])).status_code == 404


def test_a_completed_course_has_one_and_a_request_not_yet_approved_has_none(client, alice, course, department):
    client.force_login(alice)
    completed = make_enrolment(staff=alice, course=make_course(), state="completed")
    assert client.get(_url(completed)).status_code == 200
    for state in ("requested", "recommended", "waitlisted", "rejected", "withdrawn", "not_completed"):
        enrolment = make_enrolment(staff=alice, course=make_course(), state=state)
        assert client.get(_url(enrolment)).status_code == 404, state
    undated = make_enrolment(staff=alice, course=make_course(starts_on=None, ends_on=None), state="approved")
    assert client.get(_url(undated)).status_code == 404


def test_my_learning_and_the_course_page_offer_the_file_for_an_approved_course_only(client, alice, course):
    approved = make_enrolment(staff=alice, course=course, state="approved")
    waiting = make_enrolment(staff=alice, course=make_course(code="CITY-BOSAI"), state="requested")
    client.force_login(alice)
    page = client.get(reverse("courses:my_learning")).content.decode()
    assert page.count('class="calendar-link"') == 1
    assert f'href="{_url(approved)}" download' in page
    assert _url(waiting) not in page
    assert "カレンダーに追加 (.ics)" in page
    detail = client.get(reverse("courses:detail", args=[course.code])).content.decode()
    assert f'href="{_url(approved)}" download' in detail
    other = client.get(reverse("courses:detail", args=["CITY-BOSAI"])).content.decode()
    assert "calendar-link" not in other
