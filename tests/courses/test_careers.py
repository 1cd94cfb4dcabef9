"""Career paths (courses/careers.py): a staff member's gaps against the role profiles they follow,
the courses that close them with a one-click request, and a section's coverage of a profile.

The city is tests/courses/insight_helpers.py: alice holds データ活用 (DATA) at level 2 and 法務
(LAW) at level 1; gina holds LAW at 2 through a programme badge; dave (総務部) DATA at 3.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from courses import careers, insight
from courses.models import Enrolment, RoleProfile, RoleProfileChoice, RoleProfileSkill, UseType
from tests.courses.insight_helpers import City, add_data_holders, build_city
from tests.factories import make_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(alice, bob, carol, dave, department) -> City:  # type: ignore[no-untyped-def]
    return build_city(alice=alice, bob=bob, dave=dave, department=department)


def make_profile(code: str, needs: dict, **fields) -> RoleProfile:  # type: ignore[no-untyped-def, type-arg]
    fields.setdefault("name", "係長・法務担当")
    fields.setdefault("name_en", "Chief, legal affairs")
    profile = RoleProfile.objects.create(code=code, **fields)
    for skill, level in needs.items():
        RoleProfileSkill.objects.create(profile=profile, skill=skill, level=level)
    return profile


@pytest.fixture
def legal(city: City) -> RoleProfile:
    return make_profile("KAKARICHO-LAW", {city.data: 2, city.law: 2})


@pytest.fixture
def open_law_course(city: City):  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    return make_course(
        code="LAW-3",
        title="行政法演習",
        skills={city.law: 3},
        application_opens_on=today - dt.timedelta(days=5),
        application_closes_on=today + dt.timedelta(days=20),
        starts_on=today + dt.timedelta(days=40),
    )


# --- A staff member's gaps ---------------------------------------------------------------


def test_a_followed_profile_shows_what_is_held_and_what_is_missing(city, legal, alice):
    careers.role_profile_choose(staff=alice, profile=legal)
    page = careers.career_page(staff=alice)
    (gaps,) = page.chosen
    rows = {r.skill.code: r for r in gaps.rows}
    assert rows["DATA"].met and rows["DATA"].held == 2
    assert rows["DATA"].since == timezone.localdate() - dt.timedelta(days=100)  # the completion came first
    assert not rows["LAW"].met and rows["LAW"].held == 1
    assert gaps.met_count == 1 and not gaps.complete


def test_a_gap_lists_open_courses_giving_the_skill_at_the_level_needed_or_higher(city, legal, alice, open_law_course):
    closed = make_course(
        code="LAW-OLD",
        title="締切済",
        skills={city.law: 2},
        application_closes_on=timezone.localdate() - dt.timedelta(days=1),
    )
    too_low = make_course(code="LAW-1", title="法務入門", skills={city.law: 1})
    hidden = make_course(code="LAW-H", title="非公開", skills={city.law: 2}, is_published=False)
    careers.role_profile_choose(staff=alice, profile=legal)
    (gaps,) = careers.career_page(staff=alice).chosen
    law = next(r for r in gaps.rows if r.skill.code == "LAW")
    codes = [g.course.code for g in law.courses]
    assert "LAW-3" in codes and "LAW-2" in codes
    assert closed.code not in codes and too_low.code not in codes and hidden.code not in codes
    assert next(g for g in law.courses if g.course.code == "LAW-3").open_now


def test_a_met_skill_lists_no_courses_and_a_complete_profile_says_so(city, alice):
    profile = make_profile("ANALYST", {city.data: 1}, name="データ担当")
    careers.role_profile_choose(staff=alice, profile=profile)
    (gaps,) = careers.career_page(staff=alice).chosen
    assert gaps.complete and gaps.rows[0].courses == []


def test_an_expired_badge_alone_is_no_longer_a_skill_but_a_completion_stays(city, legal):
    erika = city.people["erika"]  # completed DATA-2; its badge expired yesterday
    careers.role_profile_choose(staff=erika, profile=legal)
    (gaps,) = careers.career_page(staff=erika).chosen
    assert next(r for r in gaps.rows if r.skill.code == "DATA").met


def test_profiles_not_followed_and_inactive_ones(city, legal, alice):
    make_profile("OLD", {city.data: 1}, name="廃止", is_active=False)
    page = careers.career_page(staff=alice)
    assert page.chosen == [] and [p.code for p in page.others] == ["KAKARICHO-LAW"]
    # What each path asks for is shown before following it.
    assert [(n.skill.code, n.level) for n in page.others[0].needs] == [("DATA", 2), ("LAW", 2)]


def test_following_twice_keeps_one_choice_and_unfollowing_removes_it(city, legal, alice):
    assert careers.role_profile_choose(staff=alice, profile=legal)
    assert not careers.role_profile_choose(staff=alice, profile=legal)
    assert RoleProfileChoice.objects.filter(staff=alice).count() == 1
    assert careers.role_profile_unchoose(staff=alice, profile=legal)
    assert not RoleProfileChoice.objects.filter(staff=alice).exists()


def test_the_career_page_costs_the_same_queries_with_more_profiles_and_courses(
    city, legal, alice, open_law_course, django_assert_max_num_queries
):
    careers.role_profile_choose(staff=alice, profile=legal)
    with django_assert_max_num_queries(6):
        careers.career_page(staff=alice)
    for i in range(5):
        p = make_profile(f"P{i}", {city.law: 3, city.data: 3}, name=f"職{i}")
        careers.role_profile_choose(staff=alice, profile=p)
        make_course(code=f"LAW-X{i}", title=f"法務{i}", skills={city.law: 3, city.data: 3})
    with django_assert_max_num_queries(6):
        page = careers.career_page(staff=alice)
    assert len(page.chosen) == 6


# --- The page and the one-click request --------------------------------------------------


def test_staff_follow_a_path_and_request_a_course_from_its_gap_in_one_click(
    client, city, legal, alice, open_law_course
):
    client.force_login(alice)
    response = client.post(reverse("careers:choose"), {"profile": legal.code, "action": "add"})
    assert response.status_code == 302
    page = client.get(reverse("careers:index"))
    assert "LAW-3" in page.content.decode()
    response = client.post(reverse("careers:request"), {"course": "LAW-3", "profile": legal.code, "skill": "LAW"})
    assert response.status_code == 302
    enrolment = Enrolment.objects.get(staff=alice, course=open_law_course)
    assert enrolment.state == "requested" and enrolment.use_type == UseType.SELF_DEVELOPMENT
    assert legal.name in enrolment.reason and "法務" in enrolment.reason
    # The gap now shows the request's state instead of the button.
    (gaps,) = careers.career_page(staff=alice).chosen
    law = next(r for r in gaps.rows if r.skill.code == "LAW")
    assert next(g for g in law.courses if g.course.code == "LAW-3").requested


def test_the_one_click_request_goes_through_the_services_checks(client, city, legal, alice, open_law_course):
    client.force_login(alice)
    client.post(reverse("careers:request"), {"course": "LAW-3", "profile": legal.code, "skill": "LAW"})
    response = client.post(
        reverse("careers:request"), {"course": "LAW-3", "profile": legal.code, "skill": "LAW"}, follow=True
    )
    assert Enrolment.objects.filter(staff=alice, course=open_law_course).count() == 1
    assert "既に" in response.content.decode() or "already" in response.content.decode()


def test_a_closed_course_cannot_be_requested_from_a_gap(client, city, legal, alice):
    make_course(
        code="LAW-OLD",
        title="締切済",
        skills={city.law: 2},
        application_closes_on=timezone.localdate() - dt.timedelta(days=1),
    )
    client.force_login(alice)
    client.post(reverse("careers:request"), {"course": "LAW-OLD", "profile": legal.code, "skill": "LAW"})
    assert not Enrolment.objects.filter(staff=alice, course__code="LAW-OLD").exists()


def test_a_course_that_does_not_close_the_gap_is_refused(client, city, legal, alice):
    make_course(code="LAW-1", title="法務入門", skills={city.law: 1})
    client.force_login(alice)
    client.post(reverse("careers:request"), {"course": "LAW-1", "profile": legal.code, "skill": "LAW"})
    assert not Enrolment.objects.filter(staff=alice, course__code="LAW-1").exists()


def test_choose_and_request_are_post_only_and_need_a_sign_in(client, city, legal, alice):
    assert client.post(reverse("careers:choose"), {"profile": legal.code}).status_code == 302  # to sign in
    client.force_login(alice)
    assert client.get(reverse("careers:choose")).status_code == 405
    assert client.get(reverse("careers:request")).status_code == 405
    assert client.post(reverse("careers:choose"), {"profile": "NOPE"}).status_code == 404


# --- A section's coverage ----------------------------------------------------------------


def test_hr_sees_the_citys_coverage_of_a_profile_by_division(city, legal, carol):
    scope = insight.insight_scope(carol)
    cov = careers.profile_coverage(profile=legal, scope=scope, departments=insight.DepartmentIndex.load())
    # DATA ≥ 2: alice, erika, dave. LAW ≥ 2: gina. Nobody holds both.
    assert cov.total.holders == [3, 1]
    assert cov.total.complete == 0
    by_label = {r.label: r for r in cov.rows}
    assert by_label["福祉部"].holders == [2, 1] and by_label["総務部"].holders == [1, 0]
    (worst, missing, _share, _courses) = cov.gaps[0]
    assert worst.skill.code == "LAW" and missing == cov.total.headcount - 1


def test_a_head_sees_only_their_departments_and_not_themself(city, legal, bob):
    scope = insight.insight_scope(bob)
    cov = careers.profile_coverage(profile=legal, scope=scope, departments=insight.DepartmentIndex.load())
    # 福祉政策課: alice, frank, gina (bob heads it and is not counted); dave and erika are outside.
    assert cov.total.headcount == 3
    assert cov.total.holders == [1, 1]  # alice DATA 2; gina LAW 2
    assert [r.label for r in cov.rows] == ["福祉政策課"]


def test_holding_every_skill_is_counted(city, bob):
    profile = make_profile("BOTH", {city.data: 1, city.law: 1}, name="両方")
    cov = careers.profile_coverage(
        profile=profile, scope=insight.insight_scope(bob), departments=insight.DepartmentIndex.load()
    )
    # alice: DATA 2 and LAW 1 (DATA-2 gives both); gina: DATA 1 and LAW 2 (programme badge).
    assert cov.total.complete == 2


def test_the_coverage_page_answers_hr_and_heads_and_refuses_staff(client, city, legal, alice, bob, carol):
    client.force_login(bob)
    response = client.get(reverse("hr:careers"), {"profile": legal.code})
    assert response.status_code == 200 and "福祉政策課" in response.content.decode()
    assert [r.label for r in response.context["coverage"].rows] == ["福祉政策課"]
    client.force_login(alice)
    assert client.get(reverse("hr:careers")).status_code == 403
    client.force_login(bob)
    assert client.get(reverse("hr:careers"), {"profile": "NOPE"}).status_code == 404


def _svg(page: str, chart_id: str) -> str:
    start = page.index(f'aria-labelledby="{chart_id}-title {chart_id}-desc"')
    return page[page.rindex("<svg", 0, start) : page.index("</svg>", start)]


def test_hr_reads_the_coverage_as_charts_with_their_figures(client, city, legal, carol):
    client.force_login(carol)
    page = client.get(reverse("hr:careers"), {"profile": legal.code}).content.decode()
    skills = _svg(page, "coverage-skills")
    # An image with its own title and a one-sentence description; the figures are written as text.
    assert 'role="img"' in skills and '<title id="coverage-skills-title">' in skills
    assert '<desc id="coverage-skills-desc">' in skills and "style=" not in skills
    cov = careers.profile_coverage(
        profile=legal, scope=insight.insight_scope(carol), departments=insight.DepartmentIndex.load()
    )
    for n in [*cov.total.holders, cov.total.complete]:
        assert f">{cov.total.share(n)}%</text>" in skills
    assert skills.count('class="chart__bar chart__bar--0"') == 3  # DATA 2, LAW 2, every skill
    # HR's rows are the divisions: a second chart compares them, with its table.
    departments = _svg(page, "coverage-departments")
    assert departments.count('class="chart__bar chart__bar--0"') == len(cov.rows) == 2
    assert page.count('class="table table--stack chart-table"') == 2
    # On a phone each figure names its column, as the stacked tables do.
    figures = page.split('id="coverage-skills"', 1)[1].split("</figure>", 1)[0]
    heads = re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', figures)
    cells = re.findall(r'<td data-label="([^"]+)"', figures)
    assert len(heads) == 4 and cells and set(cells) == set(heads[1:])
    assert 'class="table table--stack coverage-table"' in page  # the full table stays


def test_a_heads_coverage_chart_holds_their_departments_only(client, city, legal, bob):
    client.force_login(bob)
    page = client.get(reverse("hr:careers"), {"profile": legal.code}).content.decode()
    skills = _svg(page, "coverage-skills")
    # 福祉政策課: alice, frank, gina: DATA 2 and LAW 2 held by one of the three each, both by nobody.
    assert ">33%</text>" in skills and ">0%</text>" in skills
    desc = skills[skills.index("<desc") : skills.index("</desc>")]
    assert " 3 " in desc and "33%" in desc  # of his 3 people; the least held skill's share
    assert "coverage-departments" not in page  # one row: its share is the first chart's last bar
    assert "総務部" not in page[page.index("<main") : page.index("</main>")]


def test_a_profile_without_skills_has_no_chart(client, city, carol):
    empty = make_profile("EMPTY", {}, name="空")
    client.force_login(carol)
    page = client.get(reverse("hr:careers"), {"profile": empty.code}).content.decode()
    assert "<svg" not in page[page.index("<main") : page.index("</main>")]


def test_coverage_costs_the_same_queries_whatever_the_number_of_people(
    city, legal, carol, django_assert_max_num_queries
):
    scope = insight.insight_scope(carol)
    departments = insight.DepartmentIndex.load()
    with django_assert_max_num_queries(5):
        careers.profile_coverage(profile=legal, scope=scope, departments=departments)
    add_data_holders(city, 15)
    with django_assert_max_num_queries(5):
        cov = careers.profile_coverage(profile=legal, scope=scope, departments=departments)
    assert cov.total.holders[0] == 18
