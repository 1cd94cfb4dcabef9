"""A head of section recommends several requests at once, and a decline without a reason is
shown on its own field (issue 13, heads of section).

The Japanese texts checked here are in docs/_pending_translations/heads.po until the lead
merges it into locale/ja.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.urls import reverse

from courses.models import Enrolment, EnrolmentEvent
from courses.services import enrolment_withdraw, enrolments_bulk_recommend
from staff.models import OutgoingEmail
from tests.factories import make_course, make_enrolment, make_staff

pytestmark = pytest.mark.django_db

BULK = reverse("courses:recommend_many")
APPROVALS = reverse("courses:approvals")


class Elements(HTMLParser):
    """Every start tag of a page with its attributes, and the text of each element with an id."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self._open: list[tuple[str, str | None]] = []
        self.text_by_id: dict[str, str] = {}
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v if v is not None else "" for k, v in attrs}
        self.tags.append((tag, attributes))
        if tag not in {"input", "br", "meta", "link", "img", "hr"}:
            self._open.append((tag, attributes.get("id")))
            if attributes.get("id"):
                self.text_by_id[attributes["id"]] = ""

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            open_tag, _id = self._open.pop()
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for _tag, element_id in self._open:
            if element_id:
                self.text_by_id[element_id] += data

    def find(self, **attrs: str) -> dict[str, str]:
        found = [a for _t, a in self.tags if all(a.get(k) == v for k, v in attrs.items())]
        assert len(found) == 1, (attrs, found)
        return found[0]

    def all(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


@pytest.fixture
def course(db):  # type: ignore[no-untyped-def]
    return make_course(code="CHUO-GYOSEI", title="行政法")


@pytest.fixture
def two(alice, department, course):  # type: ignore[no-untyped-def]
    other = make_staff(department=department, family_name="田中", given_name="次郎")
    return [make_enrolment(staff=alice, course=course), make_enrolment(staff=other, course=make_course(title="憲法"))]


def _messages(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_a_head_recommends_two_requests_in_one_post(client, bob, two):
    client.force_login(bob)
    response = client.post(BULK, {"enrolment": [str(e.pk) for e in two]}, follow=True)
    assert [Enrolment.objects.get(pk=e.pk).state for e in two] == ["recommended", "recommended"]
    assert _messages(response) == [
        "2 件の申込を推薦しました。人事課に送られます: 山田 花子（行政法）、田中 次郎（憲法）。"
    ]
    # Both are now in "your recent decisions", and none awaits any more.
    assert {e.pk for e in response.context["decided"]} == {e.pk for e in two}
    assert response.context["awaiting"] == []
    for e in two:
        event = EnrolmentEvent.objects.filter(enrolment=e).latest("pk")
        assert (event.from_state, event.to_state, event.actor_id) == ("requested", "recommended", bob.pk)


def test_the_comment_of_a_bulk_recommendation_goes_with_each_request(client, bob, two):
    client.force_login(bob)
    client.post(BULK, {"enrolment": [str(e.pk) for e in two], "comment": "  二人とも推薦します "})
    assert [EnrolmentEvent.objects.filter(enrolment=e).latest("pk").comment for e in two] == ["二人とも推薦します"] * 2


def test_a_request_withdrawn_meanwhile_gets_its_own_message_and_the_other_goes_through(client, alice, bob, two):
    page_ids = [str(e.pk) for e in two]  # the page bob has open
    enrolment_withdraw(enrolment=two[0], actor=alice)
    client.force_login(bob)
    response = client.post(BULK, {"enrolment": page_ids}, follow=True)
    assert [Enrolment.objects.get(pk=e.pk).state for e in two] == ["withdrawn", "recommended"]
    assert _messages(response) == [
        "1 件の申込を推薦しました。人事課に送られます: 田中 次郎（憲法）。",
        "山田 花子 さんの「行政法」は推薦できませんでした。"
        "推薦できるのは新しい申込だけです。この申込は「取下げ」です。",
    ]


def test_submitting_the_same_selection_twice_does_nothing_the_second_time(client, bob, carol, two):
    client.force_login(bob)
    data = {"enrolment": [str(e.pk) for e in two]}
    client.post(BULK, data, follow=True)  # the first submit, and its page (showing its message)
    events, emails = EnrolmentEvent.objects.count(), OutgoingEmail.objects.count()
    response = client.post(BULK, data, follow=True)
    assert (EnrolmentEvent.objects.count(), OutgoingEmail.objects.count()) == (events, emails)
    assert _messages(response) == [
        "山田 花子 さんの「行政法」は推薦済みです。変更はありません。",
        "田中 次郎 さんの「憲法」は推薦済みです。変更はありません。",
    ]


def test_requests_of_other_departments_are_neither_recommended_nor_named(client, bob, dave, course, two):
    theirs = make_enrolment(staff=dave, course=course)
    client.force_login(bob)
    response = client.post(BULK, {"enrolment": [str(theirs.pk), str(two[0].pk), "999999"]}, follow=True)
    assert Enrolment.objects.get(pk=theirs.pk).state == "requested"
    assert Enrolment.objects.get(pk=two[0].pk).state == "recommended"
    assert "2 件は、あなたの所属の職員の申込に見つかりませんでした。" in _messages(response)[-1]
    assert "高橋" not in response.content.decode()  # dave's family name


def test_a_bulk_recommendation_without_a_ticked_request_says_so(client, bob, two):
    client.force_login(bob)
    response = client.post(BULK, {"enrolment": []}, follow=True)
    assert _messages(response) == ["推薦する申込を 1 件以上選択してください。"]
    assert [Enrolment.objects.get(pk=e.pk).state for e in two] == ["requested", "requested"]


def test_only_heads_of_section_may_recommend_in_bulk(client, alice, two):
    client.force_login(alice)
    assert client.post(BULK, {"enrolment": [str(two[1].pk)]}).status_code == 403
    assert client.get(BULK).status_code == 405
    assert Enrolment.objects.get(pk=two[1].pk).state == "requested"


def test_the_bulk_service_recommends_each_in_its_own_transaction(bob, two, django_capture_on_commit_callbacks):
    """A refusal in the middle rolls back nothing of the others: each request commits alone."""
    outsider = make_enrolment(staff=make_staff(), course=two[0].course)  # not bob's to decide
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        outcome = enrolments_bulk_recommend(enrolments=[two[0], outsider, two[1]], actor=bob)
    assert [e.pk for e in outcome.done] == [two[0].pk, two[1].pk]
    assert [(e.pk, reason) for e, reason in outcome.errors] == [
        (outsider.pk, "あなたはこの職員の所属長ではありません。")
    ]
    # Two recommendations, each with its own commit (the staff member's email each), then one
    # transaction for HR's email about both (no HR member here: nothing written).
    assert len(callbacks) == 2


def test_the_approvals_page_ticks_each_request_into_one_bulk_form(client, bob, two):
    client.force_login(bob)
    page = Elements(client.get(APPROVALS).content.decode())
    form = page.find(id="bulk-recommend")
    assert (form["method"], form["action"]) == ("post", BULK)
    boxes = page.all("input", type="checkbox", form="bulk-recommend")
    assert [b["value"] for b in boxes] == [str(e.pk) for e in two]
    assert not any("checked" in b for b in boxes)
    # Without JavaScript, "select all" is a link that shows the page with every box ticked.
    link = page.find(**{"data-select-all": ""})
    assert link["href"] == "?select=all"
    ticked = Elements(client.get(APPROVALS + "?select=all").content.decode())
    assert all("checked" in b for b in ticked.all("input", type="checkbox", form="bulk-recommend"))


# --- Declining without a comment -----------------------------------------------------------


def test_declining_without_a_comment_marks_the_field_keeps_the_choice_and_focuses_it(client, bob, two):
    enrolment = two[1]
    client.force_login(bob)
    response = client.post(reverse("courses:decide", args=[enrolment.pk]), {"decision": "decline", "comment": " "})
    assert response.status_code == 200  # the page again, nothing saved
    assert Enrolment.objects.get(pk=enrolment.pk).state == "requested"
    page = Elements(response.content.decode())
    field = page.find(id=f"id_e{enrolment.pk}_comment")
    assert field["aria-invalid"] == "true"
    assert "autofocus" in field
    described = field["aria-describedby"].split()
    error_id = f"id_e{enrolment.pk}_comment_error"
    assert error_id in described and all(i in page.text_by_id for i in described)
    assert page.text_by_id[error_id].strip() == "推薦しない理由を入力してください。"
    decline = page.find(id=f"id_e{enrolment.pk}_decision_1")
    assert (decline["value"], "checked" in decline) == ("decline", True)
    assert "checked" not in page.find(id=f"id_e{enrolment.pk}_decision_0")
    # The other request's form is untouched: one field in the page is invalid and focused.
    assert len([a for _t, a in page.tags if "autofocus" in a]) == 1
    assert "aria-invalid" not in page.find(id=f"id_e{two[0].pk}_comment")
    assert "checked" not in page.find(id=f"id_e{two[0].pk}_decision_1")


def test_a_decision_without_a_choice_focuses_the_choice(client, bob, two):
    client.force_login(bob)
    response = client.post(reverse("courses:decide", args=[two[0].pk]), {"comment": "どうしよう"})
    page = Elements(response.content.decode())
    first = page.find(id=f"id_e{two[0].pk}_decision_0")
    assert "autofocus" in first and first["aria-invalid"] == "true"
    assert page.find(id=f"id_e{two[0].pk}_comment").get("aria-invalid") is None
    assert "どうしよう" in page.text_by_id[f"id_e{two[0].pk}_comment"]  # what was typed is kept


def test_a_decline_on_the_second_page_shows_the_second_page_again(client, bob, department, course):
    for _ in range(21):
        make_enrolment(staff=make_staff(department=department), course=course)
    last = Enrolment.objects.order_by("requested_at", "pk").last()
    client.force_login(bob)
    response = client.post(reverse("courses:decide", args=[last.pk]), {"decision": "decline", "page": "2"})
    assert response.status_code == 200
    assert [e.pk for e in response.context["awaiting"]] == [last.pk]
    assert response.context["awaiting"][0].form.errors
