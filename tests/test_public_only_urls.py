"""PORTAL_URLCONF_MODE=public: a deployment that answers only the verify page and API (the public
documents are files of the published tree, served by nginx), so verify traffic can run on its
own gunicorn and never takes the staff portal's workers. Nothing of the staff portal is there,
and it reads no database (tests/badges/test_published_verify.py)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from badges import services
from badges.models import Award
from tests.badges.conftest import issue
from tests.settings_loading import settings_from_environment

pytestmark = pytest.mark.django_db

PUBLIC_ONLY = "hachioji_portal.urls_public_only"


def test_the_setting_chooses_the_public_only_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    public = settings_from_environment(monkeypatch, PORTAL_URLCONF_MODE="public", PORTAL_PUBLISH_DIR="/srv/tree")
    assert public["ROOT_URLCONF"] == PUBLIC_ONLY
    assert public["PORTAL_VERIFY_SOURCE"] == "tree"
    assert public["SESSION_ENGINE"] == "django.contrib.sessions.backends.signed_cookies"
    assert settings_from_environment(monkeypatch, PORTAL_URLCONF_MODE="full")["ROOT_URLCONF"] == "hachioji_portal.urls"


def test_an_unknown_mode_is_refused_with_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ImproperlyConfigured, match="PORTAL_URLCONF_MODE must be full or public"):
        settings_from_environment(monkeypatch, PORTAL_URLCONF_MODE="staff")


def test_the_public_deployment_without_a_published_tree_is_refused_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PORTAL_PUBLISH_DIR", raising=False)
    with pytest.raises(ImproperlyConfigured, match=r"PORTAL_VERIFY_SOURCE=tree .* needs PORTAL_PUBLISH_DIR"):
        settings_from_environment(monkeypatch, PORTAL_URLCONF_MODE="public")


@pytest.fixture
def public_only(settings):  # type: ignore[no-untyped-def]
    settings.ROOT_URLCONF = PUBLIC_ONLY  # pytest-django clears the URL caches
    return settings


def test_the_verify_page_works_and_the_documents_are_left_to_the_tree(  # type: ignore[no-untyped-def]
    client, public_only, alice, badge_class, signing_key, enqueued
):
    award = issue(alice, badge_class, "publiconly:1")
    services.award_set_visibility(award=award, visibility=Award.Visibility.PUBLIC, by=alice)
    assert client.get("/public/verify/").status_code == 200
    # The documents are files of the published tree, served by nginx: never answered here.
    assert client.get(f"/public/share/{award.share_token}/").status_code == 404
    assert client.get(f"/public/assertions/{award.public_id}").status_code == 404
    assert client.get("/.well-known/did.json").status_code == 404
    home = client.get("/")
    assert (home.status_code, home["Location"]) == (302, "/public/verify/")
    switched = client.post("/me/language/", {"language": "en", "next": "/public/verify/"})
    assert switched.status_code == 302 and switched.cookies["django_language"].value == "en"


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/accounts/login/",
        "/badges/",
        "/courses/",
        "/hr/",
        "/me/profile/",
        "/careers/",
        "/public/oid4vci/token",
        "/.well-known/openid-credential-issuer",
    ],
)
def test_nothing_of_the_staff_portal_is_mounted(client, public_only, path: str) -> None:  # type: ignore[no-untyped-def]
    assert client.get(path).status_code == 404


def test_staff_signed_in_to_the_portal_are_anonymous_there(client, settings, monkeypatch, alice) -> None:  # type: ignore[no-untyped-def]
    client.force_login(alice)  # the staff portal's session cookie
    public = settings_from_environment(monkeypatch, PORTAL_URLCONF_MODE="public", PORTAL_PUBLISH_DIR="/srv/tree")
    settings.ROOT_URLCONF = public["ROOT_URLCONF"]
    settings.SESSION_COOKIE_NAME = public["SESSION_COOKIE_NAME"]
    assert client.get("/badges/").status_code == 404
    page = client.get("/public/verify/")
    assert page.status_code == 200 and not page.wsgi_request.user.is_authenticated
