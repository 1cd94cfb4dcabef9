"""A page rendered in Japanese holds no English sentence of ours, and shows Japanese dates,
fiscal years (年度) and names family-first.

"Sentences of ours" are the English message ids of the Japanese catalogue with at least three
words (the literal parts between placeholders). The text checked is what a person sees or
hears: the page's title and body text, plus alt, aria-label, placeholder and title attributes;
not <code>, scripts, styles, URLs, JSON, nor anything marked lang="en" on purpose (an English
badge name, the language switch's "English").
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from tests.browser.conftest import Portal, build_portal
from tests.test_translations import PO, _entries

pytestmark = pytest.mark.django_db

PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\{?\s*\w+\s*\}?\}")
SKIPPED = {"script", "style", "code", "pre", "template", "noscript", "svg"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
SPOKEN_ATTRIBUTES = ("alt", "aria-label", "placeholder", "title")


def _words(text: str) -> str:
    return " ".join(text.split())


def english_sentences() -> set[str]:
    """Literal English fragments (three words or more) of every translated message id."""
    sentences: set[str] = set()
    for entry in _entries(PO.read_text(encoding="utf-8")):
        msgid = str(entry["msgid"]).replace("\\n", " ").replace('\\"', '"')
        translated = [str(v) for k, v in entry.items() if k.startswith("msgstr") and v]
        if all(t.replace("\\n", " ").replace('\\"', '"') == msgid for t in translated):
            continue  # the same in both languages on purpose (a name)
        for part in PLACEHOLDER.split(re.sub(r"<[^>]+>", " ", msgid)):
            part = _words(html.unescape(part)).strip(" :;,.—–-()“”\"'")
            if len(part.split()) >= 3 and re.search(r"[A-Za-z]{2}", part):
                sentences.add(part)
    return sentences


class VisibleText(HTMLParser):
    """Text a person sees or hears, without code, URLs and what is marked as English."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, hidden-from-this-check)

    @property
    def skipping(self) -> bool:
        return any(hidden for _tag, hidden in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        # <html lang> is the page's language (checked apart); lang="en" inside it marks English on purpose.
        hidden = tag in SKIPPED or (tag != "html" and (attributes.get("lang") or "").startswith("en"))
        if not hidden and not self.skipping:
            self.parts.extend(str(attributes[a]) for a in SPOKEN_ATTRIBUTES if attributes.get(a))
            if tag == "input" and attributes.get("type") in ("submit", "button") and attributes.get("value"):
                self.parts.append(str(attributes["value"]))
        if tag not in VOID:
            self.stack.append((tag, hidden))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)

    @classmethod
    def of(cls, page: str) -> str:
        parser = cls()
        parser.feed(page)
        text = _words(" ".join(parser.parts))
        text = re.sub(r"https?://\S+|urn:\S+|did:\S+", " ", text)  # URLs and identifiers
        return re.sub(r"\{.*?\}", " ", text)  # JSON shown as data


def english_on(page: str, sentences: set[str]) -> list[str]:
    text = VisibleText.of(page)
    return sorted(s for s in sentences if s in text)


def pages(portal: Portal) -> list[tuple[str, Client, str, dict[str, object] | None]]:
    """(name, client, path, POST data or None) for every staff, public and HR page."""
    alice, bob, carol, anonymous = Client(), Client(), Client(), Client(HTTP_ACCEPT="text/html")
    alice.force_login(portal.alice)
    bob.force_login(portal.bob)
    carol.force_login(portal.carol)  # carol has TOTP set up: the MFA gate lets her in
    from django.core.files.uploadedfile import SimpleUploadedFile

    request = f"/courses/{portal.course.code}/request/"
    answers = {"use_type": "promotion", "reason": "審査請求の対応に必要なため"}
    listed: list[tuple[str, Client, str, dict[str, object] | None]] = []
    for name, path in portal.staff_pages:
        listed.append((name, bob if portal.user_for(name) == portal.bob else alice, path, None))
    listed.append(("request-confirm", alice, request, answers))
    listed.append(("request-invalid", alice, request, {"use_type": "", "reason": ""}))
    for name, path in portal.public_pages:
        listed.append((name, anonymous, path, None))
    upload = {"file": SimpleUploadedFile("badge.png", portal.baked_png())}
    listed.append(("verify-result", anonymous, "/public/verify/", upload))
    listed.append(("verify-empty", anonymous, "/public/verify/", {}))
    for name, path in portal.hr_pages:
        listed.append((f"hr-{name}", carol, path, None))
    # 昇任選考 points and the human-capital report (docs/hcreport.md): HR's pages and one's own points.
    from courses.models import PromotionRuleSet

    selection, _created = PromotionRuleSet.objects.get_or_create(
        fiscal_year=2026, selection="kakaricho", defaults={"cutoff_on": "2027-01-31", "is_published": True}
    )
    listed.append(("hr-promotion", carol, "/hr/promotion/", None))
    listed.append(("hr-promotion-candidates", carol, f"/hr/promotion/{selection.pk}/", None))
    listed.append(("hr-report", carol, "/hr/report/", None))
    listed.append(("my-promotion", alice, "/courses/my-promotion/", None))
    # The Open Badges API's pages (docs/ob-api.md): 「連携中のアプリ」 and the public page about it.
    listed.append(("connected-apps", alice, "/badges/connected-apps/", None))
    listed.append(("ob-api-about", anonymous, "/public/open-badges-api/", None))
    return listed


@pytest.fixture
def rendered(alice, bob, carol, badge_class, signing_key, monkeypatch) -> dict[str, str]:  # type: ignore[no-untyped-def]
    portal = build_portal(alice=alice, bob=bob, carol=carol, badge_class=badge_class, monkeypatch=monkeypatch)
    out: dict[str, str] = {}
    for name, client, path, data in pages(portal):
        response = client.get(path) if data is None else client.post(path, data)
        assert response.status_code == 200, f"{name} {path}: {response.status_code}"
        assert response["Content-Language"] == "ja", name
        out[name] = response.content.decode()
    return out


def test_the_sentence_list_is_the_catalogue_s():
    sentences = english_sentences()
    assert len(sentences) > 100
    assert "Request this course" in sentences
    sample = '<p>Request this course <code>Not this one at all</code></p><p lang="en">Nor this one</p>'
    assert VisibleText.of(sample) == "Request this course"


def test_no_page_rendered_in_japanese_contains_an_english_sentence_of_ours(rendered):
    sentences = english_sentences()
    found = {name: english_on(page, sentences) for name, page in rendered.items()}
    found = {name: english for name, english in found.items() if english}
    assert not found, f"English on Japanese pages: {found}"


def test_every_page_is_japanese_with_japanese_dates_fiscal_years_and_names_family_first(rendered):
    assert len(rendered) >= 25
    for name, page in rendered.items():
        assert re.search(r'<html lang="ja"[ >]', page), name
        assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", VisibleText.of(page)), name
    # The badge was achieved on 2026-04-01; the course was completed that day.
    assert "2026年4月1日" in VisibleText.of(rendered["badge"])
    assert "2026年4月1日" in VisibleText.of(rendered["my-learning"])
    assert not re.search(r"\b(April|Apr\.?) 1, 2026\b|2026-04-01", VisibleText.of(rendered["badge"]))
    # HR reports count in fiscal years: 2026年度, never FY2026.
    dashboard = VisibleText.of(rendered["hr-dashboard"])
    assert re.search(r"\d{4}年度", dashboard) and "FY20" not in dashboard
    # Names family-first, as written in Japanese: 山田 花子, not 花子 山田.
    assert "山田 花子 さん、ようこそ" in VisibleText.of(rendered["home"])
    people = VisibleText.of(rendered["hr-people"])
    assert "山田 花子" in people and "花子 山田" not in people


def test_the_check_does_find_english_on_a_page_rendered_in_english(alice):
    alice.preferred_language = "en"
    alice.save(update_fields=["preferred_language"])
    client = Client()
    client.force_login(alice)
    page = client.get("/badges/portfolio/").content.decode()
    assert '<html lang="en">' in page
    assert "Add a badge" in english_on(page, english_sentences())
