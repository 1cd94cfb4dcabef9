"""HR people search: who holds a skill, and why (see tests/courses/insight_helpers.py for the city)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from courses import insight
from tests.courses.insight_helpers import City, add_data_holders
from tests.factories import role_query

pytestmark = pytest.mark.django_db


@pytest.fixture
def hr_scope(carol) -> insight.Scope:  # type: ignore[no-untyped-def]
    scope = insight.insight_scope(carol)
    assert scope is not None
    return scope


def _names(scope: insight.Scope, **filters) -> list[str]:  # type: ignore[no-untyped-def]
    plan = insight.search_plan(scope=scope, filters=insight.PeopleFilters(**filters))
    return sorted(p.given_name for p in plan.people)


def _dept(city_dept) -> insight.Dept:  # type: ignore[no-untyped-def]
    return insight.DepartmentIndex.load().by_code[city_dept.code]


# --- What "holds a skill at a level" means ------------------------------------------------


def test_a_skill_at_level_two_is_held_through_a_completion_or_a_valid_badge(city, hr_scope):
    assert _names(hr_scope, skill=city.data, level=2) == ["健", "絵里香", "花子"]


def test_level_one_also_counts_the_basic_course_and_the_programme_badge(city, hr_scope):
    assert _names(hr_scope, skill=city.data, level=1) == ["健", "文太", "絵里香", "花子", "銀子"]


def test_a_course_not_completed_and_a_revoked_badge_are_no_evidence(city, hr_scope):
    assert "平" not in _names(hr_scope, skill=city.data, level=1)


def test_valid_only_drops_people_whose_only_badge_expired_and_completions_alone(city, hr_scope):
    assert _names(hr_scope, skill=city.data, level=1, valid_only=True) == ["健", "花子", "銀子"]
    assert _names(hr_scope, skill=city.data, level=2, valid_only=True) == ["健", "花子"]


def test_valid_only_on_its_own_means_holding_any_valid_badge(city, hr_scope):
    assert _names(hr_scope, valid_only=True) == ["健", "花子", "銀子"]


# --- Other filters ---------------------------------------------------------------------------


def test_a_department_includes_its_sub_departments(city, hr_scope):
    assert _names(hr_scope, skill=city.data, level=2, department=_dept(city.welfare)) == ["絵里香", "花子"]
    assert _names(hr_scope, skill=city.data, level=2, department=_dept(city.policy)) == ["花子"]


def test_grade_job_family_and_employment_type_narrow_the_search(city, hr_scope):
    assert _names(hr_scope, skill=city.data, grade="shunin") == ["絵里香", "花子"]
    assert _names(hr_scope, skill=city.data, job_family="administrative") == ["文太", "花子", "銀子"]
    assert _names(hr_scope, employment_type="fiscal_year") == ["銀子"]


def test_a_badge_filter_matches_part_of_the_badge_name(city, hr_scope):
    assert _names(hr_scope, badge="データ分析") == ["絵里香", "花子"]  # the expired one is still "held"
    assert _names(hr_scope, badge="データ分析", valid_only=True) == ["花子"]


def test_a_course_filter_takes_a_code_or_part_of_the_title(city, hr_scope):
    assert _names(hr_scope, course="data-3") == ["健"]
    assert _names(hr_scope, course="データ") == ["文太", "絵里香", "花子"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("山田", ["花子"]),
        ("山田花子", ["花子"]),
        ("山田　花子", ["花子"]),  # a full-width space separates words
        ("やまだ", ["花子"]),  # hiragana finds the katakana reading
        ("ﾔﾏﾀﾞ", ["花子"]),  # half-width kana too
        ("100006", ["文太"]),
        ("コバヤシ ギンコ", ["銀子"]),
    ],
)
def test_free_text_finds_names_in_kanji_and_kana(city, hr_scope, query, expected):
    assert _names(hr_scope, q=query) == expected


def test_a_head_of_section_searches_only_their_own_departments(city, bob):
    scope = insight.insight_scope(bob)
    assert scope is not None and not scope.is_hr
    # Bob heads 福祉政策課: erika (障害者福祉課) and dave (総務部) are not his to see, nor is he.
    assert _names(scope, skill=city.data, level=1) == ["文太", "花子", "銀子"]


def test_people_who_left_are_not_found(city, hr_scope):
    city.people["frank"].is_active = False
    city.people["frank"].save()
    assert "文太" not in _names(hr_scope, skill=city.data, level=1)


# --- The "why" --------------------------------------------------------------------------------


def test_each_person_comes_with_the_evidence_that_matched(city, hr_scope):
    plan = insight.search_plan(scope=hr_scope, filters=insight.PeopleFilters(skill=city.data, level=1))
    matches = {
        m.person.given_name: m for m in insight.attach_evidence(plan, list(plan.people), insight.DepartmentIndex.load())
    }
    alice = matches["花子"]
    assert [e.course.code for e in alice.completions] == ["DATA-2"]
    assert [a.badge_class.name for a in alice.awards] == ["データ分析実践 修了"]
    assert alice.skill_level == 2
    assert alice.department_label == "福祉部 › 福祉政策課"
    # erika's expired badge is not evidence for a skill (only valid badges are); her completion is.
    assert [e.course.code for e in matches["絵里香"].completions] == ["DATA-2"]
    assert matches["絵里香"].awards == []
    assert [a.badge_class.name for a in matches["銀子"].awards] == ["自治体DXプログラム"]
    assert matches["銀子"].skill_level == 1


def test_the_results_page_shows_why_with_links_to_the_evidence(client, city, carol):
    client.force_login(carol)
    response = client.get(reverse("hr:people"), {"skill": "DATA", "level": 2, "department": "40"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "データ分析実践" in page
    assert reverse("courses:detail", args=["DATA-2"]) in page
    award = city.people["alice"].awards.get()
    assert reverse("admin:badges_award_change", args=[award.pk]) in page
    assert reverse("hr:profile", args=["100001"]) in page
    assert "100005" in page and "100006" not in page


def test_an_unknown_department_code_is_not_found(client, city, carol):
    client.force_login(carol)
    assert client.get(reverse("hr:people"), {"department": "NOPE"}).status_code == 404


# --- A constant number of queries ------------------------------------------------------------


def _search_queries(scope: insight.Scope, city: City) -> None:
    from django.core.paginator import Paginator

    departments = insight.DepartmentIndex.load()
    filters = insight.PeopleFilters(skill=city.data, level=2, department=departments.by_code["40"])
    plan = insight.search_plan(scope=scope, filters=filters)
    page = Paginator(plan.people, 50).get_page(1)
    matches = insight.attach_evidence(plan, list(page.object_list), departments)
    assert all(m.completions or m.awards for m in matches)
    assert page.paginator.count == len(matches)


@pytest.mark.parametrize("extra", [0, 25])
def test_the_search_costs_the_same_queries_for_few_or_many_people(city, hr_scope, extra, django_assert_num_queries):
    add_data_holders(city, extra)
    # Department index, skill alignment (2), count, page, completions, awards.
    with django_assert_num_queries(7):
        _search_queries(hr_scope, city)


@pytest.mark.parametrize("extra", [0, 25])
def test_the_search_page_costs_the_same_queries_for_few_or_many_people(
    client, city, carol, extra, django_assert_num_queries
):
    add_data_holders(city, extra)
    client.force_login(carol)
    url = reverse("hr:people")
    params = {"skill": "DATA", "level": 2, "department": "40", "valid_only": "on"}
    client.get(url, params)  # warm the session
    # session, user with roles (staff/auth_backends.py), MFA check, departments, skills,
    # alignment (2), count, page, awards (valid only: completions are no evidence, so there is
    # no completions query).
    with django_assert_num_queries(10 + role_query()):
        response = client.get(url, params)
    assert response.status_code == 200
