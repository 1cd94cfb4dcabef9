"""昇任選考 points: who is a candidate, what counts (caps, cutoff validity, recency, use type),
the frozen snapshot that later edits do not change, exports with the digest, who may see what,
the access log, and a fixed number of queries."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io

import pytest
from django.utils import timezone

from badges.models import Award
from badges.signals import awards_changed
from courses import promotion
from courses.insight import DepartmentIndex
from courses.models import PromotionRule
from staff.models import RecordAccess
from tests.courses.promotion_helpers import badge_for, build_selection, external_badge, make_person, years_ago
from tests.factories import make_course, make_department, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def sel(department, dave):  # type: ignore[no-untyped-def]
    return build_selection(department, dave.department)


def _points(sel) -> dict[str, int]:  # type: ignore[no-untyped-def]
    rules = promotion.rules_load(sel.rule_set)
    by_pk = {p.pk: name for name, p in sel.people.items()}
    return {by_pk[s.staff_id]: s.total for s in promotion.standings(rules)}


def test_candidates_are_regular_staff_of_the_grade_below_with_enough_years_in_grade(sel):
    assert set(_points(sel)) == {"kenji", "mari"}


def test_a_transfer_at_the_same_grade_keeps_the_years_in_grade(sel):
    rules = promotion.rules_load(sel.rule_set)
    kenji = next(s for s in promotion.standings(rules) if s.staff_id == sel.people["kenji"].pk)
    assert kenji.grade_since == years_ago(5)


def test_a_category_is_cut_to_its_cap(sel):
    rules = promotion.rules_load(sel.rule_set)
    kenji = next(s for s in promotion.standings(rules) if s.staff_id == sel.people["kenji"].pk)
    # Two LAW-2 badges of 10 points each: 20, capped at 15; the DX badge: 5.
    assert kenji.by_category == {sel.law.pk: 15, sel.dx.pk: 5}
    assert kenji.total == 20


def test_only_badges_valid_on_the_cutoff_and_recent_enough_count(sel):
    # mari: one badge valid on the cutoff (10); expired before it, revoked, or four years old: nothing.
    assert _points(sel)["mari"] == 10
    rules = promotion.rules_load(sel.rule_set)
    shown = promotion.evidence(rules, [sel.people["mari"].pk])[sel.people["mari"].pk]
    assert len(shown) == 1 and shown[0].points == 10


def test_moving_the_cutoff_past_an_expiry_drops_the_badge(sel):
    sel.rule_set.cutoff_on += dt.timedelta(days=11)  # mari's valid badge expires 10 days after the old cutoff
    sel.rule_set.save()
    assert _points(sel)["mari"] == 0


def test_a_badge_issued_after_the_cutoff_does_not_count(sel):
    sel.rule_set.cutoff_on = timezone.localdate() - dt.timedelta(days=30)  # before every recent badge
    sel.rule_set.save()
    # kenji's badges were all issued after it; mari's two-year-old badge (expired by the old cutoff)
    # was valid on this one, and is the one that counts now.
    assert _points(sel) == {"kenji": 0, "mari": 10}
    rules = promotion.rules_load(sel.rule_set)
    [shown] = promotion.evidence(rules, [sel.people["mari"].pk])[sel.people["mari"].pk]
    assert shown.issued_on == years_ago(2)


def test_self_development_badges_count_only_when_the_rule_set_allows_them(sel):
    assert _points(sel)["kenji"] == 20
    sel.rule_set.promotion_use_only = False
    sel.rule_set.save()
    sel.law.cap = None
    sel.law.save()
    # The self-development LAW-2 badge now counts too: three LAW-2 badges and the DX badge.
    assert _points(sel)["kenji"] == 35


def test_a_badge_matching_two_rules_counts_once_for_the_most_points(sel):
    PromotionRule.objects.create(
        rule_set=sel.rule_set, category=sel.dx, badge_class=sel.law2.badge_class, points=12
    )  # mari's badge: now 12 in DX rather than 10 in 法務
    rules = promotion.rules_load(sel.rule_set)
    mari = next(s for s in promotion.standings(rules) if s.staff_id == sel.people["mari"].pk)
    assert mari.by_category == {sel.dx.pk: 12}


def test_confirmed_external_badges_count_when_the_rule_set_says_so(sel):
    mari = sel.people["mari"]
    external_badge(mari, issued=timezone.localdate() - dt.timedelta(days=100))
    external_badge(mari, issued=timezone.localdate() - dt.timedelta(days=100), status="submitted")
    assert _points(sel)["mari"] == 10
    sel.rule_set.count_external = True
    sel.rule_set.external_points = 3
    sel.rule_set.external_category = sel.dx
    sel.rule_set.save()
    assert _points(sel)["mari"] == 13  # the confirmed one only
    rules = promotion.rules_load(sel.rule_set)
    kinds = [e.kind for e in promotion.evidence(rules, [mari.pk])[mari.pk]]
    assert sorted(kinds) == ["badge", "external"]


def test_the_page_totals_and_the_evidence_agree(sel):
    rules = promotion.rules_load(sel.rule_set)
    for row in promotion.candidate_rows(rules, promotion.standings(rules), DepartmentIndex.load()):
        by_category: dict[int, int] = {}
        for e in row.evidence:
            by_category[e.category] = by_category.get(e.category, 0) + e.points
        assert rules.capped(by_category) == row.standing.by_category


# --- Freezing -------------------------------------------------------------------------------


def test_a_frozen_list_is_unchanged_by_later_edits_of_rules_and_badges(sel, carol):
    snapshot = promotion.snapshot_freeze(rule_set=sel.rule_set, actor=carol)
    frozen_content, frozen_digest = snapshot.content, snapshot.digest
    assert snapshot.candidates == 2
    # Later: a rule is worth more, a badge is revoked, a new badge is issued.
    PromotionRule.objects.filter(rule_set=sel.rule_set, skill__isnull=False).update(points=99)
    award = Award.objects.filter(recipient=sel.people["mari"], status="issued").first()
    award.status, award.revoked_at = "revoked", timezone.now()
    award.save()
    awards_changed.send(sender=Award, recipient_ids=[award.recipient_id])
    badge_for(sel.people["mari"], sel.dx_course)
    snapshot.refresh_from_db()
    assert snapshot.content == frozen_content
    assert snapshot.digest == frozen_digest
    # …while the live list has moved on.
    live = promotion.content_build(promotion.rules_load(sel.rule_set), DepartmentIndex.load())
    assert promotion.digest(live) != frozen_digest


def test_the_digest_is_the_sha256_of_the_canonical_content(sel, carol):
    snapshot = promotion.snapshot_freeze(rule_set=sel.rule_set, actor=carol)
    snapshot.refresh_from_db()  # as stored (PostgreSQL's jsonb reorders keys)
    canonical = promotion.canonical(snapshot.content)
    assert hashlib.sha256(canonical).hexdigest() == snapshot.digest
    assert b" " not in canonical.replace("伊藤 健二".encode(), b"").replace("小林 真理".encode(), b"")[:10]


def test_each_freeze_is_kept_with_who_froze_it(client, sel, carol):
    client.force_login(carol)
    for _ in range(2):
        response = client.post(f"/hr/promotion/{sel.rule_set.pk}/freeze/")
        assert response.status_code == 302
    snapshots = list(sel.rule_set.snapshots.order_by("frozen_at"))
    assert [s.frozen_by for s in snapshots] == [carol, carol]
    page = client.get(f"/hr/promotion/{sel.rule_set.pk}/").content.decode()
    assert snapshots[0].digest in page and "鈴木 恵子" in page


def test_a_frozen_export_prints_the_digest_and_the_frozen_points(client, sel, carol):
    snapshot = promotion.snapshot_freeze(rule_set=sel.rule_set, actor=carol)
    PromotionRule.objects.filter(rule_set=sel.rule_set).update(points=1)  # changes nothing frozen
    client.force_login(carol)
    body = client.get(f"/hr/promotion/frozen/{snapshot.pk}/export.csv").content
    assert body.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert ["SHA-256", snapshot.digest] in lines
    header = lines.index(next(line for line in lines if line and line[0] == "順位"))
    rows = lines[header + 1 :]
    assert [(r[2], r[9]) for r in rows] == [("伊藤 健二", "20"), ("小林 真理", "10")]
    assert "確定済み" in body.decode("utf-8-sig")

    from openpyxl import load_workbook

    xlsx = client.get(f"/hr/promotion/frozen/{snapshot.pk}/export.xlsx").content
    sheet = load_workbook(io.BytesIO(xlsx)).active
    values = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    assert ("SHA-256", snapshot.digest) in [tuple(v[:2]) for v in values]


def test_a_live_export_says_it_is_provisional_and_carries_its_own_digest(client, sel, carol):
    client.force_login(carol)
    body = client.get(f"/hr/promotion/{sel.rule_set.pk}/export.csv").content.decode("utf-8-sig")
    content = promotion.content_build(promotion.rules_load(sel.rule_set), DepartmentIndex.load())
    assert "確定前（暫定）" in body
    assert promotion.digest(content) in body


# --- Who may see what -----------------------------------------------------------------------

HR_PAGES = [
    "/hr/promotion/",
    "/hr/promotion/{pk}/",
    "/hr/promotion/{pk}/export.csv",
    "/hr/promotion/{pk}/export.xlsx",
]


def test_heads_of_section_and_staff_see_no_promotion_list(client, sel, alice, bob, dave):
    for person in (bob, alice, dave):
        client.force_login(person)
        for url in HR_PAGES:
            assert client.get(url.format(pk=sel.rule_set.pk)).status_code == 403, (person, url)
        assert client.post(f"/hr/promotion/{sel.rule_set.pk}/freeze/").status_code == 403
    assert not sel.rule_set.snapshots.exists()


def test_staff_see_their_own_points_and_nobody_elses(client, sel):
    kenji, mari = sel.people["kenji"], sel.people["mari"]
    client.force_login(kenji)
    page = client.get("/courses/my-promotion/").content.decode()
    assert "係長選考" in page or "Unit chief selection" in page
    assert "20" in page
    assert mari.family_name not in page and "小林" not in page


def test_staff_who_cannot_sit_a_selection_see_none(client, sel):
    client.force_login(sel.people["oscar"])  # 主事: sits 主任選考, which has no rule set
    page = client.get("/courses/my-promotion/").content.decode()
    assert "係長選考" not in page and "Unit chief selection" not in page


def test_an_unpublished_rule_set_is_not_shown_to_staff(client, sel):
    sel.rule_set.is_published = False
    sel.rule_set.save()
    client.force_login(sel.people["kenji"])
    page = client.get("/courses/my-promotion/").content.decode()
    assert "係長選考" not in page and "Unit chief selection" not in page


def test_a_person_short_of_years_sees_points_and_when_they_become_a_candidate(sel):
    standing = promotion.my_standing(sel.people["nao"], sel.rule_set)
    assert standing.standing.total == 10 and not standing.eligible


def test_courses_that_would_add_points_skip_full_categories_and_held_badges(sel):
    mari = sel.people["mari"]
    open_law = make_course(skills={sel.law_skill: 3}, badge_class=sel.law2c.badge_class, code="LAW-OPEN")
    law_new = make_course(
        skills={sel.law_skill: 2},
        badge_class=__import__("tests.factories", fromlist=["x"]).make_badge_class(name="法務新"),
        code="LAW-NEW",
    )
    offers = {o.course.code: o.points for o in promotion.my_standing(mari, sel.rule_set).offers}
    # 法務 holds 10 of 15: a new LAW badge adds 5 (the cap), the DX badge 5.
    assert offers.get("LAW-NEW") == 5
    assert sel.dx_course.code in offers or sel.dx_course.application_closes_on < timezone.localdate()
    kenji_offers = {o.course.code for o in promotion.my_standing(sel.people["kenji"], sel.rule_set).offers}
    assert "LAW-NEW" not in kenji_offers  # 法務 is full for kenji
    assert open_law.code in offers  # mari's revoked badge of this class does not count as held
    assert law_new.pk


# --- The page: logging and queries ----------------------------------------------------------


def test_showing_the_candidates_logs_each_person_shown(client, sel, carol):
    client.force_login(carol)
    assert client.get(f"/hr/promotion/{sel.rule_set.pk}/").status_code == 200
    logged = set(RecordAccess.objects.filter(viewer=carol).values_list("subject_id", flat=True))
    assert logged == {sel.people["kenji"].pk, sel.people["mari"].pk}


def test_exporting_logs_every_candidate(client, sel, carol):
    client.force_login(carol)
    client.get(f"/hr/promotion/{sel.rule_set.pk}/export.xlsx")
    assert RecordAccess.objects.filter(viewer=carol, purpose="export").count() == 2


def _more_candidates(sel, n: int) -> None:  # type: ignore[no-untyped-def]
    unit = make_department(name="追加係")
    for _ in range(n):
        person = make_person(unit, "shunin", 3)
        badge_for(person, sel.law2)
        badge_for(person, sel.dx_course)


@pytest.mark.parametrize("extra", [0, 12])
def test_the_candidates_page_costs_the_same_queries_whatever_the_number(
    client, sel, carol, extra, django_assert_max_num_queries
):
    _more_candidates(sel, extra)
    client.force_login(carol)
    client.get("/hr/")  # the session and MFA are settled
    with django_assert_max_num_queries(16):
        response = client.get(f"/hr/promotion/{sel.rule_set.pk}/")
    assert response.status_code == 200
    assert response.content.decode().count('class="evidence"') >= 3 + 2 * extra


@pytest.mark.parametrize("extra", [0, 12])
def test_an_export_costs_the_same_queries_whatever_the_number(client, sel, carol, extra, django_assert_max_num_queries):
    _more_candidates(sel, extra)
    client.force_login(carol)
    client.get("/hr/")
    with django_assert_max_num_queries(17):
        assert client.get(f"/hr/promotion/{sel.rule_set.pk}/export.csv").status_code == 200


def test_the_staff_page_costs_a_fixed_number_of_queries(client, sel, django_assert_max_num_queries):
    client.force_login(sel.people["kenji"])
    client.get("/courses/my-promotion/")
    with django_assert_max_num_queries(16):
        assert client.get("/courses/my-promotion/").status_code == 200


def test_my_learning_links_to_my_points(client, alice):
    client.force_login(alice)
    assert 'href="/courses/my-promotion/"' in client.get("/courses/my-learning/").content.decode()


@pytest.mark.parametrize("external_category", ["dx", "none"])
def test_a_page_ranked_by_the_database_is_that_page_of_the_whole_list(sel, external_category):
    """The candidates page ranks in SQL (``standings_page``); the exports and the freeze rank in
    Python (``standings``): every page is the same people, order, totals and capped points."""
    _more_candidates(sel, 5)
    unit = make_department(name="同点係")
    for _ in range(3):  # ties on points: broken by employee number
        badge_for(make_person(unit, "shunin", 3), sel.dx_course)
    for person in (sel.people["mari"], sel.people["kenji"]):
        external_badge(person, issued=timezone.localdate() - dt.timedelta(days=100))
    sel.rule_set.count_external = True
    sel.rule_set.external_points = 7
    sel.rule_set.external_category = sel.dx if external_category == "dx" else None
    sel.rule_set.save()
    rules = promotion.rules_load(sel.rule_set)
    whole = promotion.standings(rules)
    assert len(whole) >= 10 and any(s.by_category.get(sel.law.pk) == 15 for s in whole)  # a cap applied
    for number in range(1, len(whole) // 3 + 2):
        total, shown, page = promotion.standings_page(rules, number=number, per_page=3)
        assert (total, shown) == (len(whole), number)
        assert page == whole[(number - 1) * 3 : number * 3]
    past_end = promotion.standings_page(rules, number=99, per_page=3)
    assert past_end[1] == -(-len(whole) // 3) and past_end[2] == whole[(past_end[1] - 1) * 3 :]


def test_a_page_number_past_the_end_shows_the_last_page(client, sel, carol):
    client.force_login(carol)
    page = client.get(f"/hr/promotion/{sel.rule_set.pk}/?page=99").content.decode()
    assert page.count('class="evidence"') >= 3  # the one page of this small selection, not an empty one


@pytest.mark.parametrize("external_category", ["dx", "none"])
def test_the_points_agree_with_a_straightforward_computation(sel, external_category):
    """The set-based SQL (``standings`` for the exports and the freeze, ``standings_page`` for the
    candidates page) gives the people, order, in-grade dates and capped points that a plain
    person-by-person computation in Python gives (``naive_standings``)."""
    from tests.courses.promotion_helpers import naive_standings, post

    _more_candidates(sel, 4)
    unit = make_department(name="経歴係")
    promoted = make_person(unit, "shunin", 3)  # 主事 before: in grade since the promotion
    post(promoted, unit, "shuji", years_ago(8), years_ago(3))
    back_again = make_person(unit, "shunin", 2.5)  # 主任, then 主事, then 主任 again: the latest run
    post(back_again, unit, "shunin", years_ago(9), years_ago(6))
    post(back_again, unit, "shuji", years_ago(6), years_ago(2.5))
    badge_for(back_again, sel.law2)
    make_staff(department=unit, grade="shunin")  # no post at all: no date, not a candidate
    for person in (sel.people["mari"], promoted):
        external_badge(person, issued=timezone.localdate() - dt.timedelta(days=100))
    sel.rule_set.count_external = True
    sel.rule_set.external_points = 7
    sel.rule_set.external_category = sel.dx if external_category == "dx" else None
    sel.rule_set.save()
    rules = promotion.rules_load(sel.rule_set)

    def rows(found):  # type: ignore[no-untyped-def]
        return [
            (s.staff_id, s.employee_number, s.grade_since, {c: n for c, n in s.by_category.items() if n}, s.total)
            for s in found
        ]

    expected = naive_standings(sel.rule_set)
    since = {r[0]: r[2] for r in expected}
    assert len(expected) >= 8 and since[promoted.pk] == years_ago(3) and since[back_again.pk] == years_ago(2.5)
    assert rows(promotion.standings(rules)) == expected
    pages = [promotion.standings_page(rules, number=n, per_page=4)[2] for n in range(1, -(-len(expected) // 4) + 1)]
    assert rows([s for page in pages for s in page]) == expected
