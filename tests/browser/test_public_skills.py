"""The public skill page (where badge alignments point) in a real browser: on a 375 px phone
and a 1280 px desktop, in Japanese and in English, it fits without sideways scrolling and
passes the accessibility check."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

from courses.services import course_align_badge
from tests.browser.conftest import check_accessibility, no_horizontal_scroll
from tests.browser.measure import DESKTOP, PHONE
from tests.factories import make_badge_class, make_course, make_skill

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def skill(signing_key: Any) -> Any:
    skill = make_skill(
        code="DIGITAL-ADMINISTRATION",  # a long code: it must wrap, not push the page wider
        name="デジタル行政推進・データ利活用・情報セキュリティ管理",
        name_en="Digital administration, use of data and information security management",
        description="行政手続のオンライン化、オープンデータの公開と活用、"
        "庁内の情報セキュリティ対策を企画し運用する力。" * 2,
        description_en="Planning and running online procedures, open data and the city's information security. " * 2,
    )
    for n, level in enumerate((1, 2, 3, 3)):
        badge = make_badge_class(
            name=f"自治体DX実践講座（第{n + 1}期）データ利活用とセキュリティの基礎から応用まで",
            name_en=f"Municipal DX in practice (term {n + 1}): data and security from basics to advanced",
            alignments=[],
        )
        course_align_badge(course=make_course(title=f"自治体DX実践{n}", badge_class=badge, skills={skill: level}))
    return skill


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("size", ["375", "1280"])
def test_the_skill_page_fits_phones_and_desktops_in_both_languages(
    open_context: Any, live_server: Any, shots: Any, skill: Any, language: str, size: str
) -> None:
    context = open_context(**(PHONE if size == "375" else DESKTOP))
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    page = context.new_page()
    response = page.goto(f"{live_server.url}/public/skills/{skill.code}/")
    assert response is not None and response.status == 200
    shots(page, f"{size}-{language}-skill")
    assert page.locator("html").get_attribute("lang") == language
    heading = skill.name if language == "ja" else skill.name_en
    assert page.get_by_role("heading", level=1).inner_text() == heading
    assert page.locator(".skill-level").count() == 3
    assert page.locator(".skill-level a").count() == 4  # every aligned badge, linked
    assert no_horizontal_scroll(page), page.evaluate("() => document.documentElement.scrollWidth")
    check_accessibility(page)
