"""Roles are granted by an administrator, with a reason, on the record; HR edits the fields of
its job and nobody sets another person's password (issue 12, part 3; docs/roles.md)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError

from staff import roles
from staff.models import StaffMember
from tests.factories import DEFAULT_PASSWORD, make_department, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(db):  # type: ignore[no-untyped-def]
    """An administrator (superuser), with TOTP set up."""
    return make_staff(employee_number="100030", is_staff=True, is_superuser=True, mfa=True)


def _change_url(person: StaffMember, page: str = "change") -> str:
    return f"/admin/staff/staffmember/{person.pk}/{page}/"


def _change_form(person: StaffMember, **extra: Any) -> dict[str, Any]:
    """What HR's change form posts for ``person`` (its fields and the empty assignment inline)."""
    data: dict[str, Any] = {
        "employee_number": person.employee_number,
        "email": person.email,
        "family_name": person.family_name,
        "given_name": person.given_name,
        "family_name_kana": person.family_name_kana,
        "given_name_kana": person.given_name_kana,
        "department": person.department_id or "",
        "grade": person.grade,
        "job_family": person.job_family,
        "employment_type": person.employment_type,
        "preferred_language": person.preferred_language,
        "is_active": "on",
        "assignments-TOTAL_FORMS": "0",
        "assignments-INITIAL_FORMS": "0",
        "assignments-MIN_NUM_FORMS": "0",
        "assignments-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    data.update(extra)
    return data


def _roles_of(person: StaffMember) -> set[str]:
    person.refresh_from_db()
    held = set(person.groups.values_list("name", flat=True))
    if person.is_superuser:
        held.add(roles.ADMINISTRATOR)
    if person.is_staff:
        held.add("is_staff")
    return held


# --- HR in the staff admin -------------------------------------------------------------


def test_hr_sees_no_superuser_staff_groups_permissions_or_password_on_the_change_page(client, carol, alice):
    client.force_login(carol)
    response = client.get(_change_url(alice))
    assert response.status_code == 200
    page = response.content.decode()
    for field in ("is_superuser", "is_staff", "groups", "user_permissions", "password"):
        assert f'name="{field}"' not in page, field
    assert "password/" not in page
    assert 'name="email"' in page and 'name="department"' in page


def test_hr_cannot_make_anyone_superuser_by_posting_the_fields_anyway(client, carol, alice):
    hr_group = Group.objects.get(name=roles.HR)
    client.force_login(carol)
    forged = {"is_superuser": "on", "is_staff": "on", "groups": [hr_group.pk], "family_name": "山田改"}
    response = client.post(_change_url(alice), _change_form(alice, **forged))
    assert response.status_code == 302  # the form was saved ...
    alice.refresh_from_db()
    assert alice.family_name == "山田改"  # ... with the fields of HR's job ...
    assert _roles_of(alice) == {roles.STAFF}  # ... and nothing else
    response = client.post(_change_url(carol), _change_form(carol, **forged))
    assert response.status_code == 302
    assert roles.ADMINISTRATOR not in _roles_of(carol)


def test_hr_cannot_change_an_administrators_account(client, carol, admin_user):
    client.force_login(carol)
    response = client.post(_change_url(admin_user), _change_form(admin_user, email="carol-inbox@city.test"))
    assert response.status_code == 403
    admin_user.refresh_from_db()
    assert admin_user.email != "carol-inbox@city.test" and admin_user.is_active


@pytest.mark.parametrize("who", ["carol", "admin_user"])
def test_nobody_sets_another_persons_password_in_the_admin(client, alice, who, request):
    client.force_login(request.getfixturevalue(who))
    url = _change_url(alice, "password")
    assert client.get(url).status_code == 403
    response = client.post(url, {"password1": "a-new-password-42", "password2": "a-new-password-42"})
    assert response.status_code == 403
    alice.refresh_from_db()
    assert alice.check_password(DEFAULT_PASSWORD)


def test_hr_adds_a_person_without_choosing_their_password(client, carol):
    client.force_login(carol)
    page = client.get("/admin/staff/staffmember/add/").content.decode()
    assert 'name="password1"' not in page and 'name="usable_password"' not in page
    response = client.post(
        "/admin/staff/staffmember/add/",
        {
            "employee_number": "200001",
            "email": "new@city.test",
            "family_name": "新井",
            "given_name": "陽",
            "assignments-TOTAL_FORMS": "0",
            "assignments-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    person = StaffMember.objects.get(employee_number="200001")
    assert not person.has_usable_password()
    assert _roles_of(person) == {roles.STAFF}


def test_hr_sends_a_password_reset_email_instead(client, carol, alice, mailoutbox):
    client.force_login(carol)
    response = client.post(
        "/admin/staff/staffmember/",
        {"action": "send_password_reset_email", "_selected_action": [alice.pk]},
    )
    assert response.status_code == 302
    assert [m.to for m in mailoutbox] == [[alice.email]]
    assert "/accounts/password/reset/key/" in mailoutbox[0].body
    alice.refresh_from_db()
    assert alice.check_password(DEFAULT_PASSWORD)  # nothing changes until alice uses the link
    entry = LogEntry.objects.get(object_id=str(alice.pk))
    # The admin history says what HR did, in the portal's language (Japanese by default).
    assert entry.user_id == carol.pk
    assert "パスワード再設定メール" in entry.get_change_message() and alice.email in entry.get_change_message()


def test_department_heads_are_not_set_by_hr_in_the_department_admin(client, carol, alice, department):
    client.force_login(carol)
    response = client.post(
        f"/admin/staff/department/{department.pk}/change/",
        {
            "code": department.code,
            "name": department.name,
            "name_en": "",
            "level": department.level,
            "parent": department.parent_id,
            "heads": [alice.pk],
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert not department.heads.filter(pk=alice.pk).exists()
    assert roles.SECTION_HEAD not in _roles_of(alice)


# --- The role-grant service --------------------------------------------------------------


def test_an_administrator_grants_hr_with_a_reason_and_it_is_recorded(admin_user, dave):
    from staff.models import RoleChange
    from staff.services import role_grant

    change = role_grant(actor=admin_user, staff=dave, role=roles.HR, reason="人事課研修担当に異動（4月1日付）")
    assert _roles_of(dave) == {roles.STAFF, roles.HR, "is_staff"}
    assert change is not None
    recorded = RoleChange.objects.get()
    assert (recorded.staff, recorded.actor, recorded.role, recorded.action, recorded.reason) == (
        dave,
        admin_user,
        roles.HR,
        RoleChange.Action.GRANT,
        "人事課研修担当に異動（4月1日付）",
    )
    assert recorded.at is not None


@pytest.mark.parametrize("actor", ["carol", "bob", "alice", "inactive_admin"])
@pytest.mark.parametrize("role", [roles.HR, roles.SECTION_HEAD, roles.ADMINISTRATOR])
def test_only_an_active_administrator_may_grant_or_revoke_a_role(actor, role, dave, department, request):
    from staff.models import RoleChange
    from staff.services import role_grant, role_revoke

    if actor == "inactive_admin":
        person = make_staff(is_staff=True, is_superuser=True, is_active=False)
    else:
        person = request.getfixturevalue(actor)
    where = department if role == roles.SECTION_HEAD else None
    with pytest.raises(PermissionDenied):
        role_grant(actor=person, staff=dave, role=role, reason="自分で決めた", department=where)
    with pytest.raises(PermissionDenied):
        role_revoke(actor=person, staff=person, role=role, reason="自分で決めた", department=where)
    assert _roles_of(dave) == {roles.STAFF}
    assert not RoleChange.objects.filter(actor=person).exists()


def test_a_role_change_needs_a_reason(admin_user, dave):
    from staff.services import role_grant

    with pytest.raises(ValidationError):
        role_grant(actor=admin_user, staff=dave, role=roles.HR, reason="   ")
    assert _roles_of(dave) == {roles.STAFF}


def test_the_staff_role_and_unknown_roles_are_not_granted_this_way(admin_user, dave):
    from staff.services import role_grant

    for role in (roles.STAFF, "superuser", "hr "):
        with pytest.raises(ValidationError):
            role_grant(actor=admin_user, staff=dave, role=role, reason="理由")


def test_granting_administrator_makes_a_superuser_and_revoking_takes_it_back(admin_user, dave):
    from staff.services import role_grant, role_revoke

    role_grant(actor=admin_user, staff=dave, role=roles.ADMINISTRATOR, reason="情報政策課のシステム管理者")
    assert _roles_of(dave) == {roles.STAFF, roles.ADMINISTRATOR, "is_staff"}
    role_revoke(actor=admin_user, staff=dave, role=roles.ADMINISTRATOR, reason="異動")
    assert _roles_of(dave) == {roles.STAFF}


def test_revoking_hr_keeps_admin_access_only_for_an_administrator(admin_user, carol):
    from staff.services import role_grant, role_revoke

    role_revoke(actor=admin_user, staff=carol, role=roles.HR, reason="異動")
    assert _roles_of(carol) == {roles.STAFF}
    role_grant(actor=admin_user, staff=carol, role=roles.HR, reason="戻り")
    role_grant(actor=admin_user, staff=carol, role=roles.ADMINISTRATOR, reason="兼務")
    role_revoke(actor=admin_user, staff=carol, role=roles.HR, reason="兼務解除")
    assert _roles_of(carol) == {roles.STAFF, roles.ADMINISTRATOR, "is_staff"}


def test_the_last_active_administrator_cannot_be_revoked(admin_user):
    from staff.services import role_revoke

    with pytest.raises(ValidationError):
        role_revoke(actor=admin_user, staff=admin_user, role=roles.ADMINISTRATOR, reason="辞める")
    assert roles.ADMINISTRATOR in _roles_of(admin_user)


def test_no_role_is_granted_to_a_person_who_left(admin_user):
    from staff.services import role_grant

    gone = make_staff(is_active=False)
    with pytest.raises(ValidationError):
        role_grant(actor=admin_user, staff=gone, role=roles.HR, reason="理由")


def test_granting_a_role_already_held_changes_and_records_nothing(admin_user, carol):
    from staff.models import RoleChange
    from staff.services import role_grant, role_revoke

    assert role_grant(actor=admin_user, staff=carol, role=roles.HR, reason="念のため") is None
    assert role_revoke(actor=admin_user, staff=admin_user, role=roles.HR, reason="念のため") is None
    assert not RoleChange.objects.filter(actor=admin_user).exists()


def test_a_head_of_section_is_appointed_for_a_department(admin_user, dave, department):
    from staff.models import RoleChange
    from staff.services import role_grant, role_revoke

    with pytest.raises(ValidationError):
        role_grant(actor=admin_user, staff=dave, role=roles.SECTION_HEAD, reason="所属長")  # which department?
    role_grant(actor=admin_user, staff=dave, role=roles.SECTION_HEAD, reason="課長に昇任", department=department)
    assert list(dave.headed_departments.all()) == [department]
    assert roles.SECTION_HEAD in _roles_of(dave)
    second = make_department(code="4020", name="生活福祉課", parent=department.parent)
    role_grant(actor=admin_user, staff=dave, role=roles.SECTION_HEAD, reason="兼務", department=second)
    role_revoke(actor=admin_user, staff=dave, role=roles.SECTION_HEAD, reason="兼務解除", department=department)
    assert list(dave.headed_departments.all()) == [second]
    assert roles.SECTION_HEAD in _roles_of(dave)  # still heads the other one
    role_revoke(actor=admin_user, staff=dave, role=roles.SECTION_HEAD, reason="異動", department=second)
    assert roles.SECTION_HEAD not in _roles_of(dave)
    assert list(RoleChange.objects.filter(staff=dave).order_by("pk").values_list("action", "department")) == [
        ("grant", department.pk),
        ("grant", second.pk),
        ("revoke", department.pk),
        ("revoke", second.pk),
    ]


def test_department_set_heads_goes_through_the_record_and_refuses_hr(admin_user, carol, alice, bob, department):
    from staff.models import RoleChange
    from staff.services import department_set_heads

    with pytest.raises(PermissionDenied):
        department_set_heads(department=department, heads=[alice], actor=carol, reason="HRが決めた")
    assert list(department.heads.all()) == [bob]
    department_set_heads(department=department, heads=[alice], actor=admin_user, reason="4月1日付人事異動")
    assert list(department.heads.all()) == [alice]
    assert roles.SECTION_HEAD in _roles_of(alice) and roles.SECTION_HEAD not in _roles_of(bob)
    recorded = RoleChange.objects.filter(actor=admin_user).order_by("pk")
    assert [(c.staff, c.action, c.reason) for c in recorded] == [
        (alice, "grant", "4月1日付人事異動"),
        (bob, "revoke", "4月1日付人事異動"),
    ]


def test_a_server_command_grants_roles_on_the_record_without_an_actor(dave):
    from staff.models import RoleChange
    from staff.services import role_grant

    role_grant(actor=None, staff=dave, role=roles.HR, reason="seed_demo")
    change = RoleChange.objects.get(staff=dave)
    assert change.actor is None and change.reason == "seed_demo"


# --- The role page in the admin ------------------------------------------------------------


def test_an_administrator_grants_a_role_on_the_role_page(client, admin_user, dave):
    client.force_login(admin_user)
    url = _change_url(dave, "roles")
    assert client.get(url).status_code == 200
    response = client.post(url, {"action": "grant", "role": roles.HR, "reason": "研修担当に配置"})
    assert response.status_code == 302 and response["Location"] == url
    assert roles.HR in _roles_of(dave)
    page = client.get(url).content.decode()
    assert "研修担当に配置" in page and admin_user.full_name in page


def test_the_role_page_refuses_a_grant_without_a_reason(client, admin_user, dave):
    client.force_login(admin_user)
    response = client.post(_change_url(dave, "roles"), {"action": "grant", "role": roles.HR, "reason": ""})
    assert response.status_code == 200
    assert roles.HR not in _roles_of(dave)


def test_the_role_change_log_is_read_only_in_the_admin(client, admin_user, carol, dave):
    from staff.models import RoleChange
    from staff.services import role_grant

    change = role_grant(actor=admin_user, staff=dave, role=roles.HR, reason="研修担当")
    assert change is not None
    client.force_login(admin_user)
    assert client.get("/admin/staff/rolechange/").status_code == 200
    assert client.get(f"/admin/staff/rolechange/{change.pk}/change/").status_code == 200
    assert client.get("/admin/staff/rolechange/add/").status_code == 403
    client.post(f"/admin/staff/rolechange/{change.pk}/change/", {"reason": "書き換え"})
    assert client.post(f"/admin/staff/rolechange/{change.pk}/delete/", {"post": "yes"}).status_code == 403
    change.refresh_from_db()
    assert change.reason == "研修担当"
    assert RoleChange.objects.filter(staff=dave).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_administrators_revoking_each_other_at_once_leave_one_administrator():
    import threading

    from django.db import close_old_connections, connection

    from staff.services import role_revoke

    first = make_staff(is_staff=True, is_superuser=True)
    second = make_staff(is_staff=True, is_superuser=True)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def revoke(actor: StaffMember, target: StaffMember) -> None:
        try:
            barrier.wait(timeout=10)
            role_revoke(actor=actor, staff=target, role=roles.ADMINISTRATOR, reason="同時に")
            outcomes.append("revoked")
        except ValidationError:
            outcomes.append("refused")
        except BaseException as exc:  # a deadlock or anything else would be a bug
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=revoke, args=pair) for pair in ((first, second), (second, first))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    close_old_connections()
    assert sorted(outcomes) == ["refused", "revoked"]
    assert StaffMember.objects.filter(is_superuser=True, is_active=True).count() == 1
