"""Writes to the staff directory. Views, admin actions, imports and commands call these."""

from __future__ import annotations

import datetime as dt

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from . import roles
from .models import Assignment, Department, StaffMember


def _today() -> dt.date:
    return timezone.localdate()


def email_address_ensure_verified(*, staff: StaffMember) -> None:
    """Give the person the verified, primary allauth address for their current email.

    HR's roster is the source of truth for addresses, so imported staff can sign in at once
    (without it, allauth's mandatory verification would send them a confirmation mail first).
    """
    addresses = list(EmailAddress.objects.filter(user=staff))
    current = next((a for a in addresses if a.email.lower() == staff.email.lower()), None)
    stale = [a.pk for a in addresses if a is not current]
    if stale:
        EmailAddress.objects.filter(pk__in=stale).delete()
    if current is None:
        EmailAddress.objects.create(user=staff, email=staff.email, verified=True, primary=True)
    elif not (current.verified and current.primary):
        current.verified = True
        current.primary = True
        current.save(update_fields=["verified", "primary"])


def role_grant(*, staff: StaffMember, role: str) -> None:
    # get_or_create: the groups come from a migration, but a flushed test database has none.
    staff.groups.add(Group.objects.get_or_create(name=role)[0])


def role_revoke(*, staff: StaffMember, role: str) -> None:
    staff.groups.remove(Group.objects.get(name=role))


@transaction.atomic
def staff_assign(
    *,
    staff: StaffMember,
    department: Department,
    grade: str = "",
    job_family: str = "",
    on: dt.date | None = None,
) -> Assignment | None:
    """Record a transfer (異動) or grade change taking effect on ``on`` (default: today).

    1. If the current assignment already says the same, nothing changes (re-imports are no-ops).
    2. Otherwise the current assignment is closed the day the new one starts, so the history
       stays true, and the person's current values are updated.
    Returns the new assignment, or None when nothing changed.
    """
    on = on or _today()
    current = staff.assignments.filter(valid_to__isnull=True).select_for_update().first()
    if current and (current.department_id, current.grade, current.job_family) == (department.pk, grade, job_family):
        return None
    if current:
        if current.valid_from >= on:
            # A correction on the same day (or a back-dated one) replaces the open row.
            current.delete()
        else:
            current.valid_to = on
            current.save(update_fields=["valid_to"])
    assignment = Assignment.objects.create(
        staff=staff, department=department, grade=grade, job_family=job_family, valid_from=on
    )
    StaffMember.objects.filter(pk=staff.pk).update(department=department, grade=grade, job_family=job_family)
    staff.department, staff.grade, staff.job_family = department, grade, job_family
    return assignment


@transaction.atomic
def staff_deactivate(*, staff: StaffMember) -> bool:
    """Deactivate a person who left. Never deletes: their record and badges stay true.

    Returns True if the person was active before.
    """
    changed = StaffMember.objects.filter(pk=staff.pk, is_active=True).update(is_active=False)
    staff.is_active = False
    return bool(changed)


@transaction.atomic
def department_set_heads(*, department: Department, heads: list[StaffMember]) -> None:
    """Make ``heads`` the heads of section (所属長) of ``department``, keeping roles in step."""
    previous = set(department.heads.all())
    department.heads.set(heads)
    for person in heads:
        role_grant(staff=person, role=roles.SECTION_HEAD)
    for person in previous - set(heads):
        if not person.headed_departments.exists():
            role_revoke(staff=person, role=roles.SECTION_HEAD)


def staff_set_language(*, staff: StaffMember, language: str) -> None:
    if staff.preferred_language != language:
        StaffMember.objects.filter(pk=staff.pk).update(preferred_language=language)
        staff.preferred_language = language


@transaction.atomic
def staff_upsert(
    *,
    employee_number: str,
    email: str,
    family_name: str,
    given_name: str,
    family_name_kana: str = "",
    given_name_kana: str = "",
    department: Department | None = None,
    grade: str = "",
    job_family: str = "",
    employment_type: str = "regular",
    on: dt.date | None = None,
) -> tuple[StaffMember, bool]:
    """Create or update a person keyed by employee number; returns (person, created).

    The employee number never changes; the email may. Imported people can sign in at once
    (a verified address) and always hold the ``staff`` role.
    """
    staff, created = StaffMember.objects.select_for_update().get_or_create(
        employee_number=employee_number,
        defaults={
            "email": email,
            "family_name": family_name,
            "given_name": given_name,
            "family_name_kana": family_name_kana,
            "given_name_kana": given_name_kana,
            "employment_type": employment_type,
        },
    )
    if created:
        staff.set_unusable_password()
        staff.save(update_fields=["password"])
    else:
        changes = {
            "email": email.strip().lower(),
            "family_name": family_name,
            "given_name": given_name,
            "family_name_kana": family_name_kana,
            "given_name_kana": given_name_kana,
            "employment_type": employment_type,
            "is_active": True,
        }
        changed = [name for name, value in changes.items() if getattr(staff, name) != value]
        if changed:
            for name in changed:
                setattr(staff, name, changes[name])
            staff.save(update_fields=changed)
    email_address_ensure_verified(staff=staff)
    role_grant(staff=staff, role=roles.STAFF)
    if department is not None:
        staff_assign(staff=staff, department=department, grade=grade, job_family=job_family, on=on)
    return staff, created


def record_access_log(*, viewer: StaffMember, subject: StaffMember, purpose: str, path: str) -> None:
    """Log that ``viewer`` opened ``subject``'s record. Looking at one's own record is not logged."""
    from .models import RecordAccess

    if viewer.pk == subject.pk:
        return
    RecordAccess.objects.create(viewer=viewer, subject=subject, purpose=purpose[:200], path=path[:300])


@transaction.atomic
def staff_create_many(*, people: list[StaffMember], on: dict[str, dt.date] | None = None) -> None:
    """Create many new people at once (a first roster import of a whole city), in bulk.

    Each new person ends up as ``staff_upsert`` leaves a new person: an unusable password, the
    verified primary email address, the ``staff`` role and, with a department, a current
    assignment from ``on[employee_number]`` (default: today). ``people`` are unsaved
    StaffMember instances; they get their primary keys. Raises IntegrityError if an employee
    number or an email address is taken already (use ``staff_upsert`` for existing people).
    """
    today = _today()
    on = on or {}
    for person in people:
        person.email = person.email.strip().lower()
        person.set_unusable_password()
        if person.department_id is None:
            person.grade, person.job_family = "", ""  # as staff_upsert: they come with a post only
    StaffMember.objects.bulk_create(people, batch_size=500)
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=person, email=person.email, verified=True, primary=True) for person in people],
        batch_size=500,
    )
    staff_role = Group.objects.get(name=roles.STAFF)
    membership = StaffMember.groups.through
    membership.objects.bulk_create(
        [membership(staffmember_id=person.pk, group_id=staff_role.pk) for person in people],
        batch_size=500,
        ignore_conflicts=True,
    )
    Assignment.objects.bulk_create(
        [
            Assignment(
                staff=person,
                department_id=person.department_id,
                grade=person.grade,
                job_family=person.job_family,
                valid_from=on.get(person.employee_number) or today,
            )
            for person in people
            if person.department_id is not None
        ],
        batch_size=500,
    )
