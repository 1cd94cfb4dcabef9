"""Sharing and verifying a badge in a real browser: the share page logged out and without
JavaScript on a phone, the verify page with the downloaded PNG, and the printed record."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from badges.models import Award
from tests.badges.conftest import baked_bytes, issue
from tests.browser.conftest import check_accessibility, no_horizontal_scroll, sign_in
from tests.factories import DEFAULT_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def public_award(alice, badge_class, signing_key, enqueued):  # type: ignore[no-untyped-def]
    award = issue(alice, badge_class, "enrolment:1001")
    Award.objects.filter(pk=award.pk).update(visibility=Award.Visibility.PUBLIC)
    award.refresh_from_db()
    return award


def test_the_share_page_works_logged_out_without_javascript_on_a_phone(browser, live_server, public_award, shots):
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="ja-JP", java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/public/share/{public_award.share_token}/")
    assert page.get_by_role("heading", level=1).inner_text() == public_award.badge_class.name
    assert page.locator('meta[property="og:image"]').get_attribute("content").endswith("/image.png")
    expect(page.locator("img[alt*='オープンバッジ画像'], img[alt*='Open Badge image']").first).to_be_visible()
    assert page.locator("#share-url").input_value().endswith(f"/public/share/{public_award.share_token}/")
    assert no_horizontal_scroll(page)
    shots(page, "share-no-js-375")
    context.close()


def test_the_share_and_verify_pages_are_accessible(page, live_server, public_award, tmp_path, shots):
    page.goto(f"{live_server.url}/public/share/{public_award.share_token}/")
    check_accessibility(page)
    shots(page, "share")
    png = tmp_path / "badge.png"
    png.write_bytes(baked_bytes(public_award))
    page.goto(f"{live_server.url}/public/verify/")
    check_accessibility(page)
    page.set_input_files("input[type=file]", str(png))
    with page.expect_navigation():
        page.locator("form.verify-form button[type=submit]").click()
    expect(page.locator(".report.verdict--valid")).to_be_visible()
    check_accessibility(page)
    shots(page, "verify-valid")


def test_the_training_record_prints_on_a4(page, live_server, alice, public_award, shots, tmp_path):
    sign_in(page, live_server, alice.email, DEFAULT_PASSWORD)
    page.goto(f"{live_server.url}/badges/record/")
    check_accessibility(page)
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    expect(page.locator(".record__qr img").first).to_be_visible()
    shots(page, "record-print")
    pdf = page.pdf(path=str(tmp_path / "record.pdf"), prefer_css_page_size=True)
    assert pdf[:4] == b"%PDF"
