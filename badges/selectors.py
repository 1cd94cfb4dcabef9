"""Reads about badges that depend on who is asking."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from staff.models import StaffMember
from staff.selectors import is_hr, staff_headed_by

from .models import Award, AwardQuerySet, ExternalBadge, ExternalBadgeQuerySet


def award_image_visible_to(award: Award, user: Any) -> bool:
    """Who may see a baked image (it shows the holder's name): the holder, HR, and whoever
    the holder shared it with (city staff, or anyone)."""
    if award.visibility == Award.Visibility.PUBLIC and award.is_issued:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    if award.recipient_id == user.pk or is_hr(user):
        return True
    return award.visibility == Award.Visibility.STAFF and award.is_issued


def share_page_visible_to(award: Award, user: Any) -> bool:
    """Who may open a badge's share page: anyone if it is public, signed-in staff if the holder
    shared it with city staff, and otherwise only the holder and HR. Never before it is issued."""
    if not award.is_public:
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


def awards_by_source(person: Any, prefix: str) -> dict[str, Award]:
    """A person's current badges whose source starts with ``prefix`` (``enrolment:``), by source
    key: how other apps show, next to what was completed, the badge it earned and its status.
    One query, whatever the number (a person holds a handful of badges)."""
    awards = (
        Award.objects.filter(recipient=person, is_current=True, source_key__startswith=prefix)
        .exclude(status=Award.Status.FAILED)
        .select_related("badge_class")
    )
    return {a.source_key: a for a in awards}


def external_badges_of(person: Any) -> ExternalBadgeQuerySet:
    return ExternalBadge.objects.filter(holder=person).order_by("-created_at")


def record_visible_to(person: StaffMember, user: Any) -> bool:
    """The training record page (/badges/record/<職員番号>/): the person, and heads of section
    for the people in their departments (docs/roles.md). HR reads a person's record through
    its own profile page in the HR insight (/hr/people/<職員番号>/), logged there."""
    if not getattr(user, "is_authenticated", False):
        return False
    if person.pk == user.pk:
        return True
    return staff_headed_by(user).filter(pk=person.pk).exists()


def external_badge_visible_to(badge: ExternalBadge, user: Any) -> bool:
    """An external badge's original file: those who read the holder's record, and HR, who
    confirms external badges into the training record."""
    return is_hr(user) or record_visible_to(badge.holder, user)


# Why HR must decide explicitly (with a reason) before an external badge counts, worst first:
# the recipient comes first (a badge of someone else's is no evidence about this person at all).
EXTERNAL_BADGE_WARNINGS = {
    "recipient_mismatch": _("Issued to someone else: the badge's recipient is not this staff member's email address."),
    "recipient_unknown": _("The badge names no recipient that can be compared with this staff member's email address."),
    "issuer_impersonation": _(
        "Impersonation: the badge claims the name of a registered issuer, under another identifier."
    ),
    "issuer_unknown": _("The issuer is not in the city's register of trusted issuers."),
    "issuer_not_in_force": _("The issuer was not trusted in the city's register on the issue date."),
}


def external_badge_warnings(badge: ExternalBadge, register: Any = None) -> list[str]:
    """What stands between this badge and a one-click confirmation, worst first (empty: none).

    The recipient is as checked against the holder's email when the badge was added; the
    issuer is checked against the register as it is *now*, so registering an issuer later
    clears its badges' warning. ``register``: ``trust.load_register()`` already read (lists).
    """
    from . import trust

    warnings = []
    if badge.recipient_match is False:
        warnings.append("recipient_mismatch")
    elif badge.recipient_match is None:
        warnings.append("recipient_unknown")
    verdict = trust.classify(
        register=register if register is not None else trust.load_register(),
        issuer_id=badge.issuer_id,
        claimed_name=badge.issuer_name,
        issued_on=badge.issued_on,
        hosted_at=badge.credential_id if badge.standard == ExternalBadge.Standard.OB2 else "",
    )
    if verdict.state == trust.IMPERSONATION:
        warnings.append("issuer_impersonation")
    elif verdict.state == trust.UNKNOWN:
        warnings.append("issuer_unknown")
    elif verdict.state == trust.NOT_IN_FORCE:
        warnings.append("issuer_not_in_force")
    return warnings
