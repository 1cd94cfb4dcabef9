"""The Open Badges API's pages a staff member sees, in Chromium at 375 px and 1280 px, in
Japanese and English: the consent page (an application asks to read her badges; she allows
it), 「連携中のアプリ」 (connected applications) and the disconnect question, measured as every
staff page is (tests/browser/measure.py)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.browser.conftest import Portal
from tests.browser.measure import MEASURE, WIDTHS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REDIRECT = "https://backpack.example/callback"
# What the page's main heading says in each language (the Japanese needs the merged catalogue:
# docs/_pending_translations/obapi.po).
HEADINGS = {
    "ja": {"consent": "「Campus Backpack」にバッジの読み取りを許可しますか？", "apps": "連携中のアプリ"},
    "en": {"consent": "Allow “Campus Backpack” to read your badges?", "apps": "Connected applications"},
}


def _authorize_path(client_id: str) -> str:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    scopes = "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.readonly https://purl.imsglobal.org/spec/ob/v3p0/scope/profile.readonly"
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "scope": scopes,
        "state": "s1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return "/oauth/ob/authorize?" + urlencode(query)


def _hold_redirect(locations: list[str]) -> Any:
    """A route handler: the portal's answer to the consent form is fetched without following
    its redirect, noted, and shown to the browser instead of the application's page."""

    def handle(route: Any) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        answer = route.fetch(max_redirects=0)
        locations.append(answer.headers.get("location", ""))
        route.fulfill(status=200, content_type="text/plain", body=f"{answer.status} {locations[-1]}")

    return handle


def test_consent_and_connected_apps_read_well_on_a_phone_and_a_desktop_in_japanese_and_english(
    open_context: Any, live_server: Any, portal: Portal, shots: Any
) -> None:
    from badges.obapi import protocol, services
    from badges.obapi.models import ObApiConnection
    from staff.models import StaffMember

    application, _secret = services.obapi_client_register(
        name="Campus Backpack",
        client_uri="https://backpack.example",
        redirect_uris=[REDIRECT],
        scopes=list(protocol.OFFERED_SCOPES),
        confidential=True,
    )
    problems: dict[str, list[str]] = {}
    for language in ("ja", "en"):
        StaffMember.objects.filter(pk=portal.alice.pk).update(preferred_language=language)
        for width, options in WIDTHS.items():
            where = f"{width}px {language}"
            page = open_context(portal.alice, **options).new_page()
            response = page.goto(f"{live_server.url}{_authorize_path(application.client_id)}")
            assert response is not None and response.status == 200, where
            assert page.evaluate("() => document.documentElement.lang") == language, where
            shots(page, f"{language}-{width}-consent")
            if found := page.evaluate(MEASURE):
                problems[f"consent {where}"] = found
            assert page.get_by_role("heading", level=1).inner_text() == HEADINGS[language]["consent"], where
            assert page.get_by_role("link", name="https://backpack.example").is_visible()
            allow, refuse = page.locator("form.consent-form button").all()
            for button in (allow, refuse):  # both answers fully on the screen
                box = button.bounding_box()
                assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= options["viewport"]["width"]
            # The answer sends the browser to the application, elsewhere (no network here): the
            # portal's answer is fetched as is and the browser is shown where it would go.
            locations: list[str] = []
            page.route(lambda url: "/oauth/ob/authorize" in url, _hold_redirect(locations))
            with page.expect_navigation():
                allow.click()
            assert locations and locations[0].startswith(REDIRECT), locations
            assert "code" in parse_qs(urlsplit(locations[0]).query), locations

            page.goto(f"{live_server.url}/badges/connected-apps/")
            shots(page, f"{language}-{width}-connected-apps")
            if found := page.evaluate(MEASURE):
                problems[f"connected apps {where}"] = found
            assert page.get_by_role("heading", level=1).inner_text() == HEADINGS[language]["apps"], where
            assert page.get_by_role("heading", level=2, name="Campus Backpack").is_visible()
            disconnect = page.locator("a.button--danger")
            with page.expect_navigation():
                disconnect.click()
            shots(page, f"{language}-{width}-disconnect-question")
            if found := page.evaluate(MEASURE):
                problems[f"disconnect question {where}"] = found
            assert ObApiConnection.objects.get(holder=portal.alice).disconnected_at is None  # asked, not done
            with page.expect_navigation():
                page.locator("form button.button--danger").click()
            shots(page, f"{language}-{width}-disconnected")
            assert ObApiConnection.objects.get(holder=portal.alice).disconnected_at is not None
            assert page.get_by_role("heading", level=2, name="Campus Backpack").count() == 0
            page.goto(f"{live_server.url}/public/open-badges-api/")
            shots(page, f"{language}-{width}-about")
            if found := page.evaluate(MEASURE):
                problems[f"about {where}"] = found
            page.context.close()
    report = "\n".join(f"{where}:\n  " + "\n  ".join(found) for where, found in problems.items())
    assert not problems, f"what a person would stumble on:\n{report}"
