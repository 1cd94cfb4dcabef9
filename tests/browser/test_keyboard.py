"""Keyboard only: requesting a course and verifying a badge with Tab, Space, Enter and typing,
no mouse, and a visible focus outline (:focus-visible) on every element Tab reaches."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from courses.models import Enrolment
from tests.browser.conftest import focus_outline, tab_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_course_request_can_be_made_with_the_keyboard_alone(open_context, live_server, portal, shots):
    page = open_context(portal.alice).new_page()
    page.goto(f"{live_server.url}/courses/{portal.course.code}/")
    # From the top of the course page: the skip link first, then on to "request this course".
    page.keyboard.press("Tab")
    assert focus_outline(page)["text"] == "本文へ移動"
    tab_to(page, lambda f: f["tag"] == "a" and f["text"] == "この講座に申し込む")
    shots(page, "focus-request-link")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_role("heading", level=1).inner_text().startswith("「行政法」")

    # Step 1: the use type (a radio group is one Tab stop; arrows move, Space checks) and the reason.
    radio = tab_to(page, lambda f: f["name"] == "use_type")
    assert radio["type"] == "radio"
    page.keyboard.press("Space")
    shots(page, "focus-use-type")
    while page.evaluate("() => document.activeElement.value") != "promotion":
        page.keyboard.press("ArrowDown")
    assert page.locator("input[name=use_type][value=promotion]").is_checked()
    tab_to(page, lambda f: f["name"] == "reason")
    page.keyboard.type("審査請求の対応に必要なため")
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "次へ")
    shots(page, "focus-continue")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # Step 2: confirm.
    assert page.get_by_role("heading", level=1).inner_text() == "申込内容の確認"
    tab_to(page, lambda f: f["tag"] == "button" and f["name"] == "confirm")
    shots(page, "focus-confirm")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/courses/my-learning/")
    enrolment = Enrolment.objects.get(staff=portal.alice, course=portal.course)
    assert (enrolment.use_type, enrolment.state) == ("promotion", "requested")
    assert enrolment.reason == "審査請求の対応に必要なため"
    shots(page, "sent")


def test_the_verify_page_works_with_the_keyboard_alone(open_context, live_server, portal, shots, tmp_path):
    png = tmp_path / "badge.png"
    png.write_bytes(portal.baked_png())
    page = open_context().new_page()
    # Playwright intercepts file choosers only while something listens for them, and it switches
    # the interception on without waiting for the browser (fire and forget). Registered only
    # around the key press, that can race the key on a loaded machine: the chooser is then not
    # intercepted and no event ever comes (the 30 s timeout seen once in `make test`). On a bare
    # page under load: 3 of 240 key presses lost that way, 0 of 240 with this listener. Listening
    # from before the page loads turns interception on well before any key is pressed.
    page.on("filechooser", lambda _chooser: None)

    # A file: Tab to the file input, Space opens the file chooser, Tab to "検証", Enter.
    page.goto(f"{live_server.url}/public/verify/")
    tab_to(page, lambda f: f["type"] == "file")
    shots(page, "focus-file")
    with page.expect_file_chooser() as chooser:  # an event wait: conftest's TIMEOUT_MS bounds it
        page.keyboard.press("Space")
    assert chooser.value.element.evaluate("el => el === document.activeElement")  # the focused input
    chooser.value.set_files(str(png))
    assert page.locator("input[type=file]").evaluate("el => el.files.length") == 1
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "検証")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".report.verdict--valid")).to_be_visible()
    shots(page, "valid-from-file")

    # A pasted credential: Tab to the text area, paste, Tab to "検証", Enter.
    page.goto(f"{live_server.url}/public/verify/")
    tab_to(page, lambda f: f["tag"] == "textarea" and f["name"] == "credential")
    page.keyboard.insert_text(json.dumps(portal.award.credential, ensure_ascii=False))  # as a paste does
    shots(page, "focus-credential")
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "検証")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".report.verdict--valid")).to_be_visible()
    shots(page, "valid-from-credential")
