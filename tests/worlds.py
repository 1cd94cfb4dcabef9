"""The common world of the tests, in one place ("build a city", issue 16 §7).

The city's departments, its four personas and its skills. The fixtures in tests/conftest.py
(department, alice, bob, carol, dave) are these; the world builders compose them and keep
locally only what their own tests assert precisely:

- tests/browser/conftest.py ``build_portal`` (and tests/browser/test_staff_phone.py
  ``build_staff_portal`` on top of it): a course in progress, a completed one with its badge;
- tests/courses/insight_helpers.py ``build_city``: who holds データ活用 and why;
- tests/test_any_municipality.py ``build_journey``: the same personas in another city.
"""

from __future__ import annotations

from typing import Any

from courses.models import Skill
from staff.models import Department, StaffMember
from tests.factories import make_department, make_skill, make_staff

# The city's skills as the tests name them; a builder may override a field (build_city calls
# LAW "Legal affairs" in English, build_journey describes it).
SKILLS: dict[str, dict[str, str]] = {
    "LAW": {"name": "法務", "name_en": "Law"},
    "DATA": {"name": "データ活用", "name_en": "Data literacy"},
}


def city_skill(code: str, **overrides: Any) -> Skill:
    return make_skill(code=code, **{**SKILLS[code], **overrides})


def welfare_policy_section() -> Department:
    """福祉部 (40) > 福祉政策課 (4010): alice's and bob's section."""
    division = make_department(code="40", name="福祉部", level="division")
    return make_department(code="4010", name="福祉政策課", level="section", parent=division)


def general_affairs_division() -> Department:
    """総務部 (20): dave's, elsewhere in the city."""
    return make_department(code="20", name="総務部", level="division")


def make_alice(department: Department | None, **overrides: Any) -> StaffMember:
    """山田 花子, a learner."""
    fields = {"employee_number": "100001", "email": "alice@city.test", "family_name": "山田", "given_name": "花子"}
    return make_staff(**{**fields, **overrides}, department=department)


def make_bob(department: Department) -> StaffMember:
    """佐藤 一郎, head of ``department`` (alice's head of section)."""
    from staff.services import department_set_heads

    person = make_staff(
        employee_number="100002",
        email="bob@city.test",
        family_name="佐藤",
        given_name="一郎",
        department=department,
        grade="kacho",
    )
    department_set_heads(department=department, heads=[person])
    return person


def make_carol(**overrides: Any) -> StaffMember:
    """鈴木 恵子, HR training desk, with TOTP set up."""
    fields = {"employee_number": "100003", "email": "carol@city.test", "family_name": "鈴木", "given_name": "恵子"}
    return make_staff(**{**fields, **overrides}, role="hr", mfa=True)


def make_dave(department: Department) -> StaffMember:
    """高橋 健, another staff member, elsewhere in the city."""
    return make_staff(
        employee_number="100004", email="dave@city.test", family_name="高橋", given_name="健", department=department
    )
