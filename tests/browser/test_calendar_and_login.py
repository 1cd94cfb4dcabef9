"""Issue 13, in a real browser at 375 px and 1280 px, in Japanese and English, measured the way a
person looks:

- the sign-in page offers no sign-up (that led to 「ユーザー登録停止中」) and the language menu
  reads 日本語 / English (not 「英語(米国)」);
- on マイ学習 the approved course's 「カレンダーに追加 (.ics)」 link is visible, wholly on the
  screen, and downloads a calendar file named after the course that a calendar reads back;
- every ``aria-describedby`` on the catalogue names an element that is on the page.

Screenshots go to test-artifacts/screenshots/<test>/. The Japanese texts come from
docs/_pending_translations/reminders.po once the lead merges it into locale/ja.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import icalendar
import pytest

from tests.browser.measure import WIDTHS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CASES = [(width, language) for width in WIDTHS for language in ("ja", "en")]

LINK_TEXT = {"ja": "カレンダーに追加 (.ics)", "en": "Add to calendar (.ics)"}
SWITCH = {"ja": "切替", "en": "Switch"}

# Whether an element is wholly inside the visible part of the window (after scrolling to it).
INSIDE_VIEWPORT = """el => {
  const r = el.getBoundingClientRect();
  const s = getComputedStyle(el);
  return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height,
          vw: document.documentElement.clientWidth, vh: window.innerHeight,
          visible: s.visibility !== 'hidden' && s.display !== 'none' && r.width > 0 && r.height > 0};
}"""

# Every aria-describedby id on the page, and the ones that name nothing.
DESCRIBEDBY = """() => {
  const refs = [...document.querySelectorAll('[aria-describedby]')].flatMap(
    el => el.getAttribute('aria-describedby').split(/\\s+/).filter(Boolean).map(id => [el.id || el.tagName, id]));
  return {refs, missing: refs.filter(([, id]) => !document.getElementById(id))};
}"""


@pytest.fixture
def approved(alice: Any) -> Any:
    from django.utils import timezone

    from tests.factories import make_course, make_enrolment, make_provider

    today = timezone.localdate()
    course = make_course(
        code="CHUO-GYOSEI",
        title="行政法",
        title_en="Administrative Law",
        provider=make_provider(name="中央大学法学部 通信教育課程", name_en="Chuo University, Faculty of Law"),
        starts_on=today + dt.timedelta(days=20),
        ends_on=today + dt.timedelta(days=110),
    )
    make_enrolment(staff=alice, course=make_course(code="CITY-BOSAI", title="防災研修"), state="requested")
    return make_enrolment(staff=alice, course=course, state="approved")


def _options(page: Any) -> list[str]:
    return [text.strip() for text in page.locator("#lang-select option").all_inner_texts()]


@pytest.mark.parametrize(("width", "language"), CASES)
def test_the_sign_in_page_offers_no_sign_up_and_names_the_languages_in_their_own_words(
    width, language, open_context, live_server, shots
):
    from tests.browser.conftest import no_horizontal_scroll

    page = open_context(**WIDTHS[width]).new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    assert _options(page) == ["日本語", "English"]
    if language == "en":
        # As a person does: choose English in the menu and press 切替.
        page.locator("#lang-select").select_option("en")
        with page.expect_navigation():
            page.get_by_role("button", name=SWITCH["ja"]).click()
    assert page.evaluate("() => document.documentElement.lang") == language
    shots(page, f"{language}-{width}-sign-in")
    assert _options(page) == ["日本語", "English"]
    assert page.locator("#lang-select").input_value() == language
    assert page.locator('a[href*="/accounts/signup/"]').count() == 0
    text = page.locator("main").inner_text()
    assert "ユーザー登録" not in text and "sign up" not in text.lower()
    roster = {
        "ja": "アカウントは人事課の職員名簿から作成されるため、ご自身での登録は不要です。",
        "en": "Your account comes from HR's staff roster: there is nothing to register.",
    }[language]
    assert page.get_by_text(roster).is_visible()
    assert no_horizontal_scroll(page)


@pytest.mark.parametrize(("width", "language"), CASES)
def test_the_calendar_link_on_my_learning_is_on_the_screen_and_downloads_the_course(
    width, language, alice, approved, open_context, live_server, shots
):
    from staff.models import StaffMember

    StaffMember.objects.filter(pk=alice.pk).update(preferred_language=language)
    context = open_context(alice, accept_downloads=True, **WIDTHS[width])
    page = context.new_page()
    page.goto(f"{live_server.url}/courses/my-learning/")
    assert page.evaluate("() => document.documentElement.lang") == language
    links = page.locator("a.calendar-link")
    assert links.count() == 1  # the approved course only, not the request awaiting the head
    link = links.first
    link.scroll_into_view_if_needed()
    shots(page, f"{language}-{width}-my-learning")
    assert link.inner_text().strip() == LINK_TEXT[language]
    box = link.evaluate(INSIDE_VIEWPORT)
    assert box["visible"], box
    assert 0 <= box["left"] and box["right"] <= box["vw"], f"cut off at the side: {box}"
    assert 0 <= box["top"] and box["bottom"] <= box["vh"], f"not on the screen: {box}"
    # The whole label on one line: not squeezed into a narrow column.
    line_height = float(link.evaluate("el => parseFloat(getComputedStyle(el).lineHeight) || 0")) or 24.0
    assert box["height"] < 2 * line_height, f"the link wraps: {box}"
    # The name a screen reader gives it starts with what is on the screen (WCAG 2.5.3).
    assert link.get_attribute("aria-label").startswith(LINK_TEXT[language])

    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    expected_title = {"ja": "行政法", "en": "Administrative Law"}[language]
    assert download.suggested_filename == f"{expected_title}.ics"
    with open(download.path(), "rb") as handle:
        calendar = icalendar.Calendar.from_ical(handle.read())
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == expected_title
    assert event.decoded("DTSTART") == approved.course.starts_on
    assert event.decoded("DTEND") == approved.course.ends_on + dt.timedelta(days=1)


@pytest.mark.parametrize(("width", "language"), CASES)
def test_the_catalogue_search_is_described_by_help_text_that_is_on_the_page(
    width, language, alice, approved, open_context, live_server, shots
):
    from staff.models import StaffMember

    StaffMember.objects.filter(pk=alice.pk).update(preferred_language=language)
    page = open_context(alice, **WIDTHS[width]).new_page()
    page.goto(f"{live_server.url}/courses/")
    shots(page, f"{language}-{width}-catalogue")
    found = page.evaluate(DESCRIBEDBY)
    assert found["refs"], "the search field names its help text"
    assert found["missing"] == []
    search = page.get_by_role("searchbox")
    help_id = search.get_attribute("aria-describedby")
    assert help_id and page.locator(f"#{help_id}").is_visible()
    # The browser's accessibility tree gives the field that help text as its description.
    description = search.evaluate(
        "el => el.getAttribute('aria-describedby').split(/\\s+/)"
        ".map(id => document.getElementById(id).innerText).join(' ')"
    )
    assert description.strip() == page.locator(f"#{help_id}").inner_text().strip() != ""
