"""Anonymous visitors of a share page get the whole page from the cache (badges/public/views_share.py),
with only the CSRF token of the language switch and the path it returns to filled in per
request. Each visitor's token must work for that visitor, a page with a message waiting must
be rendered in full (and show the message once), and signed-in visitors never get the
anonymous page. Revocation, visibility, renewal and expiry: tests/badges/test_share_cache.py
(its anonymous requests go through this path)."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from badges import services
from badges.models import Award

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clear_cache")]

TOKEN = re.compile(r'<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)">')
NEXT = re.compile(r'<input type="hidden" name="next" value="([^"]*)">')
MESSAGES = re.compile(r'\s*<div class="messages" role="status">.*?</div>', re.S)


@pytest.fixture
def public_award(award):  # type: ignore[no-untyped-def]
    Award.objects.filter(pk=award.pk).update(visibility=Award.Visibility.PUBLIC)
    award.refresh_from_db()
    return award


@pytest.fixture(autouse=True)
def _inside_one_minute(share_clock) -> None:  # type: ignore[no-untyped-def]
    """The keys name the minute: the share page's clock stands still inside one."""


def share_path(award: Award) -> str:
    return f"/public/share/{award.share_token}/"


def page_keys() -> list[str]:
    return [k for k in cache._cache if "share-page-anonymous:" in k]  # type: ignore[attr-defined]


def get(client: Client, path: str) -> tuple[str, object]:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode(), response


def without_token(text: str) -> str:
    return TOKEN.sub("TOKEN", text)


def switch_language(client: Client, token: str, path: str) -> int:
    response = client.post(
        reverse("staff:language_set"), {"csrfmiddlewaretoken": token, "language": "en", "next": path}
    )
    return response.status_code


def test_the_second_anonymous_request_is_the_cached_page_with_its_own_token(public_award):
    visitor = Client(enforce_csrf_checks=True)
    first, first_response = get(visitor, share_path(public_award))
    assert len(page_keys()) == 1
    second, second_response = get(visitor, share_path(public_award))
    assert page_keys() == page_keys()[:1]  # the same entry, no new one
    assert without_token(second) == without_token(first)
    # The token is masked afresh for every response, as Django does.
    assert TOKEN.findall(first) != TOKEN.findall(second)
    assert len(TOKEN.findall(second)) == 1
    # The same headers on a cached page as on a rendered one (security headers, Vary, cookie).
    for response in (first_response, second_response):
        assert response["Content-Type"] == "text/html; charset=utf-8"
        assert response["Cache-Control"] == "no-cache, private"
        assert response["X-Robots-Tag"] == "noindex"
        assert response["X-Frame-Options"] == "DENY"
        assert response["Content-Security-Policy"].startswith("default-src 'self'")
        assert "Cookie" in response["Vary"]
        assert response["Content-Language"] == "ja"
        assert response["X-Request-ID"]
    assert "csrftoken" in first_response.cookies  # a first visit is given its CSRF cookie
    assert sorted(second_response.headers) == sorted(first_response.headers)


def test_the_token_in_a_cached_page_is_valid_for_that_visitor_and_only_that_one(public_award):
    first = Client(enforce_csrf_checks=True)
    second = Client(enforce_csrf_checks=True)
    get(first, share_path(public_award))  # fills the cache
    text_a, _ = get(first, share_path(public_award))
    text_b, _ = get(second, share_path(public_award))  # a new visitor, served from the cache
    assert len(page_keys()) == 1
    (token_a,) = TOKEN.findall(text_a)
    (token_b,) = TOKEN.findall(text_b)
    assert first.cookies["csrftoken"].value != second.cookies["csrftoken"].value
    # Each visitor's token is refused with the other's cookie...
    assert switch_language(second, token_a, share_path(public_award)) == 403
    assert switch_language(first, token_b, share_path(public_award)) == 403
    # ...and accepted with its own.
    assert switch_language(first, token_a, share_path(public_award)) == 302
    assert switch_language(second, token_b, share_path(public_award)) == 302
    assert first.cookies["django_language"].value == "en"


def test_the_switch_returns_to_each_visitors_own_path_escaped(public_award):
    get(Client(), share_path(public_award))  # fills the cache
    path = share_path(public_award) + '?utm_source=cv&x="><script>'
    text, _ = get(Client(), path)
    assert len(page_keys()) == 1  # the query string is not part of the key
    # As the template writes it: Django's full path (quotes and brackets percent-encoded), escaped.
    assert NEXT.findall(text) == [share_path(public_award) + "?utm_source=cv&amp;x=%22%3E%3Cscript%3E"]
    plain, _ = get(Client(), share_path(public_award))
    assert NEXT.findall(plain) == [share_path(public_award)]


def test_a_page_with_a_message_waiting_is_rendered_in_full_and_shows_it_once(public_award, alice):
    visitor = Client()
    cached, _ = get(visitor, share_path(public_award))  # an anonymous page in the cache
    visitor.force_login(alice)
    assert visitor.post(reverse("account_logout")).status_code == 302  # "You have signed out."
    with_message, rendered = get(visitor, share_path(public_award))
    assert '<div class="messages" role="status">' in with_message
    assert 'class="message message--' in with_message
    assert "ログアウトしました。" in with_message  # allauth's "You have signed out."
    # Apart from the message, it is the same page as the cached one.
    assert without_token(MESSAGES.sub("", with_message)) == without_token(cached)
    after, from_cache = get(visitor, share_path(public_award))
    assert sorted(from_cache.headers) == sorted(rendered.headers)
    assert from_cache["Vary"] == rendered["Vary"]
    assert from_cache["Content-Security-Policy"] == rendered["Content-Security-Policy"]
    assert '<div class="messages"' not in after  # shown once, and the next page is cached again
    assert without_token(after) == without_token(cached)


def test_signed_in_visitors_never_get_the_anonymous_page(public_award, alice, dave):
    anonymous, _ = get(Client(), share_path(public_award))
    assert "account_logout" not in anonymous and 'class="site-nav"' not in anonymous
    for person in (alice, dave):
        visitor = Client()
        visitor.force_login(person)
        text, _ = get(visitor, share_path(public_award))
        assert 'class="site-nav"' in text
        assert reverse("account_logout") in text
        assert person.family_name in text  # their own name in the navigation
    assert len(page_keys()) == 1  # only the anonymous page is kept whole


def test_revocation_shows_at_once_on_the_cached_page(public_award):
    visitor = Client()
    get(visitor, share_path(public_award))
    assert "verdict--valid" in get(visitor, share_path(public_award))[0]
    services.award_revoke(award=public_award, reason="受講記録の誤りのため")
    text, _ = get(visitor, share_path(public_award))
    assert "verdict--revoked" in text and "受講記録の誤りのため" in text


def test_each_language_has_its_own_cached_page(public_award):
    visitor = Client()
    ja, _ = get(visitor, share_path(public_award))
    visitor.cookies["django_language"] = "en"
    en, _ = get(visitor, share_path(public_award))
    assert '<html lang="en">' in en and '<html lang="ja">' in ja
    assert '<option value="en" lang="en" selected>' in en
    assert len(page_keys()) == 2


def test_with_the_page_cache_off_no_page_is_kept_and_the_page_is_the_same(public_award, settings):
    visitor = Client(enforce_csrf_checks=True)
    cached, _response = get(visitor, share_path(public_award))
    cache.clear()
    settings.BADGE_SHARE_PAGE_CACHE = False
    rendered, _response = get(visitor, share_path(public_award))
    assert page_keys() == []
    assert without_token(rendered) == without_token(cached)
    token = TOKEN.findall(rendered)[0]
    assert switch_language(visitor, token, share_path(public_award)) == 302
