"""City single sign-on in Chromium, against a real OpenID Provider started by the test.

The provider is the certified npm ``oidc-provider`` (pinned in ``interop/package-lock.json``),
run by ``interop/oidc_provider.mjs`` on a free loopback port with the portal's client and a
few accounts. Every round trip goes through the browser: the SSO button on the portal's login
page, the provider's sign-in form, the callback, and on sign-out the provider's end-session
page (RP-initiated logout). Requests to anywhere but loopback are refused (the provider's
development pages would load a web font).

Needs Node, ``interop/node_modules`` (``make interop-deps``) and Chromium; skipped without
them, except in CI.
"""

from __future__ import annotations

import json
import re
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from playwright.sync_api import expect

from staff.models import StaffMember
from tests.conftest import _missing
from tests.factories import DEFAULT_PASSWORD, make_staff, totp_code
from tests.settings_loading import settings_from_environment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INTEROP_DIR = Path(__file__).resolve().parents[2] / "interop"
PROVIDER_SCRIPT = INTEROP_DIR / "oidc_provider.mjs"
PROVIDER_PACKAGE = INTEROP_DIR / "node_modules" / "oidc-provider"
START_TIMEOUT_SECONDS = 60
CLIENT_ID = "hachioji-portal"
CLIENT_SECRET = "test-only-client-secret"  # a throwaway client of a throwaway provider
SSO_BUTTON = "八王子市 統合認証"

# Logins at the provider, and what the provider says about each person.
ACCOUNTS = {
    "hanako": {"email": "alice@city.test", "email_verified": True, "name": "山田 花子"},
    "keiko": {"email": "carol@city.test", "email_verified": True, "name": "鈴木 恵子"},
    "unverified": {"email": "dave@city.test", "email_verified": False, "name": "高橋 健"},
    "stranger": {"email": "stranger@city.test", "email_verified": True, "name": "部外 者"},
    "retired": {"email": "retired@city.test", "email_verified": True, "name": "退職 者"},
}


@dataclass
class OpenIdProvider:
    issuer: str
    log: Path


@pytest.fixture(scope="module")
def openid_provider(live_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenIdProvider]:
    node = shutil.which("node")
    if node is None:
        _missing("Node.js is not installed (`make system-deps` installs Debian's nodejs)")
    if not PROVIDER_PACKAGE.is_dir():
        _missing("interop/node_modules/oidc-provider is missing: run `make interop-deps`")
    config = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": [f"{live_server.url}/accounts/oidc/city-sso/login/callback/"],
        "post_logout_redirect_uris": [f"{live_server.url}/accounts/login/"],
        "accounts": ACCOUNTS,
    }
    log = tmp_path_factory.mktemp("oidc-provider") / "provider.log"
    with log.open("w") as stderr:
        proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            [node, str(PROVIDER_SCRIPT), json.dumps(config)],
            cwd=INTEROP_DIR,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    try:
        # Wait for the one line the script prints once it listens, not for a fixed time.
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        line = ""
        while not line and proc.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 1.0)
            if ready:
                line = proc.stdout.readline()  # type: ignore[union-attr]
        assert line, f"the OpenID Provider did not start:\n{log.read_text()}"
        yield OpenIdProvider(issuer=json.loads(line)["issuer"], log=log)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()  # type: ignore[union-attr]


@pytest.fixture
def city_sso(settings: Any, monkeypatch: pytest.MonkeyPatch, openid_provider: OpenIdProvider) -> OpenIdProvider:
    """The portal pointed at the provider by the environment, through settings.py's own code."""
    configured = settings_from_environment(
        monkeypatch,
        DEBUG="1",  # http:// on loopback (DEBUG=0 refuses it)
        OIDC_SERVER_URL=openid_provider.issuer,
        OIDC_CLIENT_ID=CLIENT_ID,
        OIDC_CLIENT_SECRET=CLIENT_SECRET,
        OIDC_PROVIDER_ID="city-sso",
        OIDC_PROVIDER_NAME=SSO_BUTTON,
        OIDC_ALLOWED_EMAIL_DOMAINS="",
    )
    for name in ("OIDC_SERVER_URL", "SOCIALACCOUNT_PROVIDERS", "OIDC_ALLOWED_EMAIL_DOMAINS"):
        setattr(settings, name, configured[name])
    return openid_provider


@pytest.fixture
def sso_page(page: Any, live_server: Any, city_sso: OpenIdProvider) -> Any:
    """A page that may reach the portal and the provider (both on loopback) and nothing else;
    CSP violations the page reports are collected on ``page.csp_violations``."""
    allowed = {urlsplit(live_server.url).netloc, urlsplit(city_sso.issuer).netloc}

    def only_loopback(route: Any) -> None:
        if urlsplit(route.request.url).netloc in allowed:
            route.continue_()
        else:
            route.abort()

    page.context.route("**/*", only_loopback)
    violations: list[str] = []

    def note_csp_violation(message: Any) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    page.on("console", note_csp_violation)
    page.csp_violations = violations
    return page


def press_sso(page: Any, live_server: Any) -> None:
    """The SSO button on the login page, then allauth's confirmation (a POST to the portal that
    redirects to the provider: what the CSP's form-action must allow)."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name=SSO_BUTTON).click()
    page.get_by_role("button", name="次へ").click()


def sign_in_at_provider(page: Any, provider: OpenIdProvider, login: str) -> None:
    page.wait_for_url(f"{provider.issuer}/**")
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password: development interactions")
    page.get_by_role("button", name="Sign-in").click()


def expect_refused(page: Any, live_server: Any) -> None:
    page.wait_for_url(f"{live_server.url}/**")
    expect(page.get_by_role("heading", level=1)).to_have_text("ログインできません")
    expect(page.get_by_text("人事課研修担当にお問い合わせください")).to_be_visible()


def test_a_staff_member_signs_in_with_city_sso_and_signing_out_ends_the_provider_session(
    sso_page, live_server, city_sso, alice, shots
):
    page = sso_page
    press_sso(page, live_server)
    sign_in_at_provider(page, city_sso, "hanako")
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("山田 花子 さん、ようこそ")
    shots(page, "signed-in-by-sso")
    linked = SocialAccount.objects.get()
    assert (linked.user_id, linked.provider, linked.uid) == (alice.pk, "city-sso", "hanako")
    alice.refresh_from_db()
    assert alice.check_password(DEFAULT_PASSWORD), "an SSO sign-in must not remove the person's password"

    page.get_by_role("button", name="ログアウト").click()
    # RP-initiated logout: the provider's end-session page, then back to the portal's login page.
    page.wait_for_url(f"{city_sso.issuer}/**")
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(f"{live_server.url}/accounts/login/")
    shots(page, "signed-out")
    page.goto(f"{live_server.url}/")
    page.wait_for_url(re.compile(r"/accounts/login/"))

    # The provider forgot the person too: SSO asks for credentials again (on a shared city PC
    # the next person is not signed in as the previous one).
    press_sso(page, live_server)
    page.wait_for_url(f"{city_sso.issuer}/**")
    expect(page.locator("input[name=login]")).to_be_visible()
    shots(page, "provider-asks-again")
    assert not page.csp_violations


@pytest.mark.parametrize("login", ["unverified", "stranger", "retired"])
def test_sso_refuses_unverified_unknown_and_deactivated_people_with_the_hr_page_and_creates_nothing(
    sso_page, live_server, city_sso, alice, dave, login, shots
):
    make_staff(employee_number="100009", email="retired@city.test", is_active=False)
    people, addresses = StaffMember.objects.count(), set(EmailAddress.objects.values_list("pk", "email", "verified"))
    page = sso_page
    press_sso(page, live_server)
    sign_in_at_provider(page, city_sso, login)
    expect_refused(page, live_server)
    shots(page, f"refused-{login}")
    assert not SocialAccount.objects.exists()
    assert StaffMember.objects.count() == people
    assert set(EmailAddress.objects.values_list("pk", "email", "verified")) == addresses
    page.goto(f"{live_server.url}/")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    assert not page.csp_violations


def test_hr_signing_in_with_sso_still_needs_the_totp_code(sso_page, live_server, city_sso, carol, shots):
    page = sso_page
    press_sso(page, live_server)
    sign_in_at_provider(page, city_sso, "keiko")
    page.wait_for_url(f"{live_server.url}/accounts/2fa/authenticate/")
    shots(page, "sso-asks-for-totp")
    # Not signed in before the code (the page's own cookies, without leaving the page).
    before = page.request.get(f"{live_server.url}/hr/", max_redirects=0)
    assert before.status == 302 and "/accounts/login/" in before.headers["location"]
    page.get_by_label(re.compile(r"^(認証)?コード")).fill(totp_code())
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/hr/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert page.url == f"{live_server.url}/hr/"
    assert SocialAccount.objects.get().user_id == carol.pk
