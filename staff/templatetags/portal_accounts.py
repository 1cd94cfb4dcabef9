"""Template tags for the sign-in pages (allauth's, in the portal's own templates)."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from django import template
from django.http import HttpRequest

register = template.Library()


@register.simple_tag
def signup_is_open(request: HttpRequest) -> bool:
    """What the account adapter says: the sign-in page offers sign-up only when it is open
    (never in the portal: accounts come from HR's roster, staff/adapters.py)."""
    return bool(get_adapter(request).is_open_for_signup(request))
