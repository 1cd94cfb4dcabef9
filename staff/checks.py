"""System checks of whose portal this is (settings ``PORTAL_ORGANISATION_*``, docs/operations.md).

A municipality that names itself but leaves one of the demo city's values (the issuer's website,
the sender address, the skill framework...) would show the demo city's name in emails or badges:
``manage.py check`` says which. White text on the configured colours must stay legible.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from hachioji_portal.demo_organisation import DEMO_ORGANISATION
from hachioji_portal.organisation import contrast_ratio

# WCAG 2 AA for normal text: the header's text and the buttons' labels are white on these.
MINIMUM_CONTRAST = 4.5


@checks.register("staff")
def organisation_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    found: list[checks.CheckMessage] = []
    if settings.PORTAL_ORGANISATION_NAME != DEMO_ORGANISATION["PORTAL_ORGANISATION_NAME"]:
        for name, demo_value in DEMO_ORGANISATION.items():
            if name != "PORTAL_ORGANISATION_NAME" and getattr(settings, name, None) == demo_value:
                found.append(
                    checks.Warning(
                        f"{name} still has the demo city's value while PORTAL_ORGANISATION_NAME is "
                        f"{settings.PORTAL_ORGANISATION_NAME!r}",
                        hint=f'Set {name} for your organisation (docs/operations.md, "Your municipality\'s portal").',
                        id="staff.W001",
                    )
                )
    for name in ("PORTAL_COLOUR", "PORTAL_COLOUR_DARK"):
        ratio = contrast_ratio("#ffffff", getattr(settings, name))
        if ratio < MINIMUM_CONTRAST:
            found.append(
                checks.Warning(
                    f"White text on {name} ({getattr(settings, name)}) has a contrast of {ratio:.1f}:1",
                    hint=f"Choose a darker colour: at least {MINIMUM_CONTRAST}:1 against white (WCAG 2 AA).",
                    id="staff.W002",
                )
            )
    return found
