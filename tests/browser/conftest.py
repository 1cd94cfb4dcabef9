"""Real-browser tests: Playwright driving Debian's Chromium against a live server.

Browsers cannot be downloaded here, so Playwright launches /usr/bin/chromium. Screenshots of
each step go to test-artifacts/screenshots/<test>/ (and Playwright keeps one of every failure
under test-artifacts/playwright/).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import _missing

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
# body are still synchronous and safe here (pitfall 19).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "interop" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"

# Every wait in these tests is on something the page signals (an element, a URL, a navigation,
# a download, a file chooser), never on time; this is only the upper bound on such a wait. It is
# generous because `make test` shares two cores with other work: a page that takes 10 s there is
# slow, not broken. Playwright's own default for expect() is 5 s, too tight on a loaded machine.
TIMEOUT_MS = 30_000
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not CHROMIUM.exists():
        _missing("Debian's chromium is not installed (make test installs it)")
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-sync",
            "--disable-background-networking",
            "--disable-component-update",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    # A Japanese browser (Playwright's default Accept-Language is en-US: pitfall 20).
    return {**browser_context_args, "locale": "ja-JP", "timezone_id": "Asia/Tokyo"}


class Shots:
    """Numbered screenshots of each step of a journey, kept as test artefacts."""

    def __init__(self, name: str) -> None:
        self.folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", name)
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):  # a previous run's, so the folder shows this run only
            old.unlink()
        self.count = 0

    def __call__(self, page: Any, step: str) -> None:
        self.count += 1
        page.screenshot(path=str(self.folder / f"{self.count:02d}-{step}.png"), full_page=True)


@pytest.fixture
def new_context(new_context):  # type: ignore[no-untyped-def]
    """pytest-playwright's new_context (so also its context and page), with the upper bound on
    actions and navigations set explicitly (TIMEOUT_MS)."""

    def make(**options: Any) -> Any:
        context = new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        return context

    return make


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    return Shots(request.node.name)


def check_accessibility(page: Any) -> None:
    """Run axe-core (from npm, served to the page from the portal's own origin) and fail on
    serious or critical violations of WCAG 2.1 A/AA."""
    if not AXE.exists():
        _missing("axe-core is not installed (make interop-deps)")
    page.route("**/__tests__/axe.min.js", lambda route: route.fulfill(path=str(AXE), content_type="text/javascript"))
    page.add_script_tag(url="/__tests__/axe.min.js")
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
            resultTypes: ['violations']})"""
    )
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    details = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}" for v in bad
    )
    assert not bad, f"accessibility violations on {page.url}:\n{details}"


def sign_in(page: Any, live_server: Any, email: str, password: str, *, totp: str | None = None) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="ログイン").click()
    if totp is not None:
        # allauth's two-step page: its field is labelled 「コード」 in Japanese. The code is read
        # off the authenticator when the page asks for it, as a person would: a code taken before
        # the password step can run out on a busy machine (30 s periods, no tolerance). A code
        # that runs out between typing and the server's check is refused; a person then types the
        # next one, and so does this (at most twice more). A wrong code never passes.
        from tests.factories import totp_code

        field = page.get_by_label(re.compile(r"^(認証)?コード"))
        for attempt in range(3):
            field.fill(totp if attempt == 0 and totp != "now" else totp_code())
            with page.expect_navigation():
                page.get_by_role("button", name="ログイン").click()
            if "/2fa/authenticate" not in page.url:
                break


def no_horizontal_scroll(page: Any) -> bool:
    return bool(page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"))


# --- Helpers for the journeys, accessibility, keyboard and mobile tests -----------------------


def log_in(context: Any, live_server: Any, user: Any) -> None:
    """Sign ``user`` in to a browser context without the sign-in form (a session cookie made by
    Django's test client). The sign-in form itself is tested in test_sign_in.py and the journey."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def focus_outline(page: Any) -> dict[str, Any]:
    """The focused element, whether it matches :focus-visible, and its computed outline."""
    return dict(
        page.evaluate(
            """() => {
                const el = document.activeElement;
                const style = getComputedStyle(el);
                return {tag: el.tagName.toLowerCase(), type: el.type || '', name: el.name || '', id: el.id || '',
                        text: (el.innerText || el.value || '').trim().slice(0, 60),
                        focusVisible: el.matches(':focus-visible'),
                        outlineStyle: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth) || 0};
            }"""
        )
    )


def tab_to(page: Any, predicate: Any, *, limit: int = 60, shift: bool = False) -> dict[str, Any]:
    """Press Tab until the focused element satisfies ``predicate`` (given focus_outline's dict);
    every element reached on the way must show a visible focus outline."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if shift else "Tab")
        focused = focus_outline(page)
        if focused["tag"] != "body":
            assert focused["focusVisible"] and focused["outlineStyle"] != "none" and focused["outlineWidth"] >= 2, (
                f"no visible focus on {focused}"
            )
        if predicate(focused):
            return focused
    raise AssertionError(f"Tab never reached the element on {page.url}")


@dataclass
class Portal:
    """A small portal with something on every page: alice has a course in progress, a
    completed course with its issued (public) badge and a badge from elsewhere; bob has her
    request to decide; carol (HR) has looked at her record."""

    alice: Any
    bob: Any
    carol: Any
    course: Any  # open, alice has not requested it: the request form
    done_course: Any
    award: Any
    external: Any
    queued: list[Any]

    @property
    def staff_pages(self) -> list[tuple[str, str]]:
        """(name, path) of every staff page, for alice (approvals is bob's)."""
        award = self.award.public_id
        return [
            ("home", "/"),
            ("profile", "/me/profile/"),
            ("catalogue", "/courses/?q=%E8%A1%8C%E6%94%BF"),  # 行政
            ("course", f"/courses/{self.course.code}/"),
            ("request", f"/courses/{self.course.code}/request/"),
            ("my-learning", "/courses/my-learning/"),
            ("approvals", "/courses/approvals/"),
            ("my-badges", "/badges/"),
            ("badge", f"/badges/{award}/"),
            ("portfolio", "/badges/portfolio/"),
            ("portfolio-add", "/badges/portfolio/add/"),
            ("record", "/badges/record/"),
        ]

    @property
    def public_pages(self) -> list[tuple[str, str]]:
        return [
            ("share", f"/public/share/{self.award.share_token}/"),
            ("verify", "/public/verify/"),
            ("issuer", f"/public/issuers/{self.award.issuer.public_id}"),
            ("badge-class", f"/public/badges/{self.award.badge_class.public_id}"),
            ("assertion", f"/public/assertions/{self.award.public_id}"),
        ]

    @property
    def hr_pages(self) -> list[tuple[str, str]]:
        return [
            ("dashboard", "/hr/"),
            ("people", "/hr/people/?q=%E5%B1%B1%E7%94%B0"),  # 山田
            ("profile", f"/hr/people/{self.alice.employee_number}/"),
            ("matrix", "/hr/skills/"),
            ("access-log", "/hr/access-log/"),
        ]

    def user_for(self, name: str) -> Any:
        return self.bob if name == "approvals" else self.alice

    def baked_png(self) -> bytes:
        with self.award.baked_image.open("rb") as handle:
            return bytes(handle.read())


def build_portal(*, alice: Any, bob: Any, carol: Any, badge_class: Any, monkeypatch: Any) -> Portal:
    """On the common world (tests/worlds.py: the personas, the city's skills). Needs the
    signing_key fixture. Nothing reaches a broker: queued tasks are recorded."""
    import datetime as dt

    from badges import services
    from badges.models import Award
    from staff.services import record_access_log
    from tests.badges.conftest import bake_ob3, external_credential, issue
    from tests.factories import make_badge_class, make_course, make_enrolment, make_provider
    from tests.worlds import city_skill

    queued: list[Any] = []
    monkeypatch.setattr(
        "hachioji_portal.queueing.publish",
        lambda task, *, args=(), kwargs=None: queued.append((task.name, args)) or True,
    )
    law, data = city_skill("LAW"), city_skill("DATA")
    chuo = make_provider(name="中央大学法学部 通信教育課程", name_en="Chuo University, Faculty of Law (correspondence)")
    course = make_course(
        code="CHUO-LAW-2026-GYOSEI",
        title="行政法",
        title_en="Administrative law",
        provider=chuo,
        skills={law: 3},
        badge_class=make_badge_class(name="行政法 修了", name_en="Administrative law completed"),
    )
    done_course = make_course(code="CITY-DATA-1", title="データ分析入門", skills={data: 2}, badge_class=badge_class)
    bosai = make_course(code="CITY-BOSAI", title="防災研修", for_promotion=False)
    done = make_enrolment(
        staff=alice, course=done_course, state="completed", grade="優", completed_on=dt.date(2026, 4, 1)
    )
    make_enrolment(staff=alice, course=bosai, state="requested")  # awaits bob
    award = issue(alice, badge_class, f"enrolment:{done.pk}")
    Award.objects.filter(pk=award.pk).update(visibility=Award.Visibility.PUBLIC)
    award.refresh_from_db()
    external = services.external_badge_add(holder=alice, data=bake_ob3(external_credential()), filename="chuo.png")
    record_access_log(viewer=carol, subject=alice, purpose="hr", path=f"/hr/people/{alice.employee_number}/")
    return Portal(
        alice=alice,
        bob=bob,
        carol=carol,
        course=course,
        done_course=done_course,
        award=award,
        external=external,
        queued=queued,
    )


@pytest.fixture
def portal(alice, bob, carol, badge_class, signing_key, monkeypatch) -> Portal:  # type: ignore[no-untyped-def]
    return build_portal(alice=alice, bob=bob, carol=carol, badge_class=badge_class, monkeypatch=monkeypatch)


@pytest.fixture
def open_context(new_context, live_server):  # type: ignore[no-untyped-def]
    """Open a browser context (pytest-playwright's: a Japanese browser in Tokyo, closed at the
    end, and a screenshot of each of its pages under test-artifacts/playwright/ if the test
    fails), signed in as ``user`` if one is given."""

    def make(user: Any = None, **options: Any) -> Any:
        context = new_context(**options)
        if user is not None:
            log_in(context, live_server, user)
        return context

    return make
