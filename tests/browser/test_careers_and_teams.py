"""Career paths and cross-department teams in Chromium, on a 375 px phone and a 1280 px desktop,
in Japanese and English (issue 15 §2, §3):

- a staff member follows a career path, sees what she holds and what is missing, requests a
  course from a gap in one click, and opts in to cross-department projects on her profile;
- a head of section reads their section's coverage of a path (its chart too) and, in Japanese,
  the human-capital report of the departments they head;
- HR enters what a project needs and gets a team across divisions, with the evidence, and
  downloads it as CSV.

Each page is measured the way a person looks at it (tests/browser/measure.py) and photographed
to test-artifacts/screenshots/<test>/. Controls are found by their place (form action, field
name), not their words: the Japanese texts are in docs/_pending_translations/careers.po until
the lead merges the catalogue.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tests.browser.measure import MEASURE, WIDTHS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _measure(page: Any, where: str) -> None:
    problems = page.evaluate(MEASURE, "")
    assert not problems, f"{where}: what a person would stumble on:\n  " + "\n  ".join(problems)


@pytest.fixture
def city(alice, bob, carol, dave, department):  # type: ignore[no-untyped-def]
    from courses.models import RoleProfile, RoleProfileSkill
    from tests.courses.insight_helpers import build_city

    city = build_city(alice=alice, bob=bob, dave=dave, department=department)
    profile = RoleProfile.objects.create(
        code="KAKARICHO-LAW",
        name="係長・法務担当",
        name_en="Chief, legal affairs",
        description="法務を担う係長に求められるスキル",
        description_en="The skills a chief handling legal work needs",
    )
    RoleProfileSkill.objects.create(profile=profile, skill=city.data, level=2)
    RoleProfileSkill.objects.create(profile=profile, skill=city.law, level=3)
    RoleProfile.objects.create(code="DX-LEAD", name="DX推進リーダー", name_en="DX lead")
    city.profile = profile  # type: ignore[attr-defined]
    return city


def test_staff_follow_a_path_see_their_gaps_and_request_a_course_from_one(open_context, live_server, city, shots):  # type: ignore[no-untyped-def]
    from courses.models import Enrolment
    from staff.models import StaffMember
    from tests.factories import make_course

    alice = city.people["alice"]
    today = timezone.localdate()
    # One open course per screen and language, so each of the four requests one.
    for i in range(4):
        make_course(
            code=f"LAW-3{i}",
            title=f"行政法演習 {i + 1}",
            title_en=f"Administrative law seminar {i + 1}",
            skills={city.law: 3},
            application_opens_on=today - dt.timedelta(days=3),
            application_closes_on=today + dt.timedelta(days=30 + i),
            starts_on=today + dt.timedelta(days=60),
        )
    requested = 0
    for language in ("ja", "en"):
        StaffMember.objects.filter(pk=alice.pk).update(preferred_language=language)
        for width, options in WIDTHS.items():
            where = f"{language} {width}px"
            page = open_context(alice, **options).new_page()
            page.goto(f"{live_server.url}/careers/")
            assert page.evaluate("() => document.documentElement.lang") == language
            if requested == 0:
                # 1. Nothing followed yet: follow the legal path.
                shots(page, f"{language}-{width}-1-paths")
                _measure(page, f"{where} paths")
                with page.expect_navigation():
                    page.locator("form[action='/careers/choose/']:has(input[value='KAKARICHO-LAW']) button").click()
            section = page.locator("section.career")
            assert section.count() == 1
            rows = section.locator("table.career-table tbody tr")
            assert rows.count() == 2
            assert rows.locator(".career-row--met, .state--ok").count() >= 1  # DATA 2: held
            gap = section.locator("tr.career-row--gap")
            assert gap.count() == 1 and "LAW-3" not in gap.inner_text()  # titles, not codes
            shots(page, f"{language}-{width}-2-gaps")
            _measure(page, f"{where} gaps")

            # 2. One click: the request goes to her head of section.
            button = gap.locator("form[action='/careers/request/'] button").first
            with page.expect_navigation():
                button.click()
            requested += 1
            assert Enrolment.objects.filter(staff=alice, course__code__startswith="LAW-3").count() == requested
            assert page.locator(".messages").count() == 1
            shots(page, f"{language}-{width}-3-requested")
            _measure(page, f"{where} after the request")

            # 3. Her profile: the cross-department switch, off until she turns it on.
            page.goto(f"{live_server.url}/me/profile/")
            box = page.locator("#id_team_opt_in")
            if requested == 1:
                assert not box.is_checked()
                box.check()
                with page.expect_navigation():
                    page.locator("form[action='/me/profile/teams/'] button").click()
                assert page.locator("#id_team_opt_in").is_checked()
            # Every choice she made is listed under the switch (one so far: she opted in).
            assert page.locator("table.team-history tbody tr").count() == 1
            shots(page, f"{language}-{width}-4-profile")
            _measure(page, f"{where} profile")
            page.context.close()
    alice.refresh_from_db()
    assert alice.team_opt_in and alice.team_opt_in_changed_at is not None


# The smallest text of a chart as it is drawn on the screen (its font size times the SVG's scale).
CHART_TEXT_PX = """(sel) => {
  const svg = document.querySelector(sel);
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  return Math.min(...[...svg.querySelectorAll('text')].map(t => parseFloat(getComputedStyle(t).fontSize) * scale));
}"""


def test_a_head_reads_their_sections_coverage_of_a_path_and_their_report(open_context, live_server, city, shots):  # type: ignore[no-untyped-def]
    from courses.learning import learning_years_rebuild
    from staff.models import StaffMember
    from tests.factories import make_staff

    bob = city.people["bob"]
    make_staff(department=bob.department)  # five in 福祉政策課 with bob: enough for the report's rows
    learning_years_rebuild()
    for language in ("ja", "en"):
        StaffMember.objects.filter(pk=bob.pk).update(preferred_language=language)
        for width, options in WIDTHS.items():
            where = f"{language} {width}px"
            page = open_context(bob, **options).new_page()
            page.goto(f"{live_server.url}/hr/careers/?profile=KAKARICHO-LAW")
            assert page.evaluate("() => document.documentElement.lang") == language
            rows = page.locator("table.coverage-table tbody tr")
            assert rows.count() == 2  # 福祉政策課 and the total: nothing outside bob's section
            assert "総務" not in page.locator("table.coverage-table").inner_text()
            assert page.locator("ul.coverage-gaps li").count() == 2
            # The chart of the gaps: an image with a title, its bars, its table; no sideways
            # scrolling and text no smaller than 9 px even on the phone.
            chart = page.locator("figure#coverage-skills svg[role='img']")
            assert chart.count() == 1 and chart.locator("rect.chart__bar").count() == 3
            assert page.locator("figure#coverage-skills table.chart-table tbody tr").count() == 3
            box = chart.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= options_width(options)
            assert page.evaluate(CHART_TEXT_PX, "figure#coverage-skills svg") >= 9
            shots(page, f"{language}-{width}-coverage")
            _measure(page, f"{where} coverage")
            if language == "ja":
                # The human-capital report, for the departments bob heads next to the city's.
                page.goto(f"{live_server.url}/hr/report/")
                assert page.locator("table.hc-section tbody tr").count() == 8
                assert page.locator("figure.chart-figure svg").count() >= 8
                main = page.locator("main").inner_text()
                assert "総務部" not in main and "障害者福祉課" not in main
                assert page.locator("a[href^='/hr/report/export']").count() == 0
                assert page.evaluate(CHART_TEXT_PX, "figure#hc-participation svg") >= 9  # the narrow charts
                shots(page, f"{language}-{width}-report")
                _measure(page, f"{where} report")
            page.context.close()


def options_width(options: dict) -> int:  # type: ignore[type-arg]
    return int(options["viewport"]["width"])


def test_hr_proposes_a_cross_department_team_and_downloads_it(open_context, live_server, city, carol, shots):  # type: ignore[no-untyped-def]
    from staff.models import RecordAccess, StaffMember
    from staff.services import staff_set_team_opt_in

    for name in ("alice", "gina", "dave", "erika"):
        staff_set_team_opt_in(staff=city.people[name], opted_in=True)
    for language in ("ja", "en"):
        StaffMember.objects.filter(pk=carol.pk).update(preferred_language=language)
        for width, options in WIDTHS.items():
            where = f"{language} {width}px"
            page = open_context(carol, **options).new_page()
            page.goto(f"{live_server.url}/hr/teams/")
            assert page.evaluate("() => document.documentElement.lang") == language
            shots(page, f"{language}-{width}-1-form")
            _measure(page, f"{where} form")
            page.select_option("select[name='skill_1']", "DATA")
            page.select_option("select[name='level_1']", "2")
            page.select_option("select[name='skill_2']", "LAW")
            page.select_option("select[name='level_2']", "2")
            page.fill("input[name='size']", "2")
            with page.expect_navigation():
                page.locator("form[action='/hr/teams/'] button[type='submit']").click()
            rows = page.locator("table.team-table tbody tr")
            assert rows.count() == 2
            text = page.locator("table.team-table").inner_text()
            # gina (LAW 2, 福祉部) and dave (DATA 3, 総務部): two divisions, with their badges.
            assert "小林" in text and "高橋" in text
            assert rows.locator("ul.evidence-list li").count() == 2  # one badge each
            if language == "ja":
                assert "自治体DXプログラム" in text and "EBPM 修了" in text
            shots(page, f"{language}-{width}-2-proposal")
            _measure(page, f"{where} proposal")
            if width == "1280" and language == "ja":
                with page.expect_download() as download:
                    page.locator("a[href^='/hr/teams/export.csv']").click()
                body = Path(download.value.path()).read_text(encoding="utf-8-sig")
                assert body.startswith("職員番号,氏名") and "高橋 健" in body
            page.context.close()
    assert RecordAccess.objects.filter(viewer=carol, purpose=RecordAccess.Purpose.TEAM_PROPOSAL).count() == 8
    assert RecordAccess.objects.filter(viewer=carol, purpose=RecordAccess.Purpose.TEAM_EXPORT).count() == 2
