"""「ウォレットに追加」 on a 375 px phone: the offer's QR code, same-device link, transaction code
and expiry fit the screen, measured as every staff page is (tests/browser/measure.py)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Portal
from tests.browser.measure import MEASURE, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_wallet_offer_fits_a_phone_screen(open_context, live_server, portal: Portal, shots):  # type: ignore[no-untyped-def]
    from badges.models import WalletOffer

    page = open_context(portal.alice, **PHONE).new_page()
    page.goto(f"{live_server.url}/badges/{portal.award.public_id}/")
    button = page.locator(f'form[action="/badges/{portal.award.public_id}/wallet-offer"] button')
    with page.expect_navigation():
        button.tap()
    shots(page, "375-wallet-offer")
    assert WalletOffer.objects.filter(award=portal.award).count() == 1
    assert page.evaluate(MEASURE) == []
    qr = page.locator(".wallet-offer__qr img")
    box = qr.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375, box
    assert box["width"] >= 200, box  # still big enough to scan from another phone
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")  # the inline SVG loaded (CSP)
    link = page.locator('.wallet-offer a[href^="openid-credential-offer://"]')
    assert link.is_visible()
    code = page.locator(".wallet-offer__code").inner_text()
    assert code.isdigit() and len(code) == 6
