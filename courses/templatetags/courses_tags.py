from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from staff import roles
from staff.selectors import user_has_role

from ..models import Course, EnrolmentState
from ..selectors import enrolments_awaiting_head

register = template.Library()

S = EnrolmentState


@register.inclusion_tag("courses/_home_panels_inner.html", takes_context=True)
def courses_home_panels(context: dict[str, Any]) -> dict[str, Any]:
    """Home page panels: what the person has in progress and, for heads, what awaits them."""
    request = context["request"]
    user = request.user
    counts: dict[str, int] = {}
    for state in user.enrolments.values_list("state", flat=True):
        counts[state] = counts.get(state, 0) + 1
    is_head = user_has_role(user, roles.SECTION_HEAD)
    return {
        "in_progress": sum(counts.get(s, 0) for s in (S.REQUESTED, S.RECOMMENDED, S.WAITLISTED, S.APPROVED)),
        "completed": counts.get(S.COMPLETED, 0),
        "is_head": is_head,
        "awaiting": enrolments_awaiting_head(user).count() if is_head else 0,
        "today": timezone.localdate(),
    }


@register.simple_tag
def state_class(state: str) -> str:
    """The CSS modifier for a state label (colour is never the only cue: the text says it)."""
    return {
        S.APPROVED: "ok",
        S.COMPLETED: "ok",
        S.REQUESTED: "info",
        S.RECOMMENDED: "info",
        S.WAITLISTED: "warn",
        S.NOT_COMPLETED: "bad",
        S.REJECTED: "bad",
        S.WITHDRAWN: "muted",
    }.get(state, "info")


@register.filter
def yen(amount: int | None) -> str:
    """12000 → "12,000 yen" (ja: 12,000 円). A filter, not an include: it is used in loops."""
    if amount is None:
        return "—"
    return gettext("%(amount)s yen") % {"amount": f"{amount:,}"}


@register.simple_tag
def application_window(course: Course, today: dt.date) -> str:
    """Where the course's application window stands today, in a few words."""
    opens, closes = course.application_opens_on, course.application_closes_on
    if opens and opens > today:
        return gettext("Opens %(day)s") % {"day": date_format(opens, "DATE_FORMAT")}
    if closes and closes < today:
        return gettext("Closed")
    if closes:
        return gettext("Open until %(day)s") % {"day": date_format(closes, "DATE_FORMAT")}
    return gettext("Open")
