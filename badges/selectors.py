"""Reads about badges that depend on who is asking."""

from __future__ import annotations

from typing import Any

from staff.models import StaffMember
from staff.selectors import is_hr, staff_headed_by

from .models import Award, AwardQuerySet, ExternalBadge, ExternalBadgeQuerySet


def award_image_visible_to(award: Award, user: Any) -> bool:
    """Who may see a baked image (it shows the holder's name): the holder, HR, and whoever
    the holder shared it with (city staff, or anyone)."""
    if award.visibility == Award.Visibility.PUBLIC and award.status == Award.Status.ISSUED:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    if award.recipient_id == user.pk or is_hr(user):
        return True
    return award.visibility == Award.Visibility.STAFF and award.status == Award.Status.ISSUED


def share_page_visible_to(award: Award, user: Any) -> bool:
    """Who may open a badge's share page: anyone if it is public, signed-in staff if the holder
    shared it with city staff, and otherwise only the holder and HR. Never before it is issued."""
    if award.status not in (Award.Status.ISSUED, Award.Status.REVOKED):
        return False
    if award.visibility == Award.Visibility.PUBLIC:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    if award.visibility == Award.Visibility.STAFF:
        return True
    return award.recipient_id == user.pk or is_hr(user)


def holder_name_visible_to(award: Award, user: Any) -> bool:
    """The holder's name goes with the badge wherever the baked image (which shows it) may go."""
    return award_image_visible_to(award, user)


def awards_of(person: Any) -> AwardQuerySet:
    """A person's badges for "My badges": current ones (a re-issued badge shows its new award)."""
    return (
        Award.objects.filter(recipient=person, is_current=True)
        .exclude(status=Award.Status.FAILED)
        .select_related("badge_class", "issuer")
        .order_by("-issued_at", "-requested_at")
    )


def external_badges_of(person: Any) -> ExternalBadgeQuerySet:
    return ExternalBadge.objects.filter(holder=person).order_by("-created_at")


def record_visible_to(person: StaffMember, user: Any) -> bool:
    """A training record: the person, HR, and heads of section for the people in their departments."""
    if not getattr(user, "is_authenticated", False):
        return False
    if person.pk == user.pk or is_hr(user):
        return True
    return staff_headed_by(user).filter(pk=person.pk).exists()


def external_badge_visible_to(badge: ExternalBadge, user: Any) -> bool:
    return record_visible_to(badge.holder, user)
