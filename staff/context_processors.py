from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from hachioji_portal.organisation import organisation

from . import roles
from .selectors import is_hr, user_has_role


def portal(request: HttpRequest) -> dict[str, Any]:
    """Whose portal this is (``organisation``) and what the navigation needs to know about the
    person signed in."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"organisation": organisation(), "nav_is_hr": False, "nav_is_head": False}
    return {
        "organisation": organisation(),
        "nav_is_hr": is_hr(user),
        "nav_is_head": user_has_role(user, roles.SECTION_HEAD),
    }
