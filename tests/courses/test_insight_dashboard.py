"""Dashboard aggregates, fiscal years, and the SVG charts (pure) with their tables."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from courses import charts, insight
from courses.holdings import award_uses_refresh
from tests.factories import (
    make_award,
    make_badge_class,
    make_course,
    make_department,
    make_enrolment,
    make_provider,
    make_staff,
)

TOKYO = dt.timezone(dt.timedelta(hours=9))


def at(y: int, m: int, d: int) -> dt.datetime:
    return dt.datetime(y, m, d, 12, 0, tzinfo=TOKYO)


# --- Fiscal years (pure) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "fy"), [(dt.date(2026, 3, 31), 2025), (dt.date(2026, 4, 1), 2026), (dt.date(2027, 3, 31), 2026)]
)
def test_the_fiscal_year_runs_from_april_to_march(day, fy):
    assert insight.fiscal_year_of(day) == fy


def test_fiscal_years_are_labelled_fy_in_english_and_nendo_in_japanese():
    with translation.override("en"):
        assert insight.fiscal_year_label(2026) == "FY2026"
    with translation.override("ja"):
        assert insight.fiscal_year_label(2026) == "2026年度"
    assert insight.fiscal_year_bounds(2026) == (dt.date(2026, 4, 1), dt.date(2027, 4, 1))


# --- Charts (pure) ----------------------------------------------------------------------------


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output


SVG = "{http://www.w3.org/2000/svg}"


def test_a_bar_chart_is_an_image_named_by_its_title_and_description():
    svg = charts.bar_chart(
        chart_id="c1",
        title="修了率",
        desc="事業者別の修了率",
        labels=["中央大学"],
        series=[charts.Series("率", [80])],
    )
    root = _parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find(f"{SVG}title").text == "修了率"
    assert root.find(f"{SVG}desc").text == "事業者別の修了率"
    assert "80" in svg


def test_chart_text_from_data_is_escaped():
    svg = charts.bar_chart(chart_id="x", title="<b>", desc="&", labels=['<script>"'], series=[charts.Series("s", [1])])
    _parse(svg)  # well-formed
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_a_line_chart_draws_one_line_per_series_with_a_legend():
    svg = charts.line_chart(
        chart_id="l",
        title="t",
        desc="d",
        labels=["4月", "5月", "6月"],
        series=[charts.Series("申込", [1, 5, 2]), charts.Series("修了", [0, 1, 3])],
    )
    root = _parse(svg)
    assert len(root.findall(f".//{SVG}polyline")) == 2
    assert "申込" in svg and "修了" in svg


def test_a_heat_map_shades_cells_by_value_and_holds_no_link():
    svg = charts.heat_map(
        chart_id="h",
        title="t",
        desc="d",
        row_labels=["福祉部"],
        col_labels=["データ活用", "法務"],
        values=[[10, 0]],
    )
    root = _parse(svg)
    assert root.get("role") == "img"
    # Nothing interactive inside an image (axe: nested-interactive); the table has the links.
    assert root.findall(f".//{SVG}a") == []
    assert 'class="heat heat--5"' in svg and 'class="heat heat--0"' in svg


def test_heat_shading_spans_the_smallest_to_the_largest_count():
    assert [charts.heat_level(v, 600, 450) for v in (0, 450, 500, 560, 600)] == [0, 1, 2, 3, 5]
    assert charts.heat_range([[0, 450], [600, 0]]) == (450, 600)
    assert charts.heat_level(3, 3, 3) == 5  # one value only: full colour


def test_nice_axis_maximum():
    assert [charts.nice_max(v) for v in (0, 7, 10, 11, 230, 4100)] == [1.0, 10.0, 10.0, 20.0, 250.0, 5000.0]


# --- Aggregates --------------------------------------------------------------------------------


@pytest.fixture
def history(db, carol):  # type: ignore[no-untyped-def]
    """FY2024 and FY2025 in a small city: two providers, a full course, a budget."""
    welfare = make_department(code="40", name="福祉部", level="division")
    general = make_department(code="20", name="総務部", level="division")
    a = make_staff(department=welfare)
    b = make_staff(department=general)
    chuo = make_provider(code="CHUO", name="中央大学")
    city = make_provider(code="CITY", name="八王子市 職員研修", kind="city")
    badge = make_badge_class()
    march = make_course(
        code="MARCH", provider=chuo, starts_on=dt.date(2025, 3, 31), ends_on=dt.date(2025, 5, 1), badge_class=badge
    )
    april = make_course(code="APRIL", provider=city, starts_on=dt.date(2025, 4, 1), ends_on=dt.date(2025, 6, 1))
    full = make_course(code="FULL", provider=city, capacity=1, starts_on=timezone.localdate() + dt.timedelta(days=60))
    e1 = make_enrolment(staff=a, course=march, state="completed", completed_on=dt.date(2025, 5, 1), city_subsidy=20000)
    Enrolment = type(e1)
    Enrolment.objects.filter(pk=e1.pk).update(requested_at=at(2025, 2, 10))
    e2 = make_enrolment(staff=b, course=april, state="completed", completed_on=dt.date(2025, 6, 1), city_subsidy=5000)
    Enrolment.objects.filter(pk=e2.pk).update(requested_at=at(2025, 3, 10), use_type="promotion")
    e3 = make_enrolment(staff=a, course=april, state="not_completed", city_subsidy=5000)
    Enrolment.objects.filter(pk=e3.pk).update(requested_at=at(2025, 3, 12))
    e4 = make_enrolment(staff=b, course=march, state="rejected", city_subsidy=20000)  # never paid
    Enrolment.objects.filter(pk=e4.pk).update(requested_at=at(2025, 2, 11))
    make_enrolment(staff=a, course=full, state="approved")
    make_enrolment(staff=b, course=full, state="waitlisted")
    make_award(recipient=a, badge_class=badge, issued_at=at(2025, 1, 20))  # before the period
    make_award(recipient=a, badge_class=badge, issued_at=at(2025, 5, 8))
    make_award(recipient=b, badge_class=badge, issued_at=at(2025, 5, 9), status="revoked")  # was issued then
    make_award(recipient=b, badge_class=badge, status="pending")  # never issued
    return {"welfare": welfare, "general": general}


def _dashboard(carol, fy_from: int = 2024, fy_to: int = 2025) -> insight.Dashboard:  # type: ignore[no-untyped-def]
    scope = insight.insight_scope(carol)
    assert scope is not None
    return insight.dashboard(scope=scope, departments=insight.DepartmentIndex.load(), fy_from=fy_from, fy_to=fy_to)


def _month(d: insight.Dashboard, series: list[int], y: int, m: int) -> int:
    return series[d.months.index(dt.date(y, m, 1))]


@pytest.mark.django_db
def test_requests_and_completions_are_counted_per_month(history, carol):
    d = _dashboard(carol)
    assert len(d.months) == 24 and d.months[0] == dt.date(2024, 4, 1)
    assert _month(d, d.requests, 2025, 2) == 2
    assert _month(d, d.requests, 2025, 3) == 2
    assert _month(d, d.completions, 2025, 5) == 1
    assert _month(d, d.completions, 2025, 6) == 1


@pytest.mark.django_db
def test_badges_are_counted_per_month_and_cumulatively_from_before_the_period(history, carol):
    d = _dashboard(carol, fy_from=2025, fy_to=2025)
    assert _month(d, d.badges, 2025, 5) == 2  # the revoked one was issued in May too
    assert d.badges_cumulative[0] == 1  # January 2025, before FY2025
    assert d.badges_cumulative[-1] == 3


@pytest.mark.django_db
def test_completion_rate_is_completed_over_finished_by_provider(history, carol):
    d = _dashboard(carol)
    rates = {r.code: (r.completed, r.finished, round(r.rate)) for r in d.provider_rates}
    assert rates == {"CHUO": (1, 1, 100), "CITY": (1, 2, 50)}
    d = insight.dashboard(
        scope=insight.insight_scope(carol),  # type: ignore[arg-type]
        departments=insight.DepartmentIndex.load(),
        fy_from=2024,
        fy_to=2025,
        min_finished=1,
    )
    assert [(r.code, round(r.rate)) for r in d.course_rates] == [("APRIL", 50), ("MARCH", 100)]


@pytest.mark.django_db
def test_subsidy_is_counted_in_the_fiscal_year_the_course_starts(history, carol, settings):
    settings.TRAINING_BUDGET_BY_FISCAL_YEAR = {2025: 1_000_000}
    d = _dashboard(carol)
    # MARCH starts 2025-03-31 (FY2024); APRIL starts 2025-04-01 (FY2025): completed and not completed
    # both took a seat; the rejected request was never paid.
    assert d.subsidy == [(2024, 20000, None), (2025, 10000, 1_000_000)]


@pytest.mark.django_db
def test_badges_by_department_use_the_holders_division(history, carol):
    d = _dashboard(carol, fy_from=2025, fy_to=2025)
    assert [(dept.name, n) for dept, n in d.badges_by_department] == [
        ("総務部", 1),
        ("福祉部", 1),
    ]  # ties in code order


@pytest.mark.django_db
def test_badges_by_use_type_follow_the_request_each_badge_was_issued_for(history, carol):
    person = make_staff(department=history["welfare"])
    badge = make_badge_class()
    sources = [
        (make_enrolment(staff=person, course=make_course(), state="completed"), at(2025, 3, 1)),  # FY2024
        (make_enrolment(staff=person, course=make_course(), state="completed", use_type="promotion"), at(2025, 4, 2)),
    ]
    for enrolment, issued_at in sources:
        award = make_award(recipient=person, badge_class=badge, issued_at=issued_at)
        type(award).objects.filter(pk=award.pk).update(source_key=f"enrolment:{enrolment.pk}")
    award = make_award(recipient=person, badge_class=badge, issued_at=at(2026, 3, 31))  # FY2025's last day
    type(award).objects.filter(pk=award.pk).update(source_key=f"programme:7:staff:{person.pk}")
    award_uses_refresh(recipient_ids=[person.pk])  # the source keys were changed around the services
    with translation.override("en"):
        d = _dashboard(carol)
        assert d.badges_by_use_type == [
            ("Self-development (自己啓発型)", [1, 0]),
            ("Evidence for promotion selection (昇任選考活用型)", [0, 1]),
            ("Programme badge (several courses)", [0, 1]),
            # The fixture's awards were written without a completion behind them.
            ("Other source", [1, 2]),
        ]
    # Every badge of the period is in exactly one kind.
    assert sum(sum(counts) for _label, counts in d.badges_by_use_type) == sum(d.badges) == 6


@pytest.mark.django_db
def test_use_types_split_requests_and_completions(history, carol):
    d = _dashboard(carol)
    assert [(r, c) for _label, r, c in d.use_types] == [(3, 1), (1, 1)]


@pytest.mark.django_db
def test_waiting_list_pressure_lists_courses_with_people_waiting(history, carol):
    d = _dashboard(carol)
    assert [(w.code, w.waitlisted, w.seated, w.capacity) for w in d.waitlists] == [("FULL", 1, 1, 1)]


@pytest.mark.django_db
def test_a_head_sees_only_their_departments_figures_and_no_budget(history, settings):
    settings.TRAINING_BUDGET_BY_FISCAL_YEAR = {2025: 1_000_000}
    from staff.services import department_set_heads

    head = make_staff(department=history["welfare"])
    department_set_heads(department=history["welfare"], heads=[head])
    d = _dashboard(head)
    assert sum(d.requests) == 2  # the welfare person's two requests in the period
    assert d.subsidy == [(2024, 20000, None), (2025, 5000, None)]


@pytest.mark.django_db
def test_the_dashboard_page_draws_each_chart_with_its_table(client, history, carol):
    client.force_login(carol)
    response = client.get(reverse("hr:dashboard"), {"fy_from": 2024, "fy_to": 2025})
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('role="img"') >= 8
    assert page.count('<figure class="chart-figure"') == 9
    # Every chart with data has its table; the course-rate chart is empty (fewer than 5 finishers).
    assert page.count('<table class="table table--stack chart-table">') == 8
    assert "2024年度" in page  # Japanese is the default language
    assert "style=" not in page and "<script" not in page  # the CSP allows neither


@pytest.mark.django_db
@pytest.mark.parametrize("extra", [0, 15])
def test_the_dashboard_costs_the_same_queries_for_little_or_much_data(history, carol, extra, django_assert_num_queries):
    course = make_course(code="MORE", starts_on=dt.date(2025, 6, 1))
    for _i in range(extra):
        person = make_staff(department=history["welfare"])
        make_enrolment(staff=person, course=course, state="completed", completed_on=dt.date(2025, 9, 1))
        make_award(recipient=person, badge_class=make_badge_class(), issued_at=at(2025, 9, 8))
    scope = insight.insight_scope(carol)
    departments = insight.DepartmentIndex.load()
    # The catalogue, the per-course totals, one row of counts, badges by department and use type.
    with django_assert_num_queries(4):
        insight.dashboard(scope=scope, departments=departments, fy_from=2024, fy_to=2025)  # type: ignore[arg-type]


@pytest.mark.django_db
def test_hr_and_head_counting_strategies_agree(history, carol):
    """HR counts index ranges in one query; a head groups by month: same figures for the same people."""
    hr = _dashboard(carol)
    everyone_as_head = insight.Scope(is_hr=False, paths=("/",), viewer_pk=carol.pk)  # carol has no department
    head = insight.dashboard(
        scope=everyone_as_head, departments=insight.DepartmentIndex.load(), fy_from=2024, fy_to=2025
    )
    assert (
        head.requests,
        head.completions,
        head.badges,
        head.badges_cumulative,
        head.use_types,
        head.badges_by_use_type,
    ) == (hr.requests, hr.completions, hr.badges, hr.badges_cumulative, hr.use_types, hr.badges_by_use_type)


@pytest.mark.django_db
@pytest.mark.parametrize("extra", [0, 15])
def test_a_heads_dashboard_costs_the_same_queries_for_little_or_much_data(history, extra, django_assert_num_queries):
    from staff.services import department_set_heads

    head = make_staff(department=history["welfare"])
    department_set_heads(department=history["welfare"], heads=[head])
    course = make_course(code="MORE", starts_on=dt.date(2025, 6, 1))
    for _i in range(extra):
        person = make_staff(department=history["welfare"])
        make_enrolment(staff=person, course=course, state="completed", completed_on=dt.date(2025, 9, 1))
        make_award(recipient=person, badge_class=make_badge_class(), issued_at=at(2025, 9, 8))
    scope = insight.insight_scope(head)
    departments = insight.DepartmentIndex.load()
    # The catalogue, per-course totals, requests, completions, badges by month, badges by department.
    with django_assert_num_queries(6):
        insight.dashboard(scope=scope, departments=departments, fy_from=2024, fy_to=2025)  # type: ignore[arg-type]
