"""A 375 px phone: every staff page fits without sideways scrolling, and the main controls
(the buttons, button links, text fields and selects of the page's main area) are at least
44×44 px, big enough for a finger."""

from __future__ import annotations

import pytest

from tests.browser.conftest import no_horizontal_scroll
from tests.browser.measure import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONTROLS = (
    "main button:not(.link-button), main a.button, main input[type=submit], "
    "main input[type=text], main input[type=search], main input[type=email], main input[type=url], "
    "main input[type=date], main input[type=file], main select, main textarea"
)
MIN = 44


def _small_controls(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Visible main controls smaller than 44×44 px (or wider than the screen)."""
    return list(
        page.evaluate(
            """([selector, min]) => [...document.querySelectorAll(selector)]
                .filter(el => el.offsetParent !== null && !el.hidden)
                .map(el => [el, el.getBoundingClientRect()])
                .filter(([el, r]) => r.width < min || r.height < min || r.right > window.innerWidth + 1)
                .map(([el, r]) => `${el.tagName.toLowerCase()}${el.name ? '[name=' + el.name + ']' : ''}`
                                 + ` "${(el.innerText || el.value || '').trim().slice(0, 30)}"`
                                 + ` ${Math.round(r.width)}×${Math.round(r.height)}`)""",
            [CONTROLS, MIN],
        )
    )


def test_every_staff_page_fits_a_375px_phone_with_finger_sized_controls(open_context, live_server, portal, shots):
    pages = {user: open_context(user, **PHONE).new_page() for user in (portal.alice, portal.bob)}
    problems: dict[str, list[str]] = {}
    for name, path in portal.staff_pages:
        page = pages[portal.user_for(name)]
        page.goto(f"{live_server.url}{path}")
        shots(page, f"375-{name}")
        if not no_horizontal_scroll(page):
            problems.setdefault(name, []).append(
                "scrolls sideways: " + str(page.evaluate("() => document.documentElement.scrollWidth")) + " px"
            )
        small = _small_controls(page)
        if small:
            problems.setdefault(name, []).extend(small)
    # The confirmation step of the request, too.
    page = pages[portal.alice]
    page.goto(f"{live_server.url}/courses/{portal.course.code}/request/")
    page.get_by_label("昇任選考活用型", exact=False).check()
    page.get_by_label("理由").fill("審査請求の対応に必要なため")
    with page.expect_navigation():
        page.get_by_role("button", name="次へ").click()
    shots(page, "375-request-confirm")
    if not no_horizontal_scroll(page):
        problems.setdefault("request-confirm", []).append("scrolls sideways")
    if small := _small_controls(page):
        problems.setdefault("request-confirm", []).extend(small)
    assert not problems, f"at 375 px: {problems}"


def test_the_navigation_is_usable_on_a_phone(open_context, live_server, portal, shots):
    page = open_context(portal.alice, **PHONE).new_page()
    page.goto(f"{live_server.url}/")
    links = page.locator(".site-nav a")
    assert links.count() >= 4
    for i in range(links.count()):
        box = links.nth(i).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 376, links.nth(i).inner_text()
        assert box["height"] >= 24, f"{links.nth(i).inner_text()}: {box}"  # WCAG 2.5.8 (AA) target size
    with page.expect_navigation():
        page.locator(".site-nav").get_by_role("link", name="マイバッジ").tap()
    assert page.url.endswith("/badges/")
    shots(page, "375-nav-tapped")
