"""Who may use the HR insight pages, and that every view of a person's record is logged."""

from __future__ import annotations

import pytest
from django.urls import reverse

from staff.models import RecordAccess
from staff.services import department_set_heads
from tests.factories import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_head(city):  # type: ignore[no-untyped-def]
    """The head of 総務部: a head of section, but not of alice's department."""
    person = make_staff(employee_number="100010", family_name="渡辺", given_name="誠", department=city.general)
    department_set_heads(department=city.general, heads=[person])
    return person


@pytest.fixture
def superuser(db):  # type: ignore[no-untyped-def]
    return make_staff(employee_number="100011", is_staff=True, is_superuser=True, mfa=True)


PAGES = {
    "dashboard": (reverse("hr:dashboard"), {}),
    "people": (reverse("hr:people"), {"skill": "DATA"}),
    "export_csv": (reverse("hr:people_export_csv"), {"skill": "DATA"}),
    "export_xlsx": (reverse("hr:people_export_xlsx"), {"skill": "DATA"}),
    "profile": (reverse("hr:profile", args=["100001"]), {}),  # alice, in 福祉政策課
    "matrix": (reverse("hr:matrix"), {}),
    "access_log": (reverse("hr:access_log"), {}),
}
# persona → status for each page (anonymous users are sent to sign in).
EXPECTED = {
    "anonymous": dict.fromkeys(PAGES, 302),
    "alice": dict.fromkeys(PAGES, 403),
    "dave": dict.fromkeys(PAGES, 403),
    "bob": {**dict.fromkeys(PAGES, 200), "access_log": 403},
    "other_head": {**dict.fromkeys(PAGES, 200), "profile": 403, "access_log": 403},
    "carol": dict.fromkeys(PAGES, 200),
    "superuser": dict.fromkeys(PAGES, 200),
}


@pytest.mark.parametrize("persona", list(EXPECTED))
@pytest.mark.parametrize("page", list(PAGES))
def test_each_page_answers_each_persona_as_expected(client, request, city, persona, page):
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    url, params = PAGES[page]
    response = client.get(url, params)
    assert response.status_code == EXPECTED[persona][page], (persona, page)
    if persona == "anonymous":
        assert reverse("account_login") in response["Location"]


def test_a_head_filtering_another_department_is_refused_not_shown_an_empty_page(client, city, bob):
    client.force_login(bob)
    for code in ("20", "40", "4020"):  # 総務部, 福祉部 (above bob's section), a sibling section
        assert client.get(reverse("hr:people"), {"department": code}).status_code == 403
        assert client.get(reverse("hr:people_export_csv"), {"department": code}).status_code == 403
        assert client.get(reverse("hr:matrix"), {"department": code}).status_code == 403
    assert client.get(reverse("hr:people"), {"department": "4010"}).status_code == 200


def test_a_head_cannot_open_the_profile_of_someone_outside_their_departments(client, city, bob):
    client.force_login(bob)
    assert client.get(reverse("hr:profile", args=["100005"])).status_code == 403  # erika, 障害者福祉課
    assert client.get(reverse("hr:profile", args=["100004"])).status_code == 403  # dave, 総務部
    assert not RecordAccess.objects.exists()


def test_opening_a_profile_writes_exactly_one_access_log_entry(client, city, carol):
    client.force_login(carol)
    response = client.get(reverse("hr:profile", args=["100001"]))
    assert response.status_code == 200
    entry = RecordAccess.objects.get()
    assert (entry.viewer, entry.subject) == (carol, city.people["alice"])
    assert entry.purpose == "hr_search"
    assert entry.path == reverse("hr:profile", args=["100001"])


def test_a_head_opening_a_profile_is_logged_as_a_head_of_section_review(client, city, bob):
    client.force_login(bob)
    assert client.get(reverse("hr:profile", args=["100001"])).status_code == 200
    assert RecordAccess.objects.get().purpose == "head_review"


def test_searching_and_the_other_pages_log_nothing(client, city, carol):
    client.force_login(carol)
    for name in ("dashboard", "people", "matrix", "access_log"):
        url, params = PAGES[name]
        client.get(url, params)
    assert not RecordAccess.objects.exists()


def test_an_unknown_employee_number_is_not_found(client, city, carol):
    client.force_login(carol)
    assert client.get(reverse("hr:profile", args=["999999"])).status_code == 404


def test_the_profile_shows_departments_training_badges_and_skills(client, city, carol):
    client.force_login(carol)
    page = client.get(reverse("hr:profile", args=["100001"])).content.decode()
    for text in ("福祉部 › 福祉政策課", "データ分析実践", "データ分析実践 修了", "データ活用"):
        assert text in page


def test_hr_reviews_the_log_filtered_by_person(client, city, carol, bob):
    client.force_login(bob)
    client.get(reverse("hr:profile", args=["100001"]))
    client.get(reverse("hr:profile", args=["100006"]))
    client.force_login(carol)
    response = client.get(reverse("hr:access_log"), {"person": "100001"})
    entries = list(response.context["page"].object_list)
    assert [(e.viewer, e.subject.employee_number) for e in entries] == [(bob, "100001")]
    assert "所属長による確認" in response.content.decode()


def test_the_nav_shows_hr_insight_to_hr_and_heads_only(client, city, alice, bob, carol):
    link = f'href="{reverse("hr:dashboard")}"'
    for person, shown in ((alice, False), (bob, True), (carol, True)):
        client.force_login(person)
        assert (link in client.get(reverse("home")).content.decode()) is shown
