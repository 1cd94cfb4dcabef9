"""Every staff page on a 375 px phone and a 1280 px desktop, in Japanese and in English,
measured the way a person looks at it.

alice has something in every state (awaiting her head, awaiting HR, approved, on the waiting
list, completed with a badge, completed with a revoked badge, not completed, withdrawn), and
every page she uses is opened at both widths in both languages. On each page the test measures
(tests/browser/measure.py):

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
from playwright.sync_api import expect

from tests.browser.conftest import Portal
from tests.browser.measure import MEASURE, PHONE, WIDTHS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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
    from tests.factories import make_badge_class, make_course, make_enrolment, make_provider, make_staff

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


REVOKED = {"ja": "取消し", "en": "Revoked"}
WAITING = {"ja": "キャンセル待ち 1 番目", "en": "Number 1 on the waiting list"}

# Whether an element is shown and wholly within the screen's width (not cut off at an edge).
ON_SCREEN = "el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.left >= 0 && r.right <= innerWidth }"


def test_a_revoked_badge_is_marked_everywhere_and_offers_nothing_to_share(
    open_context, live_server, staff_portal, shots
):
    """Issue 13: revoked badges were still offered for download and LinkedIn, and マイ学習 listed
    them without a mark. Also the waiting list shows alice her place."""
    revoked = staff_portal.revoked
    for language in ("ja", "en"):
        _set_language([staff_portal.alice], language)
        for width, options in WIDTHS.items():
            where = f"{language} {width}px"
            page = open_context(staff_portal.alice, **options).new_page()

            # A valid badge's page offers what the revoked one must not (so the checks below look
            # for things that exist).
            page.goto(f"{live_server.url}/badges/{staff_portal.portal.award.public_id}/")
            for offer in ("a[href$='/download.png']", "form.visibility-form", "form[action$='/wallet-offer']"):
                expect(page.locator(offer)).to_have_count(1)

            # The badge's own page: marked, explained, and nothing to download, share or add.
            page.goto(f"{live_server.url}/badges/{revoked.public_id}/")
            mark = page.locator("main .badge-status.status--bad").first
            expect(mark).to_have_text(REVOKED[language])
            assert mark.evaluate(ON_SCREEN), where
            expect(page.locator(".revoked-note")).to_be_visible()
            for offer in (
                "a[href$='/download.png']",
                "a[href*='linkedin.com']",
                "form.visibility-form",
                "form[action$='/wallet-offer']",
            ):
                assert page.locator(offer).count() == 0, (where, offer)
            shots(page, f"{language}-{width}-revoked-badge")

            # マイバッジ: the revoked card carries the mark next to its title.
            page.goto(f"{live_server.url}/badges/")
            card = page.locator(".badge-card--revoked")
            expect(card).to_have_count(1)
            expect(card.locator(".badge-card__title .badge-status")).to_have_text(REVOKED[language])
            assert card.locator(".badge-card__title .badge-status").evaluate(ON_SCREEN), where
            shots(page, f"{language}-{width}-my-badges")

            # マイ学習: the completed course's badge is marked, and the waiting list shows her place.
            page.goto(f"{live_server.url}/courses/my-learning/")
            badge_link = page.locator(f"a[href='/badges/{revoked.public_id}/']")
            expect(badge_link).to_have_count(1)
            status = badge_link.locator("xpath=following-sibling::span[contains(@class, 'badge-status')][1]")
            expect(status).to_have_text(REVOKED[language])
            assert status.evaluate(ON_SCREEN), where
            place = page.locator(".waitlist-position")
            expect(place).to_have_text(WAITING[language])
            assert place.evaluate(ON_SCREEN), where
            shots(page, f"{language}-{width}-my-learning")
            page.context.close()
