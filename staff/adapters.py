"""allauth adapters: accounts come only from HR's roster.

* Sign-up is closed for everyone, SSO included.
* A first single sign-on login is linked to the existing staff record by email, and only when
  the identity provider vouches for that address (the city's tenant, an allowed domain); an
  unknown person is refused, never given a new account.
"""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import render

from .models import StaffMember


class StaffAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False


def _email_domain_allowed(email: str) -> bool:
    domains = [d.lower().lstrip("@") for d in settings.OIDC_ALLOWED_EMAIL_DOMAINS]
    return bool(domains) and email.rsplit("@", 1)[-1].lower() in domains


class StaffSocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest, sociallogin: Any) -> bool:
        return False

    def pre_social_login(self, request: HttpRequest, sociallogin: Any) -> None:
        if sociallogin.is_existing:
            return
        emails = [
            address.email
            for address in sociallogin.email_addresses
            if address.verified or _email_domain_allowed(address.email)
        ]
        email = sociallogin.user.email if not emails else emails[0]
        staff = None
        if email and (emails or _email_domain_allowed(email)):
            staff = StaffMember.objects.filter(email__iexact=email, is_active=True).first()
        if staff is None:
            raise ImmediateHttpResponse(render(request, "account/sso_unknown.html", status=403))
        sociallogin.connect(request, staff)
