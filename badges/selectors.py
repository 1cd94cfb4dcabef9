"""Reads about badges that depend on who is asking."""

from __future__ import annotations

from typing import Any

from staff.selectors import is_hr

from .models import Award


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
