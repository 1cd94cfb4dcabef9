"""Error pages are Japanese pages in the portal's layout, not Django's bare English ones."""

from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _page(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


def test_a_missing_page_is_a_japanese_page_with_the_portals_navigation(alice, client):
    client.force_login(alice)
    response = client.get("/courses/this-page-does-not-exist/")
    assert response.status_code == 404
    page = _page(response)
    assert '<html lang="ja">' in page
    assert "ページが見つかりません" in page
    assert 'class="site-nav"' in page  # the signed-in person can go on from here
    assert "Not Found" not in page


def test_a_forbidden_page_is_a_japanese_page_that_says_why(alice, client):
    client.force_login(alice)
    response = client.get("/hr/people/")
    assert response.status_code == 403
    page = _page(response)
    assert '<html lang="ja">' in page
    assert "このページは開けません" in page
    assert "403 Forbidden" not in page and "<h1>403" not in page


def test_an_expired_form_says_nothing_was_saved_and_what_to_do(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post("/me/language/", {"language": "en"})
    assert response.status_code == 403
    page = _page(response)
    assert "フォームの有効期限が切れました" in page
    assert "何も保存されていません" in page
    assert "CSRF verification failed" not in page
    alice.refresh_from_db()
    assert alice.preferred_language != "en"


def test_an_english_speaker_gets_the_error_page_in_english(alice, client):
    alice.preferred_language = "en"
    alice.save(update_fields=["preferred_language"])
    client.force_login(alice)
    response = client.get("/courses/this-page-does-not-exist/")
    page = _page(response)
    assert '<html lang="en">' in page
    assert "Page not found" in page
    assert not re.search(r"[\u3040-\u30ff]", page.split("<main", 1)[1].split("</main>", 1)[0])
