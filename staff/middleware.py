from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .selectors import is_hr

# Paths a person without MFA may still reach: setting it up, signing out, assets, the language
# switch, and documents that are the same for everyone (the did:web document, health, the
# organisation's colours and logo).
# Not /public/: signed in, HR sees private badge images and private share pages there that
# nobody else may open, so the public tree is one of the pages the role opens (issue 12).
_ALLOWED_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/.well-known/", "/health", "/organisation/")


def mfa_required_for(user: object) -> bool:
    return bool(
        settings.PORTAL_MFA_REQUIRED_FOR_HR
        and getattr(user, "is_authenticated", False)
        and (getattr(user, "is_staff", False) or is_hr(user))  # type: ignore[arg-type]
    )


class RequireMfaForHrMiddleware:
    """HR and admin users must have TOTP set up before they can use anything else, the public
    tree included: every page answers them with the way to set it up."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if mfa_required_for(user) and not request.path.startswith(_ALLOWED_PREFIXES) and not is_mfa_enabled(user):
            messages.warning(
                request, _("Your role handles personal data: set up two-step verification (TOTP) to continue.")
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)
