"""CSRF on every form, cookie flags, and uploaded files never coming back as HTML."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.test_authorization_matrix import scene  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[1]


def test_every_state_changing_form_refuses_a_post_without_the_csrf_token(scene):  # noqa: F811
    enrolment, award, external = scene["enrolment"], scene["award"], scene["external"]
    posts = {
        "alice": [
            "/me/language/",
            f"/courses/{scene['values']['course']}/request/",
            f"/courses/my-learning/{enrolment.pk}/withdraw/",
            f"/badges/{award.public_id}/visibility",
            f"/badges/{award.public_id}/share-link/renew",
            f"/badges/portfolio/{external.public_id}/remove",
            "/badges/portfolio/add/",
            "/accounts/logout/",
            "/accounts/password/change/",
        ],
        "bob": [f"/courses/approvals/{enrolment.pk}/decide/"],
        "carol": ["/admin/courses/enrolment/", "/admin/staff/staffmember/import/"],
        None: ["/accounts/login/", "/public/verify/", "/accounts/password/reset/"],
    }
    client = Client(enforce_csrf_checks=True)
    for persona, urls in posts.items():
        client.logout()
        if persona:
            client.force_login(scene["people"][persona])
        for url in urls:
            response = client.post(url, {"visibility": "private", "language": "en"})
            assert response.status_code == 403, (persona, url, response.status_code)
    award.refresh_from_db()
    assert award.visibility == "public"


def test_the_verify_api_is_the_one_csrf_exempt_endpoint_and_changes_nothing(scene):  # noqa: F811
    client = Client(enforce_csrf_checks=True)
    response = client.post("/public/api/verify", {"url": "https://example.invalid/x"})
    assert response.status_code in (200, 400)


def test_session_and_csrf_cookies_are_secure_httponly_and_same_site_in_production(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(DEBUG="0", SECRET_KEY="s" * 60 + "-for-a-settings-check", PORTAL_VAR_DIR=str(tmp_path))
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE,"
        " s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS > 0)"
    )
    result = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.split() == ["True", "True", "Lax", "True", "True", "True"], result.stderr


def test_the_session_cookie_is_httponly_and_same_site(client, alice):
    from tests.factories import DEFAULT_PASSWORD

    response = client.post("/accounts/login/", {"login": alice.email, "password": DEFAULT_PASSWORD})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_an_uploaded_original_comes_back_as_a_download_never_as_html(client, scene):  # noqa: F811
    external = scene["external"]
    client.force_login(scene["people"]["alice"])
    response = client.get(f"/badges/portfolio/{external.public_id}/original")
    assert response["Content-Type"] in ("image/png", "application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_an_html_file_is_refused_as_a_portfolio_badge(client, alice):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from badges.models import ExternalBadge

    client.force_login(alice)
    html = SimpleUploadedFile("badge.html", b"<html><script>alert(1)</script></html>", content_type="text/html")
    response = client.post("/badges/portfolio/add/", {"file": html})
    assert response.status_code in (200, 400)
    assert not ExternalBadge.objects.exists()


def test_media_files_are_not_served_directly(client, scene):  # noqa: F811
    award = scene["award"]
    assert client.get(f"/media/{award.baked_image.name}").status_code == 404
