"""Writes to the staff directory. Views, admin actions, imports and commands call these."""

from __future__ import annotations

import datetime as dt

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from . import roles
from .models import Assignment, Department, RoleChange, StaffMember, TeamOptInChange


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


def _group_add(staff: StaffMember, role: str) -> None:
    # get_or_create: the groups come from a migration, but a flushed test database has none.
    staff.groups.add(Group.objects.get_or_create(name=role)[0])


def _group_remove(staff: StaffMember, role: str) -> None:
    staff.groups.remove(*Group.objects.filter(name=role))


def staff_account_ensure(*, staff: StaffMember) -> None:
    """What everyone on the roster has: a verified primary address (to sign in, or to be sent a
    password reset) and the ``staff`` role. Not a privilege, so not a recorded role grant."""
    email_address_ensure_verified(staff=staff)
    _group_add(staff, roles.STAFF)


def _role_change_checked(*, actor: StaffMember | None, role: str, reason: str, department: Department | None) -> str:
    """Refuse a role change that may not happen; return the reason, trimmed."""
    # Checked here, not only in the admin view: no other path (a form, an import, a view added
    # later) can hand out a role without an administrator behind it.
    if actor is not None and not (actor.is_active and actor.is_superuser):
        raise PermissionDenied("Only an administrator grants or revokes roles.")
    if role not in roles.GRANTED_ROLES:
        raise ValidationError(_("This role is not granted by an administrator."))
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Give the reason for the change."))
    if (role == roles.SECTION_HEAD) != (department is not None):
        raise ValidationError(_("A head of section is appointed for a department; the other roles are not."))
    return reason


def _role_refresh(staff: StaffMember, person: StaffMember) -> None:
    """Bring the caller's instance in step with the locked row (and forget cached roles)."""
    staff.is_staff, staff.is_superuser = person.is_staff, person.is_superuser
    staff.__dict__.pop("_role_cache", None)


@transaction.atomic
def role_grant(
    *,
    actor: StaffMember | None,
    staff: StaffMember,
    role: str,
    reason: str,
    department: Department | None = None,
) -> RoleChange | None:
    """Grant ``role`` (HR, head of section of ``department``, administrator) to ``staff``, on the
    record. Returns the RoleChange, or None when the person holds the role already.

    1. Only an active administrator may (PermissionDenied otherwise); ``actor=None`` is a command
       run on the server (seed_demo), recorded as such; never pass None from a request.
    2. A reason is required; nobody who left is given a role.
    3. The person's row is locked, so two administrators granting at once record one grant.
    HR and administrators get ``is_staff`` (the admin); both must then set up TOTP.
    """
    reason = _role_change_checked(actor=actor, role=role, reason=reason, department=department)
    person = StaffMember.objects.select_for_update().get(pk=staff.pk)
    if not person.is_active:
        raise ValidationError(_("No role is granted to a person who is no longer active."))
    if role == roles.HR:
        if person.is_staff and person.groups.filter(name=roles.HR).exists():
            return None
        _group_add(person, roles.HR)
        person.is_staff = True
    elif role == roles.ADMINISTRATOR:
        if person.is_superuser and person.is_staff:
            return None
        person.is_superuser = person.is_staff = True
    elif department is not None:  # a head of section (checked above)
        if department.heads.filter(pk=person.pk).exists():
            return None
        department.heads.add(person)
        _group_add(person, roles.SECTION_HEAD)
    person.save(update_fields=["is_staff", "is_superuser"])
    _role_refresh(staff, person)
    return RoleChange.objects.create(
        staff=person, role=role, action=RoleChange.Action.GRANT, department=department, actor=actor, reason=reason
    )


@transaction.atomic
def role_revoke(
    *,
    actor: StaffMember | None,
    staff: StaffMember,
    role: str,
    reason: str,
    department: Department | None = None,
) -> RoleChange | None:
    """Take ``role`` away from ``staff``, on the record; the checks of ``role_grant`` apply.
    Returns the RoleChange, or None when the person did not hold the role.

    The last active administrator cannot be revoked (the city would lose its only way to grant
    roles). For that check every administrator's row is locked first, in one order, so two
    administrators revoking each other at once neither both pass nor deadlock.
    """
    reason = _role_change_checked(actor=actor, role=role, reason=reason, department=department)
    if role == roles.ADMINISTRATOR:
        administrators = StaffMember.objects.select_for_update().filter(is_superuser=True, is_active=True)
        locked = list(administrators.order_by("pk").values_list("pk", flat=True))
        if locked == [staff.pk]:
            raise ValidationError(_("This is the last active administrator: make someone else administrator first."))
    person = StaffMember.objects.select_for_update().get(pk=staff.pk)
    if role == roles.HR:
        if not person.groups.filter(name=roles.HR).exists():
            return None
        _group_remove(person, roles.HR)
        person.is_staff = person.is_superuser
    elif role == roles.ADMINISTRATOR:
        if not person.is_superuser:
            return None
        person.is_superuser = False
        person.is_staff = person.groups.filter(name=roles.HR).exists()
    elif department is not None:  # a head of section (checked above)
        if not department.heads.filter(pk=person.pk).exists():
            return None
        department.heads.remove(person)
        if not person.headed_departments.exists():
            _group_remove(person, roles.SECTION_HEAD)
    person.save(update_fields=["is_staff", "is_superuser"])
    _role_refresh(staff, person)
    return RoleChange.objects.create(
        staff=person, role=role, action=RoleChange.Action.REVOKE, department=department, actor=actor, reason=reason
    )


def password_reset_email_send(*, staff: StaffMember, request: HttpRequest) -> bool:
    """Send ``staff`` allauth's password-reset email, to their own address. Nobody sets another
    person's password: this is what HR offers instead. Returns False for a person who left.

    The link lets only the holder of the mailbox choose a password; TOTP still guards HR and
    administrators after a reset.
    """
    from allauth.account.forms import ResetPasswordForm

    if not staff.is_active or not staff.email:
        return False
    email_address_ensure_verified(staff=staff)
    form = ResetPasswordForm(data={"email": staff.email})
    if not form.is_valid():
        return False
    form.save(request)
    return True


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
def department_set_heads(
    *,
    department: Department,
    heads: list[StaffMember],
    actor: StaffMember | None = None,
    reason: str = "",
) -> None:
    """Make ``heads`` the heads of section (所属長) of ``department``.

    Each appointment and each end of one is a role grant or revocation (``role_grant`` /
    ``role_revoke``): only an administrator may, and each is recorded. ``actor=None`` is a
    command run on the server (seed_demo, benchmarks), recorded with ``reason`` or this
    function's name.
    """
    reason = reason or ("department_set_heads" if actor is None else "")
    previous = list(department.heads.all())
    for person in heads:
        role_grant(actor=actor, staff=person, role=roles.SECTION_HEAD, reason=reason, department=department)
    for person in previous:
        if person not in heads:
            role_revoke(actor=actor, staff=person, role=roles.SECTION_HEAD, reason=reason, department=department)


def staff_set_language(*, staff: StaffMember, language: str) -> None:
    if staff.preferred_language != language:
        StaffMember.objects.filter(pk=staff.pk).update(preferred_language=language)
        staff.preferred_language = language


def staff_set_reminders(*, staff: StaffMember, enabled: bool) -> None:
    """Turn the person's reminder emails (course start, application deadline) on or off."""
    if staff.email_reminders != enabled:
        StaffMember.objects.filter(pk=staff.pk).update(email_reminders=enabled)
        staff.email_reminders = enabled


@transaction.atomic
def staff_set_team_opt_in(*, staff: StaffMember, opted_in: bool) -> bool:
    """The person's own choice to be found for cross-department projects (courses/teams.py), or
    to withdraw it. Returns True if the choice changed; choosing what is already set changes
    nothing (a second click on "save" is not a second choice).

    Every change is kept: a ``TeamOptInChange`` row (who, when, in or out) is written in the
    transaction that sets ``StaffMember.team_opt_in``, after locking the person's row, so that two
    submissions at once are applied one after the other and the latest row of the history is
    always the flag the team proposal reads. Lock order: the person's ``StaffMember`` row only.
    """
    current = (
        StaffMember.objects.select_for_update()
        .filter(pk=staff.pk)
        .values_list("team_opt_in", "team_opt_in_changed_at")
        .get()
    )
    if current[0] == opted_in and current[1] is not None:
        staff.team_opt_in, staff.team_opt_in_changed_at = current
        return False
    now = timezone.now()
    StaffMember.objects.filter(pk=staff.pk).update(team_opt_in=opted_in, team_opt_in_changed_at=now)
    TeamOptInChange.objects.create(staff_id=staff.pk, opted_in=opted_in, at=now)
    staff.team_opt_in, staff.team_opt_in_changed_at = opted_in, now
    return True


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
        old_email = staff.email
        if changed:
            for name in changed:
                setattr(staff, name, changes[name])
            staff.save(update_fields=changed)
        if "email" in changed:
            staff_email_change_notify(staff=staff, old_email=old_email, changed_by=_("the staff roster import"))
    staff_account_ensure(staff=staff)
    if department is not None:
        staff_assign(staff=staff, department=department, grade=grade, job_family=job_family, on=on)
    return staff, created


def staff_email_change_notify(*, staff: StaffMember, old_email: str, changed_by: str) -> None:
    """Tell the address an account had that it no longer signs in: HR can change a person's
    email (admin, roster import) and then send a password reset, so the person must hear of the
    change where they can still read it. ``changed_by``: who or what changed it, for the email."""
    from .emails import ADDRESS_KEY, email_send_on_commit

    old = (old_email or "").strip().lower()
    if not old or old == (staff.email or "").strip().lower():
        return
    email_send_on_commit(
        to=staff,
        template="email-changed",
        context={
            ADDRESS_KEY: old,
            "old_email": old,
            "new_email": staff.email,
            "changed_by": changed_by,
            "changed_on": _today().isoformat(),
        },
    )


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
