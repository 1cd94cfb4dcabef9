"""HR's working day in the Django admin, in Chromium (issue 13): carol signs in with her TOTP
code, reads her to-do on the admin index (numbers that match the lists they link to), follows
one link, opens a request, approves it from its own page, and finds it in 「最近行った操作」.
The same pages at 375 px on a phone, and in English for an HR officer who chose it.

Measured as a person looks: the to-do and the decision buttons are on the screen and readable
(not squeezed), the decisions sit below the history, the message says what happened.
Screenshots of each step go to test-artifacts/screenshots/<test>/.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from badges import services as badge_services
from badges.models import Award
from courses.models import Enrolment
from tests.badges.conftest import bake_ob3, external_credential
from tests.browser.conftest import sign_in
from tests.browser.measure import DESKTOP, MEASURE, PHONE, WIDTHS
from tests.factories import DEFAULT_PASSWORD, make_badge_class, make_course, make_enrolment, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODO = """() => [...document.querySelectorAll('#hr-todo li')].map(li => {
  const link = li.querySelector('a'), count = li.querySelector('.todo-count');
  const box = li.getBoundingClientRect(), linkBox = link.getBoundingClientRect();
  return {key: li.className.replace('todo-', ''), label: link.innerText.trim(), href: link.getAttribute('href'),
          count: Number(count.dataset.count), shown: count.innerText.trim(),
          left: box.left, right: box.right, linkWidth: linkBox.width, linkHeight: linkBox.height,
          fontSize: parseFloat(getComputedStyle(link).fontSize)};
})"""

BUTTONS = """() => [...document.querySelectorAll('#decisions input[type=submit]')].map(b => {
  const r = b.getBoundingClientRect();
  return {value: b.value, left: r.left, right: r.right, width: r.width, height: r.height,
          fontSize: parseFloat(getComputedStyle(b).fontSize)};
})"""


@pytest.fixture
def day(alice, bob, dave, carol):  # type: ignore[no-untyped-def]
    course = make_course(code="CHUO-GYOSEI", title="行政法")
    request = make_enrolment(staff=alice, course=course, state="recommended", reason="審査請求の対応に必要なため")
    make_enrolment(staff=dave, course=make_course(title="防災研修"), state="waitlisted")
    badge = make_badge_class()
    failed, _ = badge_services.award_request(
        recipient=dave, badge_class=badge, source_key="enrolment:900", achieved_on=course.starts_on
    )
    Award.objects.filter(pk=failed.pk).update(status=Award.Status.FAILED, failure_reason="signing key missing")
    badge_services.external_badge_add(holder=alice, data=bake_ob3(external_credential(email=alice.email)))
    assert type(carol).objects.get(pk=carol.pk).has_perm("courses.change_enrolment"), "the HR role has no permissions"
    return request


def _no_horizontal_scroll(page: Any) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url}: {width} px wide"


def test_hr_works_through_the_to_do_and_approves_a_request_from_its_page(open_context, live_server, day, carol, shots):  # type: ignore[no-untyped-def]
    page = open_context(**DESKTOP).new_page()
    sign_in(page, live_server, carol.email, DEFAULT_PASSWORD, totp=totp_code())
    page.goto(f"{live_server.url}/admin/")
    shots(page, "index-with-to-do")

    # The to-do, first on the page: three lines, each with its number, readable and on screen.
    assert page.locator("#hr-todo h2").inner_text().strip() == "人事課の対応待ち"
    todo = {item["key"]: item for item in page.evaluate(TODO)}
    assert {k: (v["count"], v["shown"]) for k, v in todo.items()} == {
        "awaiting_hr": (2, "2 件"),
        "failed_awards": (1, "1 件"),
        "external_to_confirm": (1, "1 件"),
    }
    for item in todo.values():
        assert item["left"] >= 0 and item["right"] <= 1280 and item["fontSize"] >= 13, item
        assert item["linkHeight"] < 3 * item["fontSize"], f"{item['label']} wraps into a sliver"
    todo_box = page.locator("#hr-todo").bounding_box()
    apps_box = page.locator("#content-main .app-courses, #content-main .module").last.bounding_box()
    assert todo_box["y"] <= apps_box["y"], "the to-do comes before the app list"

    # Follow "requests awaiting HR": the list has as many rows as the number said.
    with page.expect_navigation():
        page.get_by_role("link", name=todo["awaiting_hr"]["label"]).click()
    assert "state=awaiting_hr" in page.url
    assert page.locator("#result_list tbody tr").count() == 2
    shots(page, "awaiting-hr-list")

    # Open alice's request and approve it from its own page.
    with page.expect_navigation():
        page.locator("#result_list tbody tr", has_text="山田 花子").locator("a").first.click()
    decisions = page.locator("#decisions")
    assert decisions.is_visible()
    assert page.locator("#events-group").bounding_box()["y"] < decisions.bounding_box()["y"]
    assert page.locator("input[name=_save]").count() == 0
    buttons = {b["value"]: b for b in page.evaluate(BUTTONS)}
    assert set(buttons) == {"承認する（定員超過時はキャンセル待ち）", "不承認にする"}
    for button in buttons.values():
        assert button["right"] <= 1280 and button["height"] >= 24, button
    shots(page, "enrolment-page-with-decisions")
    page.get_by_label("コメント（任意）").fill("予算確保済み")
    with page.expect_navigation():
        page.get_by_role("button", name="承認する（定員超過時はキャンセル待ち）").click()
    assert page.locator(".messagelist .success").inner_text().strip() == "承認しました。"
    assert "受講決定" in page.locator(".field-state").inner_text()
    assert "予算確保済み" in page.locator("#events-group").inner_text()
    shots(page, "approved")
    assert Enrolment.objects.get(pk=day.pk).state == "approved"

    # Back on the index: one request fewer, and the approval in 「最近行った操作」.
    page.goto(f"{live_server.url}/admin/")
    todo = {item["key"]: item for item in page.evaluate(TODO)}
    assert todo["awaiting_hr"]["count"] == 1
    recent = page.locator("#recent-actions-module")
    assert "利用不可" not in recent.inner_text()
    assert str(Enrolment.objects.get(pk=day.pk)) in recent.inner_text()
    shots(page, "recent-actions")


def test_on_a_phone_the_to_do_and_the_decisions_fit_the_screen(open_context, live_server, day, carol, shots):  # type: ignore[no-untyped-def]
    page = open_context(carol, **PHONE).new_page()
    page.goto(f"{live_server.url}/admin/")
    _no_horizontal_scroll(page)
    for item in page.evaluate(TODO):
        assert item["left"] >= 0 and item["right"] <= 375, item
        assert item["linkWidth"] >= 120, f"{item['label']} is squeezed into {item['linkWidth']} px"
    shots(page, "phone-index")
    page.goto(f"{live_server.url}/admin/courses/enrolment/{day.pk}/change/")
    page.locator("#decisions").scroll_into_view_if_needed()
    for button in page.evaluate(BUTTONS):
        assert button["left"] >= 0 and button["right"] <= 375, button
        assert button["height"] < 3 * button["fontSize"], f"{button['value']} wraps: {button}"
    form = page.locator("#decisions form").first.bounding_box()
    assert form["x"] >= 0 and form["x"] + form["width"] <= 375, form
    shots(page, "phone-enrolment-decisions")


def test_an_hr_officer_who_chose_english_reads_the_to_do_and_the_decisions_in_english(
    open_context, live_server, day, carol, shots
):  # type: ignore[no-untyped-def]
    carol.preferred_language = "en"
    carol.save(update_fields=["preferred_language"])
    page = open_context(carol, **DESKTOP).new_page()
    page.goto(f"{live_server.url}/admin/")
    assert page.locator("#hr-todo h2").inner_text().strip() == "Waiting for HR"
    labels = [item["label"] for item in page.evaluate(TODO)]
    assert labels == [
        "Requests awaiting HR (recommended or waiting)",
        "Badges whose issuing failed",
        "External badges to confirm",
    ]
    shots(page, "english-index")
    page.goto(f"{live_server.url}/admin/courses/enrolment/{day.pk}/change/")
    values = {b["value"] for b in page.evaluate(BUTTONS)}
    assert values == {"Approve (waiting list when the course is full)", "Reject"}
    shots(page, "english-enrolment-page")


# People's names and course titles are data entered in Japanese only; on an English page the
# admin shows them as they are (the header's name, the object's title in the breadcrumbs and
# above the form, list rows, field values, history, messages). The grade's help text gives
# Japanese grade words as examples of what HR types (「優」「合格」). Everything else, the
# admin's own words, is measured.
JAPANESE_DATA = (
    "#user-tools strong, .breadcrumbs, #content > h2, #result_list tbody, #events-group td, .readonly,"
    " #recent-actions-module li, .messagelist, .field-grade .help, .enrolment-decisions .help"
)


def _measure(page: Any, where: str) -> None:
    """Fail on what a person would stumble on (the enrolment's history included: on a phone its
    events are stacked label/value pairs, not a table wider than the screen)."""
    problems = page.evaluate(MEASURE, JAPANESE_DATA)
    assert not problems, f"{where}: what a person would stumble on:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("width", list(WIDTHS))
def test_an_hr_officer_who_chose_english_signs_in_with_totp_and_approves_from_the_request_page(
    open_context, live_server, day, carol, shots, width
):  # type: ignore[no-untyped-def]
    carol.preferred_language = "en"
    carol.save(update_fields=["preferred_language"])
    page = open_context(**WIDTHS[width]).new_page()
    sign_in(page, live_server, carol.email, DEFAULT_PASSWORD, totp=totp_code())
    page.goto(f"{live_server.url}/admin/")
    assert page.evaluate("() => document.documentElement.lang") == "en"
    expect(page.locator("#hr-todo h2")).to_have_text("Waiting for HR")
    todo = {item["key"]: item for item in page.evaluate(TODO)}
    assert {k: v["count"] for k, v in todo.items()} == {"awaiting_hr": 2, "failed_awards": 1, "external_to_confirm": 1}
    shots(page, f"en-{width}-1-index")
    _measure(page, f"en {width}px admin index")

    with page.expect_navigation():
        page.get_by_role("link", name=todo["awaiting_hr"]["label"]).click()
    assert "state=awaiting_hr" in page.url
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    shots(page, f"en-{width}-2-awaiting-hr")

    with page.expect_navigation():
        page.locator("#result_list tbody tr", has_text="山田 花子").locator("a").first.click()
    decisions = page.locator("#decisions")
    expect(decisions).to_be_visible()
    assert page.locator("#events-group").bounding_box()["y"] < decisions.bounding_box()["y"]
    assert {b["value"] for b in page.evaluate(BUTTONS)} == {"Approve (waiting list when the course is full)", "Reject"}
    shots(page, f"en-{width}-3-request")
    _measure(page, f"en {width}px enrolment page")
    page.get_by_label("Comment (optional)").fill("Budget secured")
    with page.expect_navigation():
        page.get_by_role("button", name="Approve (waiting list when the course is full)").click()
    expect(page.locator(".messagelist .success")).to_have_text("Approved.")
    assert "Budget secured" in page.locator("#events-group").inner_text()
    assert Enrolment.objects.get(pk=day.pk).state == "approved"
    shots(page, f"en-{width}-4-approved")
    _measure(page, f"en {width}px after approving")

    page.goto(f"{live_server.url}/admin/")
    todo = {item["key"]: item for item in page.evaluate(TODO)}
    assert todo["awaiting_hr"]["count"] == 1
    recent = page.locator("#recent-actions-module")
    assert str(Enrolment.objects.get(pk=day.pk)) in recent.inner_text()
    shots(page, f"en-{width}-5-recent-actions")
