"""A head of section's 人事分析 names their section and groups by the units they head (issue 13).

「福祉政策課の学習状況」 is in docs/_pending_translations/heads.po until the lead merges it.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from courses import insight
from tests.factories import make_award, make_badge_class, make_department, make_staff

pytestmark = pytest.mark.django_db

TOKYO = dt.timezone(dt.timedelta(hours=9))
PERIOD = {"fy_from": 2025, "fy_to": 2025}


@pytest.fixture
def badges(alice, bob, dave, department):  # type: ignore[no-untyped-def]
    """Badges in FY2025: one in 福祉政策課 itself, two in its 企画係, one in another 課 of 福祉部
    (not bob's), one elsewhere in the city."""
    unit = make_department(code="401010", name="企画係", name_en="Planning Unit", level="unit", parent=department)
    neighbour = make_department(code="4020", name="障害者福祉課", level="section", parent=department.parent)
    badge = make_badge_class()
    on = dt.datetime(2025, 9, 1, 12, 0, tzinfo=TOKYO)
    holders = [alice, make_staff(department=unit), make_staff(department=unit), make_staff(department=neighbour), dave]
    for person in holders:
        make_award(recipient=person, badge_class=badge, issued_at=on)
    return unit


def _h1(html: str) -> str:
    match = re.search(r"<h1>(.*?)</h1>", html, re.S)
    assert match is not None
    return match.group(1)


def test_a_heads_dashboard_is_headed_with_their_section_not_the_city(client, bob, badges):
    client.force_login(bob)
    page = client.get(reverse("hr:dashboard"), PERIOD).content.decode()
    assert _h1(page) == "福祉政策課の学習状況"
    assert "全庁の学習状況" not in page


def test_in_english_the_heading_names_the_section_and_marks_its_japanese_name(client, bob, badges):
    bob.preferred_language = "en"
    bob.save()
    client.force_login(bob)
    page = client.get(reverse("hr:dashboard"), PERIOD).content.decode()
    assert _h1(page) == 'Learning in <span lang="ja">福祉政策課</span>'


def test_hr_keeps_the_city_wide_heading(client, carol, badges):
    client.force_login(carol)
    assert _h1(client.get(reverse("hr:dashboard"), PERIOD).content.decode()) == "全庁の学習状況"


def test_a_heads_badges_by_department_are_grouped_by_their_section_and_its_units(bob, carol, badges):
    departments = insight.DepartmentIndex.load()
    head = insight.insight_scope(bob)
    d = insight.dashboard(scope=head, departments=departments, fy_from=2025, fy_to=2025)  # type: ignore[arg-type]
    assert [(departments.label_within(dept, head), n) for dept, n in d.badges_by_department] == [  # type: ignore[arg-type]
        ("福祉政策課 › 企画係", 2),
        ("福祉政策課", 1),
    ]
    # HR's stays by division (部).
    hr = insight.insight_scope(carol)
    d = insight.dashboard(scope=hr, departments=departments, fy_from=2025, fy_to=2025)  # type: ignore[arg-type]
    assert [(departments.label_within(dept, hr), n) for dept, n in d.badges_by_department] == [  # type: ignore[arg-type]
        ("福祉部", 4),
        ("総務部", 1),
    ]


def test_the_heads_chart_table_lists_their_units_and_no_division(client, bob, badges):
    client.force_login(bob)
    page = client.get(reverse("hr:dashboard"), PERIOD).content.decode()
    figure = page[page.index('id="badges-department"') :]
    figure = figure[: figure.index("</figure>")]
    assert "福祉政策課 › 企画係" in figure
    assert "福祉部" not in figure and "障害者福祉課" not in figure
    assert "取得者の現在の所属別（あなたが所属長である所属と、その下の係）" in figure
