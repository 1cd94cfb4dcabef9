"""allauth adapters: accounts come only from HR's roster.

* Sign-up is closed for everyone, SSO included.
* This adapter is the only way a single sign-on identity is linked to a staff record
  (allauth's own email matching is off in settings): see ``pre_social_login``.
* A sign-in that began with SSO also signs out of the identity provider (staff/sso.py).
"""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import render

from . import sso
from .models import StaffMember


class StaffAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def login(self, request: HttpRequest, user: Any) -> None:
        super().login(request, user)
        sso.sso_session_start(request, user)

    def logout(self, request: HttpRequest) -> None:
        # allauth signs out whoever is signed in before it completes an SSO sign-in: keep that
        # sign-in's ID token (sso.py step 1) across the flush.
        pending = request.session.get(sso.PENDING_KEY)
        super().logout(request)
        if pending:
            request.session[sso.PENDING_KEY] = pending

    def get_logout_redirect_url(self, request: HttpRequest) -> str:
        # Called before the session is flushed: a session that began with SSO goes on to the
        # provider's end-session endpoint, which comes back to the sign-in page.
        return sso.end_session_url(request) or super().get_logout_redirect_url(request)


def _email_domain_allowed(email: str) -> bool:
    domains = [d.lower().lstrip("@") for d in settings.OIDC_ALLOWED_EMAIL_DOMAINS]
    return bool(domains) and email.rsplit("@", 1)[-1].lower() in domains


def _vouched_emails(sociallogin: Any) -> list[str]:
    """Addresses the identity provider vouches for: marked verified, or in an allowed domain."""
    emails = [
        address.email
        for address in sociallogin.email_addresses
        if address.email and (address.verified or _email_domain_allowed(address.email))
    ]
    fallback = getattr(sociallogin.user, "email", "") or ""
    if fallback and _email_domain_allowed(fallback):
        emails.append(fallback)
    return emails


def _refuse(request: HttpRequest, reason: str) -> ImmediateHttpResponse:
    sso.sso_session_forget_pending(request)
    return ImmediateHttpResponse(render(request, "account/sso_unknown.html", {"reason": reason}, status=403))


class StaffSocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: Any) -> bool:
        return False

    def pre_social_login(self, request: HttpRequest, sociallogin: Any) -> None:
        """Let an identity in only as the staff record it belongs to; otherwise refuse with the
        page that sends the person to HR, having written nothing.

        1. An identity linked before signs in as its person, if that person is still active.
        2. A new identity is linked to the staff record whose *current* email (HR's roster, not
           allauth's email table) is an address the provider vouches for (``_vouched_emails``).
        3. Refused: nobody has such an email, the person is deactivated, or the person already
           has an identity from this provider (one each; HR adds a second one in the admin,
           under Social accounts). The person's row is locked while this is decided, so two
           first sign-ins at once cannot both link.
        """
        if sociallogin.is_existing:
            if not sociallogin.user.is_active:
                raise _refuse(request, "deactivated")
            return
        with transaction.atomic():
            staff = None
            for email in _vouched_emails(sociallogin):
                staff = StaffMember.objects.select_for_update().filter(email__iexact=email.strip()).first()
                if staff is not None:
                    break
            if staff is None:
                raise _refuse(request, "unknown")
            if not staff.is_active:
                raise _refuse(request, "deactivated")
            if SocialAccount.objects.filter(user=staff, provider=sociallogin.account.provider).exists():
                raise _refuse(request, "already_linked")
            sociallogin.connect(request, staff)
