"""The rest of issue 13 in Chromium, at 375 px and 1280 px, in Japanese and in English:

* the 403 and 404 pages in the portal's layout (its header and menu), Japanese by default with
  no English on the Japanese page;
* HR's record-access log: the date range on the HR page and its CSV, the admin's list with its
  day filter (Japan time) and the CSV of the rows shown;
* the admin's badge search by a full name typed without a space, or in hiragana;
* a completion date before the course starts refused on the enrolment's page (with the reason
  it then asks for), then accepted with a reason that the history keeps.

HR signs in with the password and a TOTP code in the first journey (tests/browser/conftest.py
``sign_in``); the others open a signed-in context. Each step is measured as a person looks
(tests/browser/measure.py) and photographed to test-artifacts/screenshots/<test>/.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from badges import services as badge_services
from courses.models import Enrolment
from staff.models import RecordAccess
from tests.browser.conftest import sign_in
from tests.browser.measure import MEASURE, WIDTHS
from tests.factories import (
    DEFAULT_PASSWORD,
    make_badge_class,
    make_course,
    make_enrolment,
    make_staff,
    today,
    totp_code,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ("ja", "en")
VARIANTS = [(width, language) for width in WIDTHS for language in LANGUAGES]
IDS = [f"{width}px-{language}" for width, language in VARIANTS]

# English words on a Japanese page: Latin words of three letters or more in the text a person
# reads, except where the page marks English as English (lang="en", e.g. the language menu).
ENGLISH_ON_JAPANESE = r"""
() => {
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode()); ) {
    const el = node.parentElement;
    if (!el || el.closest('script, style, noscript, template, option, [lang^="en"]')) continue;
    const s = getComputedStyle(el);
    if (s.display === 'none' || s.visibility === 'hidden') continue;
    for (const m of node.textContent.matchAll(/[A-Za-z][A-Za-z'’-]{2,}/g)) found.push(m[0]);
  }
  for (const el of document.querySelectorAll('input[type=submit], button, [aria-label], [title], img[alt]')) {
    for (const text of [el.value, el.getAttribute('aria-label'), el.getAttribute('title'), el.getAttribute('alt')]) {
      for (const m of (text || '').matchAll(/[A-Za-z][A-Za-z'’-]{2,}/g)) found.push(m[0]);
    }
  }
  return found;
}
"""

# Data entered in Japanese only (names, course titles, badge names, log paths) may show on an
# English admin page; the admin's own words are measured.
JAPANESE_DATA = (
    "#user-tools strong, .breadcrumbs, #content > h2, #result_list tbody, #events-group td, .readonly,"
    " #recent-actions-module li, .messagelist, .field-grade .help, .enrolment-decisions .help,"
    " #changelist-search, .hr-table td, .hr-table th[scope=row], .table td, .table th[scope=row], .messages"
)


def _measure(page: Any, where: str, japanese_data: str | None = JAPANESE_DATA) -> None:
    problems = page.evaluate(MEASURE, japanese_data)
    assert not problems, f"{where}: what a person would stumble on:\n  " + "\n  ".join(problems)


def _speaks(person: Any, language: str) -> Any:
    person.preferred_language = language
    person.save(update_fields=["preferred_language"])
    return person


# --- The 403 and 404 pages ---------------------------------------------------------------------


@pytest.mark.parametrize(("width", "language"), VARIANTS, ids=IDS)
def test_the_403_and_404_pages_are_the_portals_pages_in_the_persons_language(
    open_context, live_server, alice, shots, width, language
):  # type: ignore[no-untyped-def]
    staff_member = _speaks(alice, language)
    page = open_context(staff_member, **WIDTHS[width]).new_page()
    expected = {
        "ja": {404: "ページが見つかりません", 403: "このページは開けません"},
        "en": {404: "Page not found", 403: "You cannot open this page"},
    }[language]
    for status, path in ((404, "/no-such-page/"), (403, "/hr/access-log/")):
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == status
        assert page.evaluate("() => document.documentElement.lang") == language
        expect(page.locator("h1")).to_have_text(expected[status])
        assert expected[status] in page.title()
        # The portal's layout: its header, its menu with the person's links, a way home.
        expect(page.locator("header.site-header .brand")).to_be_visible()
        menu = page.locator("nav.site-nav")
        expect(menu).to_have_count(1)
        assert menu.locator("a[href]").count() >= 3
        expect(page.locator("main .error-page a.button")).to_be_visible()
        shots(page, f"{status}-{width}-{language}")
        _measure(page, f"{status} page {width}px {language}", None)
        if language == "ja":
            assert page.evaluate(ENGLISH_ON_JAPANESE) == [], f"English on the Japanese {status} page"
    # The way home works.
    with page.expect_navigation():
        page.locator("main .error-page a.button").click()
    assert page.url.rstrip("/") == live_server.url


# --- HR's record-access log ------------------------------------------------------------------


@pytest.fixture
def access_log(alice, bob, carol, dave):  # type: ignore[no-untyped-def]
    """Today (Japan time) bob reviewed alice's record and carol exported dave; a week ago carol
    read alice's training record."""
    now = timezone.localtime()
    P = RecordAccess.Purpose
    RecordAccess.objects.create(viewer=bob, subject=alice, purpose=P.HEAD_REVIEW, path="/hr/people/100001/", at=now)
    RecordAccess.objects.create(viewer=carol, subject=dave, purpose=P.EXPORT, path="/hr/people/export.csv", at=now)
    RecordAccess.objects.create(
        viewer=carol, subject=alice, purpose=P.TRAINING_RECORD, path="/badges/record/", at=now - dt.timedelta(days=7)
    )
    return now.date()


def _csv_rows(download: Any) -> tuple[bytes, list[list[str]]]:
    body = Path(download.path()).read_bytes()
    return body, list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


@pytest.mark.parametrize(("width", "language"), VARIANTS, ids=IDS)
def test_hr_filters_the_access_log_by_dates_and_downloads_it_then_does_the_same_in_the_admin(
    open_context, new_context, live_server, carol, access_log, shots, width, language
):  # type: ignore[no-untyped-def]
    hr = _speaks(carol, language)
    if width == "1280" and language == "ja":
        # Once as HR really signs in: password, then the code from the authenticator.
        page = new_context(**WIDTHS[width], accept_downloads=True).new_page()
        sign_in(page, live_server, hr.email, DEFAULT_PASSWORD, totp=totp_code())
    else:
        page = open_context(hr, **WIDTHS[width], accept_downloads=True).new_page()
    stamp = timezone.localdate().strftime("%Y%m%d")
    words = {
        "ja": {
            "from": "期間（から）",
            "to": "期間（まで）",
            "show": "表示",
            "download": "この条件の記録をダウンロード（CSV）",
        },
        "en": {"from": "From (date)", "to": "To (date)", "show": "Show", "download": "Download these entries (CSV)"},
    }[language]

    page.goto(f"{live_server.url}/hr/access-log/")
    expect(page.locator(".table tbody tr")).to_have_count(3)
    shots(page, f"1-hr-log-{width}-{language}")
    _measure(page, f"access log {width}px {language}")
    page.get_by_label(re.compile("^" + re.escape(words["from"]))).fill((access_log - dt.timedelta(days=1)).isoformat())
    page.get_by_label(re.compile("^" + re.escape(words["to"]))).fill(access_log.isoformat())
    with page.expect_navigation():
        page.get_by_role("button", name=words["show"]).click()
    rows = page.locator(".table tbody tr")
    expect(rows).to_have_count(2)  # a week ago is outside the range
    purposes = rows.locator("td:nth-child(4)").all_inner_texts()
    assert sorted(purposes) == sorted(
        ["所属長による確認", "職員検索結果の書き出し"]
        if language == "ja"
        else ["Review by the head of section", "Export of a people search"]
    )
    shots(page, f"2-hr-log-filtered-{width}-{language}")
    _measure(page, f"filtered access log {width}px {language}")
    with page.expect_download() as event:
        page.get_by_role("link", name=words["download"]).click()
    download = event.value
    assert re.fullmatch(rf"record-access-log-{stamp}-\d{{4}}\.csv", download.suggested_filename)
    body, csv_rows = _csv_rows(download)
    assert body.startswith(b"\xef\xbb\xbf")
    assert csv_rows[0][0] == "日時" and len(csv_rows) == 3  # Japanese headers whatever the page's language
    assert {row[5] for row in csv_rows[1:]} == {"所属長による確認", "職員検索結果の書き出し"}
    assert all(row[0].startswith(access_log.isoformat()) for row in csv_rows[1:])

    # The admin's list: its time column, the day filter, and the CSV of the rows shown.
    page.goto(f"{live_server.url}/admin/staff/recordaccess/")
    head = page.locator("#result_list thead").inner_text()
    if language == "ja":
        assert "日時" in head and "日程" not in head and "目的" in head
    else:
        assert "when" in head.lower() and "purpose" in head.lower()  # shown in capitals by the admin's CSS
    expect(page.locator("#result_list tbody tr")).to_have_count(3)
    shots(page, f"3-admin-log-{width}-{language}")
    _measure(page, f"admin access log {width}px {language}")
    today_query = f"?at__year={access_log.year}&at__month={access_log.month}&at__day={access_log.day}"
    page.goto(f"{live_server.url}/admin/staff/recordaccess/{today_query}")
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    shots(page, f"4-admin-log-today-{width}-{language}")
    with page.expect_download() as event:
        page.locator("a.recordaccess-export").click()
    _body, csv_rows = _csv_rows(event.value)
    assert re.fullmatch(rf"record-access-log-{stamp}-\d{{4}}\.csv", event.value.suggested_filename)
    assert len(csv_rows) == 3 and {row[5] for row in csv_rows[1:]} == {"所属長による確認", "職員検索結果の書き出し"}


# --- Badge search in the admin ---------------------------------------------------------------

# The result list's visible cells: where each ends, and on how many lines its text sits.
CELLS = """() => [...document.querySelectorAll('#result_list tr > *')].filter(c => c.offsetWidth > 0).map(c => {
  const range = document.createRange(); range.selectNodeContents(c);
  const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
  return {cls: c.className, text: c.innerText.trim().slice(0, 20), right: c.getBoundingClientRect().right,
          lines: tops.size};
})"""


@pytest.fixture
def awards(alice, dave):  # type: ignore[no-untyped-def]
    alice.family_name_kana, alice.given_name_kana = "ヤマダ", "ハナコ"
    alice.save()
    other = make_staff(family_name="山田", given_name="太郎", family_name_kana="ヤマダ", given_name_kana="タロウ")
    law = make_badge_class(name="行政法 修了")
    make_course(title="行政法（通信教育）", code="CHUO-GYOSEI", badge_class=law)
    for n, person in enumerate((alice, dave, other)):
        badge_services.award_request(
            recipient=person, badge_class=law, source_key=f"browser:{n}", achieved_on=today() - dt.timedelta(days=3)
        )


@pytest.mark.parametrize(("width", "language"), VARIANTS, ids=IDS)
def test_hr_finds_a_badge_by_the_full_name_without_a_space_or_in_hiragana(
    open_context, live_server, carol, awards, shots, width, language
):  # type: ignore[no-untyped-def]
    page = open_context(_speaks(carol, language), **WIDTHS[width]).new_page()
    page.goto(f"{live_server.url}/admin/badges/award/")
    expect(page.locator("#result_list tbody tr")).to_have_count(3)
    for n, term in enumerate(("山田花子", "やまだ はなこ")):
        search = page.locator("#searchbar")
        search.fill(term)
        with page.expect_navigation():
            search.press("Enter")
        rows = page.locator("#result_list tbody tr")
        expect(rows).to_have_count(1)
        assert "山田 花子" in rows.first.inner_text()
        # Every column shown is on the screen, and the state reads on one line.
        cells = page.evaluate(CELLS)
        assert all(c["right"] <= int(width) + 1 for c in cells), cells
        status = next(c for c in cells if "field-status" in c["cls"])
        assert status["lines"] == 1, status
        shots(page, f"{n + 1}-search-{width}-{language}")
        _measure(page, f"award search {term} {width}px {language}")


# --- A completion date before the course starts ----------------------------------------------


@pytest.fixture
def under_way(alice):  # type: ignore[no-untyped-def]
    course = make_course(code="CHUO-KENPO", title="憲法", starts_on=today() - dt.timedelta(days=10))
    return make_enrolment(staff=alice, course=course, state="approved")


@pytest.mark.parametrize(("width", "language"), VARIANTS, ids=IDS)
def test_a_completion_date_before_the_course_starts_is_refused_until_hr_gives_the_reason(
    open_context, live_server, carol, under_way, shots, width, language
):  # type: ignore[no-untyped-def]
    page = open_context(_speaks(carol, language), **WIDTHS[width]).new_page()
    page.goto(f"{live_server.url}/admin/courses/enrolment/{under_way.pk}/change/")
    early = (today() - dt.timedelta(days=15)).isoformat()
    form = page.locator("#decisions form.decision-complete")
    form.locator("input[name=complete-completed_on]").fill(early)
    button = {"ja": "修了として記録", "en": "Mark completed"}[language]
    with page.expect_navigation():
        form.get_by_role("button", name=button).click()
    error = page.locator(".messagelist .error")
    expect(error).to_have_count(1)
    if language == "ja":
        assert "講座の開始日" in error.inner_text() and "理由" in error.inner_text()
        assert not re.search(r"[A-Za-z]{3,}", error.inner_text()), error.inner_text()
    else:
        assert "before the course starts" in error.inner_text()
    assert Enrolment.objects.get(pk=under_way.pk).state == "approved"
    box = error.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= int(width) + 1
    shots(page, f"1-refused-{width}-{language}")
    _measure(page, f"refused completion {width}px {language}")

    # Nothing HR typed is lost: the date is still there, and the reason's field says what it needs.
    form = page.locator("#decisions form.decision-complete")
    expect(form.locator("input[name=complete-completed_on]")).to_have_value(early)
    field_error = form.locator(".errorlist")
    expect(field_error).to_have_count(1)
    reason = form.locator("textarea[name=complete-date_reason]")
    assert field_error.bounding_box()["y"] < reason.bounding_box()["y"]
    reason.fill("集中講義で先に修了したため")
    with page.expect_navigation():
        form.get_by_role("button", name=button).click()
    expect(page.locator(".messagelist .success")).to_have_count(1)
    enrolment = Enrolment.objects.get(pk=under_way.pk)
    assert (enrolment.state, enrolment.completed_on.isoformat()) == ("completed", early)
    assert "集中講義で先に修了したため" in page.locator("#events-group").inner_text()
    shots(page, f"2-accepted-with-reason-{width}-{language}")
    _measure(page, f"accepted completion {width}px {language}")
