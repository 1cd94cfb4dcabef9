from __future__ import annotations

import importlib.util
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD, TOTP_SECRET, totp_code

pytestmark = pytest.mark.django_db


def test_the_sign_in_page_is_japanese_by_default(client):
    response = client.get(reverse("account_login"))
    assert response.status_code == 200
    assert '<html lang="ja">' in response.content.decode()
    assert "ログイン" in response.content.decode()


def test_an_english_browser_still_gets_japanese_until_the_person_switches(client):
    response = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="ja">' in response.content.decode()
    client.post(reverse("staff:language_set"), {"language": "en", "next": reverse("account_login")})
    response = client.get(reverse("account_login"))
    assert '<html lang="en">' in response.content.decode()
    assert "Sign In" in response.content.decode()


def test_switching_language_when_signed_in_is_remembered_on_the_person(client, alice):
    client.force_login(alice)
    client.post(reverse("staff:language_set"), {"language": "en", "next": "/"})
    alice.refresh_from_db()
    assert alice.preferred_language == "en"


def test_the_language_switch_does_not_redirect_to_another_site(client):
    response = client.post(reverse("staff:language_set"), {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_an_imported_staff_member_signs_in_with_email_and_password(client, alice):
    response = client.post(reverse("account_login"), {"login": "ALICE@city.test", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_sign_up_is_closed(client):
    response = client.get(reverse("account_signup"))
    assert "account/signup_closed.html" in [t.name for t in response.templates]


def test_pages_need_sign_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_repeated_failed_logins_are_rate_limited(client, alice, clear_cache):
    for _ in range(5):
        client.post(reverse("account_login"), {"login": alice.email, "password": "wrong"})
    response = client.post(reverse("account_login"), {"login": alice.email, "password": DEFAULT_PASSWORD})
    assert "ログイン失敗が連続しています" in response.content.decode()
    assert "_auth_user_id" not in client.session


def _settings_from_the_environment(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    """The settings module's values as a deployment with these environment variables gets them."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    import hachioji_portal.settings

    # A fresh copy of the module (not the one Django loaded), so nothing else sees it.
    spec = importlib.util.spec_from_file_location("hachioji_portal._settings_copy", hachioji_portal.settings.__file__)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {k: v for k, v in vars(module).items() if k.isupper()}


@pytest.fixture
def behind_one_proxy(settings, monkeypatch):  # type: ignore[no-untyped-def]
    """Deployed as docs/operations.md says: one reverse proxy, PORTAL_TRUSTED_PROXY_COUNT=1.
    Every setting that this one variable changes is applied, and nothing else."""
    direct = _settings_from_the_environment(monkeypatch, PORTAL_TRUSTED_PROXY_COUNT="0")
    proxied = _settings_from_the_environment(monkeypatch, PORTAL_TRUSTED_PROXY_COUNT="1")
    for name, value in proxied.items():
        if direct.get(name) != value:
            setattr(settings, name, value)
    proxy = "10.0.0.2"  # every request reaches gunicorn from the proxy

    def client_at(address: str) -> Client:
        return Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=address)

    return client_at


def _failures(client: Client, n: int, prefix: str = "nobody") -> None:
    for i in range(n):
        response = client.post(reverse("account_login"), {"login": f"{prefix}{i}@city.test", "password": "guess"})
        assert response.status_code == 200


def test_one_clients_failed_logins_do_not_lock_out_another_behind_the_same_proxy(alice, clear_cache, behind_one_proxy):
    attacker, colleague = behind_one_proxy("198.51.100.7"), behind_one_proxy("198.51.100.8")
    _failures(attacker, 11)
    response = colleague.post(reverse("account_login"), {"login": alice.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert "_auth_user_id" in colleague.session


def test_the_failing_client_behind_the_proxy_is_still_limited(alice, clear_cache, behind_one_proxy):
    attacker = behind_one_proxy("198.51.100.7")
    _failures(attacker, 11)
    response = attacker.post(reverse("account_login"), {"login": alice.email, "password": DEFAULT_PASSWORD})
    assert "ログイン失敗が連続しています" in response.content.decode()
    assert "_auth_user_id" not in attacker.session


def test_a_client_cannot_escape_its_limit_by_writing_its_own_x_forwarded_for(alice, clear_cache, behind_one_proxy):
    attacker = behind_one_proxy("198.51.100.7")
    for i in range(11):
        # The proxy appends the address it saw; whatever the client wrote comes before it.
        attacker.post(
            reverse("account_login"),
            {"login": f"nobody{i}@city.test", "password": "guess"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}, 198.51.100.7",
        )
    response = attacker.post(
        reverse("account_login"),
        {"login": alice.email, "password": DEFAULT_PASSWORD},
        HTTP_X_FORWARDED_FOR="203.0.113.99, 198.51.100.7",
    )
    assert "ログイン失敗が連続しています" in response.content.decode()


def test_the_admin_login_goes_through_allauth(client):
    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_hr_must_pass_two_step_verification(client, carol):
    response = client.post(reverse("account_login"), {"login": carol.email, "password": DEFAULT_PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(TOTP_SECRET)})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_hr_without_two_step_verification_is_sent_to_set_it_up(client, db):
    from tests.factories import make_staff

    hr = make_staff(role="hr", mfa=False)
    client.post(reverse("account_login"), {"login": hr.email, "password": DEFAULT_PASSWORD})
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    # allauth asks for the password once more before showing the TOTP secret.
    response = client.get(reverse("mfa_activate_totp"))
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    client.post(response["Location"], {"password": DEFAULT_PASSWORD})
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 200
    assert "otpauth://" in response.content.decode() or "data:image/svg+xml" in response.content.decode()


def test_every_page_carries_security_headers(client):
    response = client.get(reverse("account_login"))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "http" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
