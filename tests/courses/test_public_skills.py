"""The skill framework in public: one page per skill, where every badge's alignment points.

Anyone opens it (no sign-in: a verifier following ``targetUrl`` must not land on the login
page); it shows the skill, its levels and the badge classes aligned to it, and nothing about
people: no names, no emails, no counts.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse

from badges import issuing
from badges.core import credentials
from badges.models import Award
from courses.services import course_align_badge, enrolment_complete, programme_align_badge
from tests.factories import (
    make_badge_class,
    make_course,
    make_enrolment,
    make_programme,
    make_skill,
    make_started_course,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("signing_key", "enqueued", "clear_cache")]

ORIGIN = "http://127.0.0.1:8000"


@pytest.fixture
def law(alice: Any, carol: Any) -> Any:
    """The 法務 skill: a course badge at level 2, a programme badge at level 3, an inactive
    badge class at level 1; alice holds the course badge."""
    skill = make_skill(
        code="LAW",
        name="法務",
        name_en="Legal affairs",
        description="法令を読み、条例・規則を運用する力",
        description_en="Reading legislation and applying the city's ordinances and rules",
    )
    course_badge = make_badge_class(name="行政法", name_en="Administrative law", alignments=[])
    course = make_started_course(title="行政法", badge_class=course_badge, skills={skill: 2})
    course_align_badge(course=course)
    programme_badge = make_badge_class(name="自治体法務プログラム", name_en="Municipal law programme", alignments=[])
    advanced = make_course(title="地方自治法演習", skills={skill: 3})
    programme_align_badge(programme=make_programme(courses=[course, advanced], badge_class=programme_badge))
    retired = make_badge_class(name="旧・法務入門", is_active=False, alignments=[])
    make_course(title="法務入門", badge_class=retired, skills={skill: 1})
    enrolment = make_enrolment(staff=alice, course=course, state="approved")
    assert enrolment_complete(enrolment=enrolment, actor=carol)
    issuing.awards_ensure_issued(award_ids=list(Award.objects.values_list("pk", flat=True)))
    return skill


def page(client: Any, code: str, language: str = "ja") -> Any:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client.get(reverse("public_skills:detail", args=[code]))


def levels(html: str) -> list[str]:
    """The page cut at each level's heading: [before, level 1, level 2, level 3]."""
    return html.split('<section class="skill-level"')


def test_the_skill_page_is_public_and_shows_the_skill_its_levels_and_aligned_badges(client: Any, law: Any) -> None:
    response = page(client, "LAW")
    assert response.status_code == 200
    html = response.content.decode()
    assert "法務" in html and "法令を読み、条例・規則を運用する力" in html and "LAW" in html
    before, basic, intermediate, advanced = levels(html)
    assert "基礎" in basic and "応用" in intermediate and "専門" in advanced
    course_badge = Award.objects.get().badge_class
    assert f'href="/public/badges/{course_badge.public_id}"' in intermediate and "行政法" in intermediate
    assert "自治体法務プログラム" in advanced  # a programme's badge at its courses' highest level
    assert "旧・法務入門" not in html  # inactive badge classes are not offered
    assert "八王子市職員スキル体系" in before  # the framework's name (pending translation, see the .po)


def test_the_skill_page_in_english(client: Any, law: Any) -> None:
    html = page(client, "LAW", "en").content.decode()
    assert "Legal affairs" in html
    assert "Reading legislation and applying the city&#x27;s ordinances and rules" in html
    assert "法令を読み" not in html
    _before, _basic, intermediate, advanced = levels(html)
    assert "Level 2: Intermediate" in intermediate and "Administrative law" in intermediate
    assert "Level 3: Advanced" in advanced and "Municipal law programme" in advanced
    assert "Hachioji City staff skill framework" in html


def test_the_skill_page_shows_no_personal_data(client: Any, law: Any, alice: Any, carol: Any) -> None:
    for language in ("ja", "en"):
        html = page(client, "LAW", language).content.decode()
        for secret in (alice.email, alice.family_name, alice.given_name, alice.employee_number, carol.email):
            assert secret not in html, (language, secret)
        # The people holding the skill are nobody's business here, not even as a number.
        for count in ("1名", "1 person", "1 holder", "holders", "保有者"):
            assert count not in html


def test_an_unknown_skill_is_not_found(client: Any, law: Any) -> None:
    assert page(client, "NOSUCH").status_code == 404
    assert page(client, "NOSUCH", "en").status_code == 404


def test_a_skill_taken_out_of_the_framework_still_answers_for_the_badges_that_point_at_it(
    client: Any, law: Any
) -> None:
    law.is_active = False
    law.save()
    response = page(client, "LAW", "en")
    assert response.status_code == 200 and "no longer part of the framework" in response.content.decode()
    assert "LAW" not in client.get(reverse("public_skills:index")).content.decode()


def test_the_framework_page_lists_every_active_skill(client: Any, law: Any) -> None:
    make_skill(code="DATA", name="データ活用", name_en="Using data")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("public_skills:index")).content.decode()
    assert 'href="/public/skills/LAW/"' in html and 'href="/public/skills/DATA/"' in html
    assert "Legal affairs" in html and "Using data" in html


def test_the_alignment_url_in_a_new_credential_opens_without_signing_in(client: Any, law: Any) -> None:
    award = Award.objects.get()
    alignment = award.credential["credentialSubject"]["achievement"]["alignment"]
    assert [a["targetUrl"] for a in alignment] == [f"{ORIGIN}/public/skills/LAW/"]
    client.logout()
    response = client.get(alignment[0]["targetUrl"].removeprefix(ORIGIN))
    assert response.status_code == 200  # not the 302 to the sign-in page the course page gives
    # ...which is where alignments pointed before:
    assert client.get(reverse("courses:detail", args=[award.badge_class.courses.get().code])).status_code == 302


def test_badges_issued_before_keep_their_signed_alignments(client: Any, law: Any) -> None:
    award = Award.objects.get()
    signed = award.credential
    law.name = "法務・コンプライアンス"
    law.save()
    course_align_badge(course=award.badge_class.courses.get())
    award.refresh_from_db()
    assert award.credential == signed
    assert award.badge_class.alignments[0]["targetName"] == "法務・コンプライアンス"  # new ones say it
    assert credentials.verify_credential(award.credential).valid
