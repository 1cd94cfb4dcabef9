"""Skill matrix: departments × skills, counting people who hold each skill."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from courses import insight
from tests.courses.insight_helpers import add_data_holders
from tests.factories import role_query

pytestmark = pytest.mark.django_db


def _matrix(scope: insight.Scope, *, parent: str = "", **kwargs) -> dict[str, dict[str, int]]:  # type: ignore[no-untyped-def]
    departments = insight.DepartmentIndex.load()
    result = insight.skill_matrix(
        scope=scope, departments=departments, parent=departments.by_code.get(parent), **kwargs
    )
    return {r.department.name: {s.code: n for s, n in zip(result.skills, r.counts, strict=True)} for r in result.rows}


def _hr(carol) -> insight.Scope:  # type: ignore[no-untyped-def]
    scope = insight.insight_scope(carol)
    assert scope is not None
    return scope


def test_the_top_rows_are_the_divisions_counting_everyone_below_them(city, carol):
    counts = _matrix(_hr(carol))
    assert counts["福祉部"]["DATA"] == 4  # alice, erika, frank, gina (henry has no evidence)
    assert counts["総務部"]["DATA"] == 1  # dave
    # LAW: erika and alice through DATA-2 (法務 level 1); gina through the programme (LAW-2).
    assert counts["福祉部"]["LAW"] == 3


def test_a_person_with_both_a_completion_and_a_badge_counts_once(city, carol):
    assert _matrix(_hr(carol), parent="40")["福祉政策課"]["DATA"] == 3  # alice, frank, gina


def test_drilling_down_shows_the_sections_of_a_division(city, carol):
    counts = _matrix(_hr(carol), parent="40")
    assert set(counts) == {"福祉政策課", "障害者福祉課"}
    assert counts["障害者福祉課"]["DATA"] == 1  # erika


def test_a_higher_level_and_valid_only_count_fewer_people(city, carol):
    scope = _hr(carol)
    assert _matrix(scope, level=2)["福祉部"]["DATA"] == 2  # alice, erika
    assert _matrix(scope, level=2, valid_only=True)["福祉部"]["DATA"] == 1  # alice
    assert _matrix(scope, level=3)["総務部"]["DATA"] == 1


def test_the_grade_filter_counts_people_of_that_grade(city, carol):
    assert _matrix(_hr(carol), grade="shunin")["福祉部"]["DATA"] == 2  # alice, erika


def test_the_date_counts_what_was_earned_by_then_and_badges_valid_then(city, carol):
    scope = _hr(carol)
    today = timezone.localdate()
    # 85 days ago: frank (90), erika (120) and alice (100) had completed; gina's badge came 80 days ago.
    assert _matrix(scope, as_of=today - dt.timedelta(days=85))["福祉部"]["DATA"] == 3
    # Valid badges today: alice only. A week ago erika's badge had not expired yet and henry's
    # had not been revoked yet (both happened yesterday), so all three counted then.
    week_ago = today - dt.timedelta(days=7)
    assert _matrix(scope, valid_only=True, level=2)["福祉部"]["DATA"] == 1
    assert _matrix(scope, as_of=week_ago, valid_only=True, level=2)["福祉部"]["DATA"] == 3
    assert _matrix(scope, as_of=week_ago, valid_only=True, level=2, parent="40")["障害者福祉課"]["DATA"] == 2


def test_a_head_sees_the_departments_they_head(city, bob):
    scope = insight.insight_scope(bob)
    assert scope is not None
    counts = _matrix(scope)
    assert list(counts) == ["福祉政策課"]
    assert counts["福祉政策課"]["DATA"] == 3


def test_cells_link_to_the_people_search_prefilled(client, city, carol):
    client.force_login(carol)
    response = client.get(reverse("hr:matrix"), {"level": 2})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'role="img"' in page and "<desc id=" in page
    assert "/hr/people/?department=40&amp;level=2&amp;skill=DATA" in page
    # The people behind that link are the ones the cell counts.
    people = client.get(reverse("hr:people"), {"department": "40", "level": 2, "skill": "DATA"})
    assert people.context["page"].paginator.count == 2


def test_a_row_with_departments_below_links_to_its_drill_down(client, city, carol):
    client.force_login(carol)
    page = client.get(reverse("hr:matrix")).content.decode()
    assert "/hr/skills/?department=40&amp;level=1" in page


@pytest.mark.parametrize("extra", [0, 20])
def test_the_matrix_costs_the_same_queries_for_few_or_many_people(city, carol, extra, django_assert_num_queries):
    add_data_holders(city, extra)
    scope = _hr(carol)
    departments = insight.DepartmentIndex.load()
    # Skills, the holder counts (one UNION query), the headcounts.
    with django_assert_num_queries(3):
        insight.skill_matrix(scope=scope, departments=departments)


@pytest.mark.parametrize("extra", [0, 20])
def test_the_matrix_page_costs_the_same_queries_for_few_or_many_people(
    client, city, carol, extra, django_assert_num_queries
):
    add_data_holders(city, extra)
    client.force_login(carol)
    client.get(reverse("hr:matrix"))
    # session, user with roles (staff/auth_backends.py), MFA check, departments, then the three
    # of the matrix.
    with django_assert_num_queries(7 + role_query()):
        assert client.get(reverse("hr:matrix"), {"department": "40"}).status_code == 200
