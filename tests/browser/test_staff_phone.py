"""Every staff page on a 375 px phone and a 1280 px desktop, in Japanese and in English,
measured the way a person looks at it.

alice has something in every state (awaiting her head, awaiting HR, approved, on the waiting
list, completed with a badge, completed with a revoked badge, not completed, withdrawn), and
every page she uses is opened at both widths in both languages. On each page the test measures:

- the page is no wider than the screen (no sideways scrolling);
- no text is squeezed into a box narrower than four characters of its font while it needs
  more (a table column crushed to one character per line);
- every link, button and field is wholly on the screen (nothing cut off at the right edge);
- no word is broken across lines (「Withdr/aw」), and no one-word button label wraps
  (「取り下/げる」);
- on English pages, Japanese shows only where there is no English (marked ``lang="ja"``).

Screenshots of every page, width and language go to test-artifacts/screenshots/<test>/.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Error as PlaywrightError

from tests.browser.conftest import Portal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
WIDTHS = {"375": PHONE, "1280": DESKTOP}

# What a person notices, measured in the page. Returns a list of problems (empty: fine).
MEASURE = r"""
() => {
  const vw = document.documentElement.clientWidth;
  const problems = [];
  const english = document.documentElement.lang.startsWith('en');
  const describe = el => el.tagName.toLowerCase()
    + (el.id ? '#' + el.id : '')
    + (typeof el.className === 'string' && el.className.trim()
       ? '.' + el.className.trim().split(/\s+/).join('.') : '');
  // Hidden from sight on purpose: screen-reader text, the skip link until focused.
  const offstage = el => !!el.closest(
    '.visually-hidden, .skip-link, script, style, noscript, template, option, textarea');
  const shown = el => {
    const s = getComputedStyle(el);
    if (s.display === 'none' || s.visibility === 'hidden') return false;
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1;
  };
  const lineTops = rects => new Set(rects.filter(r => r.width > 0).map(r => Math.round(r.top))).size;
  const range = document.createRange();

  const width = document.documentElement.scrollWidth;
  if (width > vw) problems.push(`the page is ${width} px wide on a ${vw} px screen`);

  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode()); ) {
    const el = node.parentElement;
    const text = node.textContent.replace(/\s+/g, ' ').trim();
    if (!el || !text || offstage(el) || !shown(el)) continue;
    const fontSize = parseFloat(getComputedStyle(el).fontSize);
    range.selectNodeContents(node);
    const rects = [...range.getClientRects()].filter(r => r.width > 0);
    if (!rects.length) continue;
    // Squeezed: the text needs more than one line, yet its box is under four characters wide.
    const left = Math.min(...rects.map(r => r.left)), right = Math.max(...rects.map(r => r.right));
    if ([...text].length > 4 && lineTops(rects) > 1 && right - left < 4 * fontSize) {
      problems.push(`squeezed: "${text.slice(0, 30)}" in ${Math.round(right - left)} px`
                    + ` over ${lineTops(rects)} lines (${describe(el)})`);
    }
    // A plain word (letters only: not an address, a code or an identifier) broken across lines.
    if (!el.closest('.mono, code, pre')) {
      const raw = node.textContent;
      for (const m of raw.matchAll(/\S+/g)) {
        const bare = m[0].replace(/^[(“"'‘「（]+|[)”"'’」）.,:;!?、。]+$/g, '');
        if (!/^[A-Za-z][A-Za-z'’]{2,}$/.test(bare)) continue;
        const start = m.index + m[0].indexOf(bare);
        range.setStart(node, start);
        range.setEnd(node, start + bare.length);
        if (lineTops([...range.getClientRects()]) > 1) {
          problems.push(`word broken across lines: "${bare}" (${describe(el)})`);
        }
      }
    }
    // English page: Japanese only where there is no English, and marked as such.
    if (english && /[\u3040-\u30ff\u3400-\u9fff]/.test(text)) {
      const lang = (el.closest('[lang]') || document.documentElement).lang;
      if (!lang.startsWith('ja')) {
        problems.push(`Japanese on an English page, not marked lang="ja": "${text.slice(0, 40)}" (${describe(el)})`);
      }
    }
  }

  // Every control wholly on the screen; a one-word button label on one line.
  for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')) {
    if (offstage(el) || !shown(el)) continue;
    const r = el.getBoundingClientRect();
    const label = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim();
    if (r.left < -1 || r.right > vw + 1) {
      problems.push(`cut off at the screen's edge (${Math.round(r.left)}–${Math.round(r.right)} px):`
                    + ` ${describe(el)} "${label.slice(0, 30)}"`);
    }
    // One word: Latin letters without a space, or a short Japanese label (「取り下げる」); a long
    // Japanese sentence without spaces may wrap like any sentence.
    const isButton = el.matches('button, input[type=submit], input[type=button], .button');
    const oneWord = /^[A-Za-z'’-]+$/.test(label) || (!/\s/.test(label) && [...label].length <= 8);
    if (isButton && label && oneWord) {
      range.selectNodeContents(el);
      const s = getComputedStyle(el);
      const lineHeight = s.lineHeight === 'normal' ? 1.2 * parseFloat(s.fontSize) : parseFloat(s.lineHeight);
      const inner = r.height - ['paddingTop', 'paddingBottom', 'borderTopWidth', 'borderBottomWidth']
        .reduce((sum, p) => sum + parseFloat(s[p]), 0);
      const lines = el.tagName === 'INPUT' ? Math.round(inner / lineHeight) : lineTops([...range.getClientRects()]);
      if (lines > 1 || inner > 1.5 * lineHeight) {
        problems.push(`one-word button label on ${Math.max(lines, 2)} lines: "${label}" (${describe(el)})`);
      }
    }
  }
  return problems;
}
"""


@dataclass
class StaffPortal:
    """build_portal's portal, plus alice's requests and badges in every other state."""

    portal: Portal
    approved: Any
    waitlisted: Any
    recommended: Any
    revoked: Any

    @property
    def alice(self) -> Any:
        return self.portal.alice

    def pages(self) -> list[tuple[str, str]]:
        """(name, path) of every page a staff member uses (approvals is bob's, as her head)."""
        p = self.portal
        return [
            ("home", "/"),
            ("profile", "/me/profile/"),
            ("catalogue", "/courses/"),
            ("course", f"/courses/{p.course.code}/"),
            ("course-japanese-only", f"/courses/{self.recommended.course.code}/"),
            ("course-approved", f"/courses/{self.approved.course.code}/"),
            ("request", f"/courses/{p.course.code}/request/"),
            ("my-learning", "/courses/my-learning/"),
            ("withdraw", f"/courses/my-learning/{self.approved.pk}/withdraw/"),
            ("approvals", "/courses/approvals/"),
            ("my-badges", "/badges/"),
            ("badge", f"/badges/{p.award.public_id}/"),
            ("badge-revoked", f"/badges/{self.revoked.public_id}/"),
            ("portfolio", "/badges/portfolio/"),
            ("portfolio-badge", f"/badges/portfolio/{p.external.public_id}/"),
            ("portfolio-add", "/badges/portfolio/add/"),
            ("record", "/badges/record/"),
        ]


def build_staff_portal(portal: Portal) -> StaffPortal:
    from badges import services as badge_services
    from tests.badges.conftest import issue
    from tests.courses.factories import make_course, make_enrolment, make_provider
    from tests.factories import make_badge_class, make_staff

    alice = portal.alice
    today = timezone.localdate()
    city = make_provider(name="八王子市 人事課 研修担当", name_en="Hachioji City, HR training desk", kind="city")
    approved = make_enrolment(
        staff=alice,
        course=make_course(
            code="CHUO-LOCAL-2026",
            title="地方自治法",
            title_en="Local autonomy law",
            description="地方自治の仕組みを学びます。",
            description_en="How local government works in Japan.",
            term="2026年度 通年",
            provider=city,
        ),
        state="approved",
        use_type="promotion",
    )
    # Japanese only: no English title or description.
    recommended = make_enrolment(
        staff=alice,
        course=make_course(
            code="CITY-KOBUN",
            title="公文書管理の実務と情報公開制度",
            description="公文書の作成、保存、廃棄の実務と、情報公開請求への対応を事例で学びます。",
            term="2026年度 後期",
            provider=city,
        ),
        state="recommended",
    )
    full = make_course(code="CITY-DX-2026", title="自治体DX推進研修", title_en="Digital transformation", capacity=1)
    make_enrolment(staff=make_staff(), course=full, state="approved")
    waitlisted = make_enrolment(staff=alice, course=full, state="waitlisted")
    make_enrolment(
        staff=alice,
        course=make_course(code="CITY-TOKEI", title="統計の基礎", title_en="Basic statistics"),
        state="not_completed",
        result_note="レポート未提出",
    )
    make_enrolment(
        staff=alice,
        course=make_course(code="CITY-EIGO", title="窓口英会話", title_en="English at the counter"),
        state="withdrawn",
    )
    security = make_course(
        code="CITY-SEC",
        title="情報セキュリティ研修",
        title_en="Information security",
        badge_class=make_badge_class(name="情報セキュリティ研修 修了", name_en="Information security completed"),
        starts_on=today - dt.timedelta(days=120),
        ends_on=today - dt.timedelta(days=60),
        application_opens_on=today - dt.timedelta(days=200),
        application_closes_on=today - dt.timedelta(days=130),
    )
    done = make_enrolment(
        staff=alice, course=security, state="completed", grade="合格", completed_on=today - dt.timedelta(days=60)
    )
    revoked = issue(alice, security.badge_class, f"enrolment:{done.pk}")
    badge_services.award_revoke(award=revoked, reason="成績の誤りのため")
    revoked.refresh_from_db()
    return StaffPortal(
        portal=portal, approved=approved, waitlisted=waitlisted, recommended=recommended, revoked=revoked
    )


@pytest.fixture
def staff_portal(portal: Portal) -> StaffPortal:
    return build_staff_portal(portal)


def _set_language(people: list[Any], language: str) -> None:
    from staff.models import StaffMember

    StaffMember.objects.filter(pk__in=[p.pk for p in people]).update(preferred_language=language)


def test_every_staff_page_reads_well_on_a_phone_and_a_desktop_in_japanese_and_english(
    open_context, live_server, staff_portal, shots
):
    portal = staff_portal.portal
    problems: dict[str, list[str]] = {}
    for language in ("ja", "en"):
        _set_language([portal.alice, portal.bob], language)
        for width, options in WIDTHS.items():
            alice = open_context(portal.alice, **options).new_page()
            bob = open_context(portal.bob, **options).new_page()
            for name, path in staff_portal.pages():
                page = bob if name == "approvals" else alice
                where = f"{name} {width}px {language}"
                try:
                    response = page.goto(f"{live_server.url}{path}")
                except PlaywrightError as exc:  # an empty error response (405) is a navigation error
                    problems[where] = [str(exc).splitlines()[0]]
                    continue
                if response is None or response.status != 200:
                    problems[where] = [f"answered {response.status if response else 'nothing'}"]
                    continue
                assert page.evaluate("() => document.documentElement.lang") == language, where
                shots(page, f"{language}-{width}-{name}")
                if found := page.evaluate(MEASURE):
                    problems[where] = found
            alice.context.close()
            bob.context.close()
    report = "\n".join(f"{where}:\n  " + "\n  ".join(found) for where, found in problems.items())
    assert not problems, f"what a person would stumble on:\n{report}"


def test_withdrawing_on_a_phone_is_a_secondary_button_and_asks_first(open_context, live_server, staff_portal, shots):
    from courses.models import Enrolment

    approved = staff_portal.approved
    page = open_context(staff_portal.alice, **PHONE).new_page()
    page.goto(f"{live_server.url}/courses/my-learning/")
    withdraw = page.get_by_role("link", name=f"「{approved.course.title}」の申込を取り下げる")
    # Not dressed as a primary action (filled in the brand colour): outlined, on white.
    background, colour = withdraw.evaluate("el => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color]")
    assert background == "rgb(255, 255, 255)" and colour != "rgb(255, 255, 255)", (background, colour)
    with page.expect_navigation():
        withdraw.tap()
    shots(page, "375-withdraw-question")
    assert page.get_by_role("heading", level=1).inner_text() == "申込を取り下げますか？"
    assert Enrolment.objects.get(pk=approved.pk).state == "approved"  # asking changed nothing
    page.get_by_label("理由（任意）").fill("業務多忙のため")
    with page.expect_navigation():
        page.get_by_role("button", name="申込を取り下げる").tap()
    shots(page, "375-withdrawn")
    assert page.url.endswith("/courses/my-learning/")
    assert Enrolment.objects.get(pk=approved.pk).state == "withdrawn"
    withdrawn = page.locator("#closed-heading").locator("..")
    assert approved.course.title in withdrawn.inner_text()
