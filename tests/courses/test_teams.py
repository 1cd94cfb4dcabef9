"""Cross-department teams (courses/teams.py): opt-in respected, coverage first, spread over
divisions, evidence for each person, heads search city-wide, every proposal logged, exports.

The city is tests/courses/insight_helpers.py. DATA ≥ 2: alice (福祉部, badge), erika (福祉部,
completion; badge expired), dave (総務部, DATA 3 badge). LAW ≥ 2: gina (福祉部, programme badge).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from courses import insight, teams
from staff.models import RecordAccess, StaffMember
from staff.services import staff_set_team_opt_in
from tests.courses.insight_helpers import City, add_data_holders, build_city
from tests.factories import make_department

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(alice, bob, carol, dave, department) -> City:  # type: ignore[no-untyped-def]
    return build_city(alice=alice, bob=bob, dave=dave, department=department)


def opt_in(*people: StaffMember) -> None:
    for p in people:
        staff_set_team_opt_in(staff=p, opted_in=True)


def propose(city: City, needs: dict, size: int) -> teams.TeamProposal:  # type: ignore[type-arg]
    return teams.team_propose(
        needs=[teams.Need(skill, level) for skill, level in needs.items()],
        size=size,
        departments=insight.DepartmentIndex.load(),
    )


def names(proposal: teams.TeamProposal) -> set[str]:
    return {m.person.given_name for m in proposal.members}


# --- Opt-in ------------------------------------------------------------------------------


def test_nobody_is_proposed_before_opting_in(city):
    proposal = propose(city, {city.data: 1}, 5)
    assert proposal.members == [] and proposal.candidates == 0
    assert [n.skill for n in proposal.uncovered] == [city.data]


def test_only_people_who_opted_in_are_proposed(city):
    opt_in(city.people["alice"], city.people["dave"])
    proposal = propose(city, {city.data: 2}, 5)
    assert names(proposal) == {"花子", "健"}  # erika also holds DATA 2, but did not opt in
    assert proposal.short


def test_withdrawing_removes_a_person_and_keeps_the_date_of_the_choice(city):
    alice = city.people["alice"]
    opt_in(alice)
    first = alice.team_opt_in_changed_at
    staff_set_team_opt_in(staff=alice, opted_in=False)
    alice.refresh_from_db()
    assert alice.team_opt_in is False and alice.team_opt_in_changed_at is not None
    assert alice.team_opt_in_changed_at >= first
    assert "花子" not in names(propose(city, {city.data: 2}, 5))


def test_an_inactive_person_is_never_proposed(city):
    opt_in(city.people["dave"])
    StaffMember.objects.filter(pk=city.people["dave"].pk).update(is_active=False)
    assert propose(city, {city.data: 2}, 3).members == []


def test_staff_opt_in_on_their_profile_page_and_withdraw(client, city):
    alice = city.people["alice"]
    assert alice.team_opt_in is False  # off by default
    client.force_login(alice)
    client.post(reverse("staff:team_opt_in_set"), {"team_opt_in": "on"})
    alice.refresh_from_db()
    assert alice.team_opt_in and alice.team_opt_in_changed_at is not None
    page = client.get(reverse("staff:profile")).content.decode()
    assert 'name="team_opt_in" id="id_team_opt_in" checked' in page
    client.post(reverse("staff:team_opt_in_set"), {})
    alice.refresh_from_db()
    assert not alice.team_opt_in and alice.team_opt_in_changed_at is not None
    assert client.get(reverse("staff:team_opt_in_set")).status_code == 405


def history(person: StaffMember) -> list[bool]:
    from staff.models import TeamOptInChange

    return list(TeamOptInChange.objects.filter(staff=person).order_by("at", "pk").values_list("opted_in", flat=True))


def test_every_opt_in_and_withdrawal_is_kept_in_order_and_repeating_a_choice_adds_nothing(city):
    alice, dave = city.people["alice"], city.people["dave"]
    assert history(alice) == []
    assert staff_set_team_opt_in(staff=alice, opted_in=True) is True
    assert staff_set_team_opt_in(staff=alice, opted_in=True) is False  # saved twice: one choice
    assert staff_set_team_opt_in(staff=alice, opted_in=False) is True
    assert staff_set_team_opt_in(staff=alice, opted_in=True) is True
    assert history(alice) == [True, False, True]
    assert history(dave) == []  # nobody else's history is touched
    latest = alice.team_opt_in_changes.order_by("-at", "-pk").first()
    alice.refresh_from_db()
    assert latest.at == alice.team_opt_in_changed_at and latest.opted_in is alice.team_opt_in


def test_a_first_withdrawal_without_an_opt_in_is_kept_as_a_choice(city):
    alice = city.people["alice"]
    assert staff_set_team_opt_in(staff=alice, opted_in=False) is True  # "no", said explicitly
    assert history(alice) == [False]
    alice.refresh_from_db()
    assert alice.team_opt_in is False and alice.team_opt_in_changed_at is not None


def test_whoever_last_withdrew_is_never_proposed_whatever_came_before(city):
    alice, dave = city.people["alice"], city.people["dave"]
    for choice in (True, False, True, False):
        staff_set_team_opt_in(staff=alice, opted_in=choice)
    opt_in(dave)
    assert history(alice)[-1] is False
    assert names(propose(city, {city.data: 2}, 5)) == {"健"}
    staff_set_team_opt_in(staff=alice, opted_in=True)
    assert names(propose(city, {city.data: 2}, 5)) == {"花子", "健"}


def test_a_stale_copy_of_the_person_cannot_undo_a_later_choice(city):
    """The service reads the choice under the row lock, not from the object it was given."""
    alice = city.people["alice"]
    stale = StaffMember.objects.get(pk=alice.pk)
    opt_in(alice)
    staff_set_team_opt_in(staff=alice, opted_in=False)
    # ``stale`` still says "never chosen": saving "off" from it is no new choice.
    assert staff_set_team_opt_in(staff=stale, opted_in=False) is False
    assert history(alice) == [True, False]
    assert "花子" not in names(propose(city, {city.data: 2}, 5))


def test_the_migration_backfills_one_row_per_current_opt_in_from_its_date(city):
    import importlib

    from django.apps import apps

    from staff.models import TeamOptInChange

    migration = importlib.import_module("staff.migrations.0012_team_opt_in_history")
    alice, dave, erika = city.people["alice"], city.people["dave"], city.people["erika"]
    chosen = timezone.now() - dt.timedelta(days=40)
    StaffMember.objects.filter(pk=alice.pk).update(team_opt_in=True, team_opt_in_changed_at=chosen)
    StaffMember.objects.filter(pk=dave.pk).update(team_opt_in=False, team_opt_in_changed_at=chosen)  # withdrew
    StaffMember.objects.filter(pk=erika.pk).update(team_opt_in=True, team_opt_in_changed_at=None)
    migration.backfill(apps, None)
    rows = {(r.staff_id, r.opted_in): r.at for r in TeamOptInChange.objects.all()}
    assert set(rows) == {(alice.pk, True), (erika.pk, True)}
    assert rows[(alice.pk, True)] == chosen
    assert rows[(erika.pk, True)] > chosen  # no date kept: the migration's


def test_a_person_reads_their_own_history_on_their_profile_page_and_nobody_elses(client, city):
    alice, dave = city.people["alice"], city.people["dave"]
    client.force_login(alice)
    assert "team-history" not in client.get(reverse("staff:profile")).content.decode()  # never chosen
    client.post(reverse("staff:team_opt_in_set"), {"team_opt_in": "on"})
    client.post(reverse("staff:team_opt_in_set"), {})
    for _i in range(3):
        staff_set_team_opt_in(staff=dave, opted_in=_i % 2 == 0)
    page = client.get(reverse("staff:profile")).content.decode()
    table = page[page.index('<table class="table team-history">') :]
    table = table[: table.index("</table>")]
    # alice's two choices, the latest first; not dave's three.
    assert re.findall(r'data-choice="(\w+)"', table) == ["out", "in"]


# --- The algorithm -----------------------------------------------------------------------


def test_coverage_comes_first_then_the_team_spreads_over_divisions(city):
    opt_in(*(city.people[n] for n in ("alice", "gina", "dave", "erika")))
    proposal = propose(city, {city.data: 2, city.law: 2}, 2)
    # gina is the only LAW 2 holder; DATA 2 comes from 総務部 (dave) rather than a second 福祉部 person.
    assert names(proposal) == {"銀子", "健"}
    assert proposal.uncovered == [] and proposal.divisions == 2


def test_with_one_skill_the_second_person_comes_from_another_division(city):
    # 環境部 comes after 福祉部 in the organisation chart, so only spreading takes its person
    # before erika (福祉部 › 障害者福祉課, a second 福祉部 person).
    environment = make_department(code="50", name="環境部", level="division")
    (eve,) = add_data_holders(city, 1, department=environment)
    opt_in(city.people["alice"], city.people["erika"], eve)
    proposal = propose(city, {city.data: 2}, 2)
    assert [m.division.name for m in proposal.members] == ["福祉部", "環境部"]


def test_spreading_never_wins_over_a_skill_the_team_lacks(city):
    # Only 福祉部 people hold LAW 2 and DATA 2; 総務部 has someone with nothing asked for… who is no candidate.
    opt_in(city.people["alice"], city.people["gina"])
    proposal = propose(city, {city.data: 2, city.law: 2}, 2)
    assert names(proposal) == {"花子", "銀子"} and proposal.uncovered == []


def test_people_from_the_same_section_are_taken_last(city):
    extra = make_department(code="4030", name="生活福祉課", level="section", parent=city.welfare)
    people = add_data_holders(city, 2) + add_data_holders(city, 1, department=extra)
    opt_in(*people)
    proposal = propose(city, {city.data: 2}, 2)
    assert {m.person.department_id for m in proposal.members} == {city.policy.pk, extra.pk}


def test_what_nobody_holds_is_reported_and_the_team_is_short(city):
    opt_in(city.people["dave"])
    proposal = propose(city, {city.data: 3, city.law: 3}, 3)
    assert names(proposal) == {"健"}
    assert [n.skill.code for n in proposal.uncovered] == ["LAW"]
    assert proposal.holders[city.law] == 0


def test_each_person_comes_with_the_badge_or_course_level_and_date(city):
    opt_in(city.people["gina"], city.people["dave"], city.people["erika"])
    proposal = propose(city, {city.data: 2, city.law: 2}, 3)
    by_name = {m.person.given_name: m for m in proposal.members}
    (dave,) = by_name["健"].evidence
    assert dave.kind == "badge" and dave.name == "EBPM 修了" and dave.held == 3
    assert dave.on == timezone.localdate(timezone.now() - timezone.timedelta(days=55))
    gina_law = next(e for e in by_name["銀子"].evidence if e.need.skill.code == "LAW")
    assert gina_law.kind == "badge" and gina_law.name == "自治体DXプログラム"
    # erika's badge expired: her evidence is the completion.
    (erika,) = [e for e in by_name["絵里香"].evidence if e.need.skill.code == "DATA"]
    assert erika.kind == "course" and "DATA-2" in erika.name
    with_text = dave.text()
    assert "EBPM 修了" in with_text


def test_a_proposal_costs_the_same_queries_whatever_the_number_of_people(city, django_assert_max_num_queries):
    opt_in(city.people["alice"], city.people["dave"], city.people["gina"])
    with django_assert_max_num_queries(9):
        propose(city, {city.data: 2, city.law: 2}, 4)
    opt_in(*add_data_holders(city, 20))
    with django_assert_max_num_queries(9):
        proposal = propose(city, {city.data: 2, city.law: 2}, 6)
    assert len(proposal.members) == 6


# --- Pages, scope, logging, exports ------------------------------------------------------


def _query(city: City) -> dict[str, str]:
    return {"skill_1": "DATA", "level_1": "2", "skill_2": "LAW", "level_2": "2", "size": "3"}


def test_hr_sees_the_proposal_and_every_person_shown_is_logged(client, city, carol):
    opt_in(city.people["gina"], city.people["dave"])
    client.force_login(carol)
    response = client.get(reverse("hr:teams"), _query(city))
    body = response.content.decode()
    assert response.status_code == 200 and "小林" in body and "高橋" in body
    logged = RecordAccess.objects.filter(viewer=carol, purpose=RecordAccess.Purpose.TEAM_PROPOSAL)
    assert {r.subject.given_name for r in logged} == {"銀子", "健"}


def test_a_head_searches_city_wide_among_the_opted_in_with_no_profile_link_outside_their_scope(client, city, bob):
    opt_in(city.people["dave"], city.people["gina"])
    client.force_login(bob)
    response = client.get(reverse("hr:teams"), _query(city))
    body = response.content.decode()
    assert response.status_code == 200 and "高橋" in body  # dave, 総務部: outside bob's departments
    assert reverse("hr:profile", args=[city.people["dave"].employee_number]) not in body
    assert reverse("hr:profile", args=[city.people["gina"].employee_number]) in body  # gina is bob's
    assert "kakaricho" not in body and "係長" not in body  # no grade: only the evidence needed
    assert RecordAccess.objects.filter(viewer=bob, purpose=RecordAccess.Purpose.TEAM_PROPOSAL).count() == 2


def test_staff_cannot_search_for_a_team(client, city, alice):
    client.force_login(alice)
    assert client.get(reverse("hr:teams"), _query(city)).status_code == 403
    assert client.get(reverse("hr:teams_export_csv"), _query(city)).status_code == 403


def test_the_form_refuses_no_skill_and_the_same_skill_twice(client, city, carol):
    client.force_login(carol)
    response = client.get(reverse("hr:teams"), {"size": "2"})
    assert response.status_code == 200 and response.context["proposal"] is None
    response = client.get(reverse("hr:teams"), {"skill_1": "DATA", "skill_2": "DATA", "size": "2"})
    assert response.context["proposal"] is None and response.context["form"].errors
    assert not RecordAccess.objects.filter(viewer=carol).exists()


def test_the_csv_export_has_a_bom_japanese_columns_the_evidence_and_is_logged(client, city, carol):
    opt_in(city.people["gina"], city.people["dave"])
    client.force_login(carol)
    response = client.get(reverse("hr:teams_export_csv"), _query(city))
    assert response.status_code == 200
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    assert text.splitlines()[0] == "職員番号,氏名,カナ,所属,加わったスキル,根拠"
    assert "EBPM 修了" in text and "自治体DXプログラム" in text
    assert RecordAccess.objects.filter(viewer=carol, purpose=RecordAccess.Purpose.TEAM_EXPORT).count() == 2


def test_the_xlsx_export_opens_with_the_people(client, city, carol):
    import io

    from openpyxl import load_workbook

    opt_in(city.people["dave"])
    client.force_login(carol)
    response = client.get(reverse("hr:teams_export_xlsx"), _query(city))
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "職員番号" and rows[1][1] == "高橋 健"


def test_the_team_page_costs_a_fixed_number_of_queries(client, city, carol, django_assert_max_num_queries):
    opt_in(city.people["gina"], city.people["dave"], *add_data_holders(city, 10))
    client.force_login(carol)
    client.get(reverse("hr:teams"), _query(city))
    with django_assert_max_num_queries(18):
        client.get(reverse("hr:teams"), _query(city))
