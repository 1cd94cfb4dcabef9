"""axe-core (WCAG 2.1 A/AA, the checks JIS X 8341-3:2016 asks for) on every staff, public and
HR page, in a real browser: no serious or critical violation. Badge images have alt text and
every chart has its figures as a table.

The Django admin (/admin/), where HR approves, completes and revokes, is Django's own
third-party markup and is left out here; our one admin template (the enrolment action form)
is used in the journey.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _badge_images_have_alt_text(page) -> None:  # type: ignore[no-untyped-def]
    for image in page.locator("main img").all():
        alt = image.get_attribute("alt")
        assert alt is not None, f"an image without alt on {page.url}"


def test_every_staff_page_is_accessible(open_context, live_server, portal, shots):
    pages = {user: open_context(user).new_page() for user in (portal.alice, portal.bob)}
    for name, path in portal.staff_pages:
        page = pages[portal.user_for(name)]
        page.goto(f"{live_server.url}{path}")
        assert page.locator("html").get_attribute("lang") == "ja"
        check_accessibility(page)
        _badge_images_have_alt_text(page)
        shots(page, name)
        if name == "request":
            # The form with its errors, then the confirmation step.
            with page.expect_navigation():
                page.get_by_role("button", name="次へ").click()
            expect(page.locator("[role=alert]").first).to_be_visible()
            check_accessibility(page)
            shots(page, "request-errors")
            page.get_by_label("昇任選考活用型", exact=False).check()
            page.get_by_label("理由").fill("審査請求の対応に必要なため")
            with page.expect_navigation():
                page.get_by_role("button", name="次へ").click()
            assert page.get_by_role("heading", level=1).inner_text() == "申込内容の確認"
            check_accessibility(page)
            shots(page, "request-confirm")
    my_badges = pages[portal.alice]
    my_badges.goto(f"{live_server.url}/badges/")
    alt = my_badges.locator(".badge-card img").first.get_attribute("alt")
    assert portal.award.badge_class.name in alt


def test_every_public_page_is_accessible_logged_out(open_context, live_server, portal, shots, tmp_path):
    page = open_context().new_page()
    for name, path in portal.public_pages:
        page.goto(f"{live_server.url}{path}")
        assert page.locator("html").get_attribute("lang") == "ja"
        check_accessibility(page)
        _badge_images_have_alt_text(page)
        shots(page, name)
    share_image = page.goto(f"{live_server.url}/public/share/{portal.award.share_token}/")
    assert share_image is not None and share_image.ok
    assert portal.award.badge_class.name in page.locator(".badge-detail__image img").get_attribute("alt")
    # A verify result.
    png = tmp_path / "badge.png"
    png.write_bytes(portal.baked_png())
    page.goto(f"{live_server.url}/public/verify/")
    page.set_input_files("input[type=file]", str(png))
    with page.expect_navigation():
        page.locator("form.verify-form button[type=submit]").click()
    expect(page.locator(".report.verdict--valid")).to_be_visible()
    check_accessibility(page)
    shots(page, "verify-result")
    # And the form with an error.
    with page.expect_navigation():
        page.locator("form.verify-form button[type=submit]").click()
    expect(page.locator(".verify-form [role=alert]")).to_be_visible()
    check_accessibility(page)
    shots(page, "verify-error")


def test_every_hr_page_is_accessible_and_every_chart_has_a_table(open_context, live_server, portal, shots):
    page = open_context(portal.carol).new_page()
    for name, path in portal.hr_pages:
        page.goto(f"{live_server.url}{path}")
        assert page.locator("html").get_attribute("lang") == "ja", name
        check_accessibility(page)
        shots(page, name)
        # Every chart is an image with a name, and its figures are also a table next to it.
        charts = page.evaluate(
            """() => [...document.querySelectorAll('main svg.chart')].map(svg => {
                const figure = svg.closest('figure');
                return {role: svg.getAttribute('role'), name: svg.getAttribute('aria-labelledby'),
                        table: !!(figure && (figure.querySelector('table') || figure.querySelector('.empty-note')))};
            })"""
        )
        for chart in charts:
            assert chart == {**chart, "role": "img", "table": True} and chart["name"], f"{name}: {chart}"
        if name == "dashboard":
            assert len(charts) >= 3
            assert page.locator("figure.chart-figure table caption").count() >= 1
        if name == "matrix":
            assert charts, "the skill matrix has its heat map"
        if name == "people":
            assert page.get_by_text("山田 花子").first.is_visible()
