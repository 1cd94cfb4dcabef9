"""Reads from the staff directory that depend on who is asking."""

from __future__ import annotations

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext

from . import roles
from .models import StaffMember, StaffMemberQuerySet, TeamOptInChange


def user_has_role(user: StaffMember, role: str) -> bool:
    if not user.is_authenticated:
        return False
    cache = getattr(user, "_role_cache", None)
    if cache is None:
        cache = set(user.groups.values_list("name", flat=True))
        user._role_cache = cache  # type: ignore[attr-defined]
    return role in cache


def is_hr(user: StaffMember) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user_has_role(user, roles.HR)))


def headed_department_paths(user: StaffMember) -> list[str]:
    if not user.is_authenticated:
        return []
    return list(user.headed_departments.filter(is_active=True).values_list("path", flat=True))


def staff_headed_by(user: StaffMember) -> StaffMemberQuerySet:
    """The people a head of section may see: members of the departments they head (and below)."""
    paths = headed_department_paths(user)
    if not paths:
        return StaffMember.objects.none()
    condition = Q()
    for path in paths:
        condition |= Q(department__path__startswith=path)
    return StaffMember.objects.filter(condition).exclude(pk=user.pk)


def roles_held(staff: StaffMember) -> list[str | Promise]:
    """The roles a person holds beyond ``staff``, as labels: administrator, HR, and head of
    section of each department they head."""
    labels: dict[str, str | Promise] = dict(roles.GRANTED_ROLE_CHOICES)
    held: list[str | Promise] = []
    if staff.is_superuser:
        held.append(labels[roles.ADMINISTRATOR])
    if staff.groups.filter(name=roles.HR).exists():
        held.append(labels[roles.HR])
    for department in staff.headed_departments.order_by("path"):
        held.append(gettext("Head of section: %(department)s") % {"department": department.name})
    return held


def team_opt_in_history(staff: StaffMember, limit: int = 50) -> list[TeamOptInChange]:
    """The person's own choices about cross-department projects, newest first (their profile page)."""
    return list(TeamOptInChange.objects.filter(staff=staff).order_by("-at", "-pk")[:limit])
