"""One point of issue 13, as the server sends it: the sign-in page offered 「こちらからユーザー登録」,
which led to 「ユーザー登録停止中」; the language menu showed 「英語(米国)」; the catalogue search's
``aria-describedby`` named an id that did not exist. (tests/browser/test_calendar_and_login.py
looks at the same in a real browser.)

The Japanese sentence that replaces the sign-up link is in docs/_pending_translations/reminders.po
until the lead merges it into locale/ja.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


class _Page(HTMLParser):
    """The ids, the ``aria-describedby`` references and the language menu's options of a page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.described: list[tuple[str, str]] = []
        self.options: list[str] = []
        self._in_lang_select = False
        self._in_option = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"] or "")
        if values.get("aria-describedby"):
            self.described.append((values.get("id") or tag, values["aria-describedby"] or ""))
        if tag == "select" and values.get("name") == "language":
            self._in_lang_select = True
        if tag == "option" and self._in_lang_select:
            self._in_option = True
            self.options.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._in_lang_select = False
        if tag == "option":
            self._in_option = False

    def handle_data(self, data: str) -> None:
        if self._in_option:
            self.options[-1] += data.strip()


def _english(client) -> None:  # type: ignore[no-untyped-def]
    client.post(reverse("staff:language_set"), {"language": "en", "next": "/"})


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_sign_in_page_offers_no_sign_up_while_sign_up_is_closed(client, language):
    if language == "en":
        _english(client)
    html = client.get(reverse("account_login")).content.decode()
    assert f'<html lang="{language}">' in html
    assert reverse("account_signup") not in html
    assert "ユーザー登録" not in html and "sign up" not in html.lower()
    if language == "ja":
        assert "アカウントは人事課の職員名簿から作成されるため、ご自身での登録は不要です。" in html
    else:
        assert "Your account comes from HR's staff roster: there is nothing to register." in html


def test_the_sign_in_page_asks_the_account_adapter_whether_sign_up_is_open(client, monkeypatch):
    # Were sign-up ever opened (a different adapter), the page would offer it again.
    monkeypatch.setattr("staff.adapters.StaffAccountAdapter.is_open_for_signup", lambda self, request: True)
    html = client.get(reverse("account_login")).content.decode()
    assert f'href="{reverse("account_signup")}"' in html


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_language_menu_names_each_language_in_its_own_language(client, alice, language):
    if language == "en":
        _english(client)
    for signed_in in (False, True):
        if signed_in:
            client.force_login(alice)
            alice.preferred_language = language
            alice.save()
        for url in (reverse("account_login"), reverse("home"), reverse("staff:profile")):
            response = client.get(url, follow=True)
            page = _Page(response.content.decode())
            assert page.options == ["日本語", "English"], (url, signed_in, page.options)
            assert "英語(米国)" not in response.content.decode()


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_aria_describedby_on_the_catalogue_names_an_id_on_the_page(client, alice, language):
    alice.preferred_language = language
    alice.save()
    client.force_login(alice)
    page = _Page(client.get(reverse("courses:catalogue")).content.decode())
    assert page.described, "the search field is described by its help text"
    missing = [(owner, ref) for owner, refs in page.described for ref in refs.split() if ref not in page.ids]
    assert missing == []
    assert ("id_q", "id_q_helptext") in page.described
