"""The human-capital report: each figure from a small city whose answer is known, the change
from the year before, per division, the exports, who may see it, and a fixed number of queries."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone
from django.utils.translation import gettext

from courses import hcreport
from courses.insight import DepartmentIndex, Scope, fiscal_year_bounds, fiscal_year_of
from tests.courses.promotion_helpers import at, external_badge
from tests.factories import make_course, make_department, make_enrolment, make_skill, make_staff

pytestmark = pytest.mark.django_db

FY = fiscal_year_of(timezone.localdate())


def in_fy(fy: int, days: int = 10) -> dt.date:
    """A day early in fiscal year ``fy`` (never in the future)."""
    return min(fiscal_year_bounds(fy)[0] + dt.timedelta(days=days), timezone.localdate())


@pytest.fixture
def city(department, dave):  # type: ignore[no-untyped-def]
    """福祉部 (department's parent) with 4 people, 総務部 (dave's) with dave and 1 more.

    This year: two welfare people completed a 10-hour course (one for promotion), a third only
    holds a seat on a 6-hour course; a welfare badge was issued; dave had an external badge of
    4 hours confirmed. Last year: one welfare person completed a 10-hour course.
    """
    welfare_people = [make_staff(department=department) for _ in range(4)]
    make_staff(department=dave.department)
    skill = make_skill(code="LAW")
    this = make_course(starts_on=in_fy(FY, 1), hours=10, cost=30000, city_subsidy=20000, skills={skill: 1})
    seat_only = make_course(starts_on=in_fy(FY, 1), hours=6, cost=10000, city_subsidy=10000)
    last = make_course(starts_on=in_fy(FY - 1, 1), hours=10, cost=5000, city_subsidy=5000)
    a, b, c, d = welfare_people
    make_enrolment(staff=a, course=this, state="completed", completed_on=in_fy(FY, 5), use_type="promotion")
    make_enrolment(staff=b, course=this, state="completed", completed_on=in_fy(FY, 5))
    make_enrolment(staff=c, course=seat_only, state="approved")
    make_enrolment(staff=d, course=this, state="requested")  # no seat: does not take part
    make_enrolment(staff=a, course=last, state="completed", completed_on=in_fy(FY - 1, 5))
    from badges.models import Award
    from badges.signals import awards_changed
    from tests.factories import make_badge_class

    badge = make_badge_class()
    this.badge_class = badge
    this.save()
    Award.objects.create(
        recipient=a,
        badge_class=badge,
        issuer=badge.issuer,
        source_key="enrolment:1",
        achieved_on=in_fy(FY, 5),
        status="issued",
        issued_at=at(in_fy(FY, 6)),
    )
    awards_changed.send(sender=Award, recipient_ids=[a.pk])
    from courses.holdings import skill_holdings_refresh

    skill_holdings_refresh(staff_ids=[a.pk, b.pk])
    ext = external_badge(dave, issued=in_fy(FY, 3), hours=4)
    ext.confirmed_at = at(in_fy(FY, 4))
    ext.save()
    # The rows above were written around the services: the report's table from them in one go
    # (tests/courses/test_learning_years.py checks that the services keep it themselves).
    from courses.learning import learning_years_rebuild

    learning_years_rebuild()
    return {"welfare": department.parent, "general": dave.department, "people": welfare_people}


def _report():  # type: ignore[no-untyped-def]
    return hcreport.report(scope=Scope(is_hr=True), departments=DepartmentIndex.load(), fiscal_year=FY)


def _value(group, key: str, fy: int = FY):  # type: ignore[no-untyped-def]
    return group.value(hcreport.METRICS_BY_KEY[key], fy)


def test_the_city_figures(city, alice, bob, carol):
    r = _report()
    c = r.city.counts[FY]
    # alice, bob (福祉政策課), the 4 welfare people, dave and 1 more; carol has no department.
    assert c.headcount == 9
    assert c.participants == 3  # a, b completed; c holds a seat; d only requested
    assert c.subsidy == 20000 + 20000 + 10000 and c.staff_share == 10000 + 10000
    assert c.hours == 10 + 10 + 4  # two completions and dave's confirmed external badge
    assert c.completions == 2 and c.promotion_completions == 1
    assert c.badges == 1 and c.external_confirmed == 1
    assert c.skill_holders == 2
    assert _value(r.city, "participation") == pytest.approx(100 * 3 / 9)
    assert _value(r.city, "hours") == pytest.approx(24 / 9)
    assert _value(r.city, "badges") == pytest.approx(100 / 9)
    assert _value(r.city, "promotion") == pytest.approx(50.0)


def test_the_change_from_the_year_before(city, alice, bob, carol):
    r = _report()
    before = r.city.counts[FY - 1]
    assert before.participants == 1 and before.hours == 10 and before.completions == 1
    assert r.city.change(hcreport.METRICS_BY_KEY["participation"], FY) == pytest.approx(100 * (3 - 1) / 9)
    # Skill coverage a year ago: a's first completion of a LAW course was this year.
    assert before.skill_holders == 0


def test_each_division_counts_its_own_people(city, alice, bob, carol):
    r = _report()
    rows = {row.dept.code: row for row in r.divisions}
    welfare, general = rows[city["welfare"].code], rows[city["general"].code]
    assert welfare.counts[FY].headcount == 6 and welfare.counts[FY].participants == 3
    assert general.counts[FY].headcount == 2 and general.counts[FY].external_confirmed == 1
    assert welfare.counts[FY].hours + general.counts[FY].hours == r.city.counts[FY].hours


def test_no_data_gives_a_dash_not_a_division_by_zero(db):
    r = _report()
    assert _value(r.city, "participation") is None
    assert _value(r.city, "promotion") is None


def test_the_exports_hold_every_figure_in_japanese(client, city, carol):
    client.force_login(carol)
    body = client.get(f"/hr/report/export.csv?fy={FY}").content
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["年度", "区分", "職員数"]
    city_now = next(r for r in rows if r[0] == f"{FY}年度" and r[1] == "全市")
    assert city_now[3] == "3"  # participants
    from openpyxl import load_workbook

    xlsx = client.get(f"/hr/report/export.xlsx?fy={FY}").content
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert next(sheet.iter_rows(values_only=True))[0] == "年度"


def test_the_page_has_a_chart_and_a_table_for_every_figure(client, city, carol):
    client.force_login(carol)
    page = client.get("/hr/report/").content.decode()
    for metric in hcreport.METRICS:
        assert f'id="hc-{metric.key}"' in page
    assert page.count("<svg") >= len(hcreport.METRICS)
    assert page.count('class="table table--stack chart-table"') == len(hcreport.METRICS)


def test_staff_see_no_report_and_heads_cannot_export_it(client, city, alice, bob, dave):
    for person in (alice, dave):
        client.force_login(person)
        for url in ("/hr/report/", "/hr/report/export.csv", "/hr/report/export.xlsx"):
            assert client.get(url).status_code == 403, (person, url)
    client.force_login(bob)
    assert client.get("/hr/report/").status_code == 200
    for url in ("/hr/report/export.csv", "/hr/report/export.xlsx"):
        assert client.get(url).status_code == 403, url


def _main(response) -> str:  # type: ignore[no-untyped-def]
    """The page's own content (the footer names 総務部, the HR desk's division)."""
    page = response.content.decode()
    return page[page.index("<main") : page.index("</main>")]


def _head_report(head):  # type: ignore[no-untyped-def]
    from courses.insight import insight_scope

    return hcreport.report(scope=insight_scope(head), departments=DepartmentIndex.load(), fiscal_year=FY)


def test_a_head_sees_their_departments_next_to_the_city_and_never_another_departments_figures(
    client, city, alice, bob, dave
):
    data = _head_report(bob)
    assert data.for_head and not data.too_small
    # bob heads 福祉政策課: its four people of the fixture, alice and bob himself (6), nobody of 総務部.
    section = data.section
    assert section is not None and section.counts[FY].headcount == 6
    assert section.counts[FY].external_confirmed == 0  # dave's confirmed badge is 総務部's
    assert section.counts[FY].participants == 3 and section.counts[FY].completions == 2
    assert data.divisions == []  # one department and nothing below it: its own row would repeat the section
    # The city's figures are the whole city's, for comparison: dave's badge counts there.
    assert data.city.counts[FY].external_confirmed == 1
    assert data.city.counts[FY].headcount == _report().city.counts[FY].headcount

    client.force_login(bob)
    page = _main(client.get("/hr/report/"))
    assert "総務部" not in page and 'href="/hr/report/export.csv' not in page
    assert 'class="table table--stack hc-summary hc-section"' in page
    for metric in hcreport.METRICS:
        assert f'id="hc-{metric.key}"' in page
    # Two summaries (his departments, the city), and in every chart's table the city and his
    # departments together: no other row.
    assert page.count('<th scope="row">') == 2 * len(hcreport.METRICS) + len(hcreport.METRICS) * 2


def test_a_head_with_small_units_never_sees_a_row_of_fewer_than_five_people(city, bob):
    department = bob.department
    big = make_department(code="401001", name="企画係", level="unit", parent=department)
    small = make_department(code="401002", name="庶務係", level="unit", parent=department)
    for _i in range(6):
        make_staff(department=big)
    for _i in range(2):
        make_staff(department=small)
    data = _head_report(bob)
    sizes = {r.label: r.counts[FY].headcount for r in data.divisions}
    assert all(n >= hcreport.MIN_GROUP_SIZE for n in sizes.values()), sizes
    assert not any("庶務係" in label for label in sizes)
    # 庶務係 (2) alone is too small: 福祉政策課's own six (the smallest row then) are counted with it.
    assert sizes == {"福祉政策課 › 企画係": 6, gettext("Other units, counted together"): 7}
    assert data.pooled == 2
    assert sum(sizes.values()) == data.section.counts[FY].headcount == 13


def test_a_head_of_fewer_than_five_people_sees_only_the_citys_figures(client, city):
    from staff.services import department_set_heads

    tiny = make_department(code="90", name="監査室", level="division")
    head = make_staff(department=tiny)
    make_staff(department=tiny)
    department_set_heads(department=tiny, heads=[head])
    data = _head_report(head)
    assert data.too_small and data.section is None and data.divisions == []
    client.force_login(head)
    page = _main(client.get("/hr/report/"))
    assert "hc-section" not in page and 'id="hc-participation"' in page
    assert "監査室" not in page


def test_hr_still_sees_every_division_whatever_its_size(city):
    labels = {r.label for r in _report().divisions}
    assert labels == {"福祉部", "総務部"}  # 総務部 has two people: HR's view is unchanged


@pytest.mark.parametrize("extra", [0, 15])
def test_the_report_costs_the_same_queries_whatever_the_size(
    client, city, carol, bob, extra, django_assert_max_num_queries
):
    for i in range(extra):
        unit = make_department(code=f"X{i}", name=f"追加部{i}", level="division")
        person = make_staff(department=unit)
        make_enrolment(staff=person, course=make_course(starts_on=in_fy(FY, 2), hours=3), state="approved")
    client.force_login(carol)
    client.get("/hr/")
    with django_assert_max_num_queries(15):
        assert client.get("/hr/report/").status_code == 200
    with django_assert_max_num_queries(15):
        assert client.get("/hr/report/export.xlsx").status_code == 200
    client.force_login(bob)
    client.get("/hr/")
    with django_assert_max_num_queries(15):
        assert client.get("/hr/report/").status_code == 200
