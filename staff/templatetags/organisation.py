"""``{% organisation as org %}``: whose portal this is, in templates rendered without a request
(emails, the share page's cached parts, the 500 page). Pages have ``organisation`` from the
context processor. See hachioji_portal/organisation.py."""

from __future__ import annotations

from django import template

from hachioji_portal.organisation import Organisation
from hachioji_portal.organisation import organisation as _organisation

register = template.Library()


@register.simple_tag(name="organisation")
def organisation_tag() -> Organisation:
    return _organisation()
