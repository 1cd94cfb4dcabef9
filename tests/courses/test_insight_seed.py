"""The scale data-set generator: the counts asked for, deterministic, and careful with real data."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from badges.models import Award, BadgeClass
from courses.holdings import award_uses_rebuild, skill_holdings_rebuild
from courses.models import AwardUse, Course, Enrolment, SkillHolding
from staff.models import StaffMember

pytestmark = pytest.mark.django_db

SMALL = ["--staff", "60", "--courses", "30", "--enrolments", "400", "--awards", "150", "--batch", "100"]


def _seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_scale", *args, stdout=out)
    return out.getvalue()


def test_it_writes_the_numbers_asked_for():
    _seed(*SMALL)
    assert StaffMember.objects.filter(email__endswith="@scale.city.test").count() == 60
    assert Course.objects.filter(code__startswith="SC").count() == 30
    assert Enrolment.objects.count() == 400
    assert Award.objects.count() == 150
    # Each award names its source as the courses service would: the enrolment, or the programme.
    for key, recipient_id in Award.objects.values_list("source_key", "recipient_id"):
        kind, pk, *rest = key.split(":")
        if kind == "enrolment":
            assert Enrolment.objects.filter(pk=int(pk), staff_id=recipient_id, state="completed").exists()
        else:
            assert kind == "programme" and rest == ["staff", str(recipient_id)]
    # Awards are issued rows (or revoked ones), never left pending for the worker.
    assert set(Award.objects.values_list("status", flat=True)) <= {"issued", "revoked"}


def test_it_never_dates_a_completion_or_a_badge_in_the_future():
    _seed(*SMALL)
    assert not Enrolment.objects.filter(completed_on__gt=timezone.localdate()).exists()
    assert not Award.objects.filter(issued_at__gt=timezone.now()).exists()


def test_it_fills_the_tables_derived_from_completions_and_awards():
    _seed(*SMALL)
    holdings = set(SkillHolding.objects.values_list("staff_id", "skill_id", "level", "completed_on", "badge_since"))
    uses = set(AwardUse.objects.values_list("award_id", "kind"))
    assert holdings and len(uses) == Award.objects.count()
    assert {kind for _award, kind in uses} <= {"self_development", "promotion", "programme"}
    skill_holdings_rebuild()
    award_uses_rebuild()
    assert (
        set(SkillHolding.objects.values_list("staff_id", "skill_id", "level", "completed_on", "badge_since"))
        == holdings
    )
    assert set(AwardUse.objects.values_list("award_id", "kind")) == uses


def test_the_same_seed_gives_the_same_data():
    _seed(*SMALL, "--seed", "7")
    first = list(Enrolment.objects.order_by("pk").values_list("staff__employee_number", "course__code", "state"))
    Award.objects.all().delete()
    Enrolment.objects.all().delete()
    from courses.models import CourseSkill, Programme
    from staff.models import Assignment, Department

    Programme.objects.all().delete()
    CourseSkill.objects.all().delete()
    Course.objects.all().delete()
    BadgeClass.objects.all().delete()  # their UUIDs are generated from the seed too
    Assignment.objects.all().delete()
    StaffMember.objects.all().delete()
    for level in ("unit", "section", "division"):  # children first: parents are protected
        Department.objects.filter(code__startswith="S", level=level).delete()
    _seed(*SMALL, "--seed", "7")
    second = list(Enrolment.objects.order_by("pk").values_list("staff__employee_number", "course__code", "state"))
    assert first == second


def test_it_refuses_a_database_that_already_has_a_scale_data_set():
    _seed(*SMALL)
    with pytest.raises(CommandError, match="already holds a scale data set"):
        _seed(*SMALL)


def test_it_refuses_a_database_with_more_than_demo_data_unless_forced(monkeypatch):
    from courses.management.commands import seed_scale

    monkeypatch.setitem(seed_scale.DEMO_LIMITS, "staff", 0)
    from tests.factories import make_staff

    make_staff()
    with pytest.raises(CommandError, match="more than demo data"):
        _seed(*SMALL)
    assert "Done" in _seed(*SMALL, "--force")
