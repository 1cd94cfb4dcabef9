"""A NUL character in a URL is a 400, never a 500 (PostgreSQL refuses NUL in text, so a NUL that
reached a lookup raised in the database). Issue 12, part 5."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _client(person) -> Client:  # type: ignore[no-untyped-def]
    client = Client(raise_request_exception=False)  # a 500 is an answer here, not an exception
    client.force_login(person)
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/badges/record/%00/",
        "/hr/people/%00/",
        "/hr/people/100001%00/",
        "/admin/staff/staffmember/?q=%00",
        "/admin/staff/staffmember/%00/change/",
        "/admin/badges/award/?status=%00",
        "/admin/courses/enrolment/?q=a%00b",
        "/hr/people/?q=%00",
        "/courses/?q=%00",
    ],
)
def test_a_nul_byte_in_the_url_is_a_bad_request_for_hr(path, carol):
    assert _client(carol).get(path).status_code == 400


def test_a_nul_byte_is_a_bad_request_for_a_head_of_section_and_for_anyone(bob):
    assert _client(bob).get("/badges/record/%00/").status_code == 400
    assert Client(raise_request_exception=False).get("/public/verify/?url=%00").status_code == 400


def test_an_encoded_percent_sign_is_still_an_ordinary_search(carol, alice):
    make_staff(family_name="百%00", employee_number="100050")
    response = _client(carol).get("/admin/staff/staffmember/?q=%2500")
    assert response.status_code == 200
    assert "100050" in response.content.decode()
