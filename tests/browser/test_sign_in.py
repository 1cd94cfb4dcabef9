"""Signing in, in a real browser, in Japanese first and English on request."""

from __future__ import annotations

import pytest

from tests.browser.conftest import check_accessibility, no_horizontal_scroll, sign_in
from tests.factories import DEFAULT_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_staff_member_signs_in_to_a_japanese_portal_and_switches_to_english(page, live_server, alice, shots):
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "ja"
    check_accessibility(page)
    shots(page, "login-ja")
    sign_in(page, live_server, alice.email, DEFAULT_PASSWORD)
    assert page.get_by_role("heading", level=1).inner_text() == "山田 花子 さん、ようこそ"
    check_accessibility(page)
    shots(page, "home-ja")
    page.get_by_label("言語").select_option("en")
    # The switch reloads the page: wait for that navigation (the old page was already loaded, so
    # waiting for a load state would return at once and read the Japanese page).
    with page.expect_navigation():
        page.get_by_role("button", name="切替").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Welcome" in page.get_by_role("heading", level=1).inner_text()
    shots(page, "home-en")


def test_the_staff_pages_fit_a_375px_phone(browser, live_server, alice, shots):
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="ja-JP")
    page = context.new_page()
    sign_in(page, live_server, alice.email, DEFAULT_PASSWORD)
    for path in ("/", "/me/profile/"):
        page.goto(f"{live_server.url}{path}")
        assert no_horizontal_scroll(page), f"{path} scrolls sideways at 375 px"
        shots(page, f"mobile{path.replace('/', '_')}")
    context.close()


def test_the_sign_in_form_works_with_the_keyboard_alone(page, live_server, alice):
    page.goto(f"{live_server.url}/accounts/login/")
    page.keyboard.press("Tab")  # skip link first
    assert page.evaluate("() => document.activeElement.className") == "skip-link"
    page.get_by_label("メールアドレス").focus()
    page.keyboard.type(alice.email)
    page.keyboard.press("Tab")
    page.keyboard.type(DEFAULT_PASSWORD)
    assert page.evaluate("() => document.activeElement.name") == "password"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.rstrip("/") == live_server.url
