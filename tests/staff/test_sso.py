"""A first single sign-on links to the existing staff record by a vouched-for email, and
never creates a stranger's account."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.models import SocialAccount, SocialLogin
from django.contrib.sessions.middleware import SessionMiddleware
from django.test import RequestFactory

from staff.adapters import StaffSocialAccountAdapter
from staff.models import StaffMember

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def city_sso(settings):  # type: ignore[no-untyped-def]
    """The city's identity provider, configured as operations would through the environment."""
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "APPS": [
                {
                    "provider_id": "city-sso",
                    "name": "City SSO",
                    "client_id": "portal",
                    "secret": "secret",
                    "settings": {"server_url": "https://login.example.invalid/tenant/v2.0"},
                }
            ]
        }
    }


def _sociallogin(email: str, *, verified: bool) -> SocialLogin:
    account = SocialAccount(provider="city-sso", uid="entra-oid-123", extra_data={"email": email})
    user = StaffMember(email=email)
    return SocialLogin(user=user, account=account, email_addresses=[EmailAddress(email=email, verified=verified)])


def _request():  # type: ignore[no-untyped-def]
    request = RequestFactory().get("/accounts/oidc/city-sso/login/callback/")
    SessionMiddleware(lambda r: None).process_request(request)  # type: ignore[arg-type, return-value]
    request.user = None
    return request


def test_a_verified_email_links_the_first_sso_login_to_the_staff_record(alice):
    sociallogin = _sociallogin("Alice@City.test", verified=True)
    StaffSocialAccountAdapter().pre_social_login(_request(), sociallogin)
    assert SocialAccount.objects.get(uid="entra-oid-123").user == alice
    assert StaffMember.objects.count() == 1


def test_an_unverified_email_from_another_domain_is_refused(alice):
    sociallogin = _sociallogin("alice@city.test", verified=False)
    with pytest.raises(ImmediateHttpResponse) as refused:
        StaffSocialAccountAdapter().pre_social_login(_request(), sociallogin)
    assert refused.value.response.status_code == 403
    assert not SocialAccount.objects.exists()


def test_the_city_domain_vouches_for_addresses_the_provider_does_not_mark_verified(alice, settings):
    settings.OIDC_ALLOWED_EMAIL_DOMAINS = ["city.test"]
    sociallogin = _sociallogin("alice@city.test", verified=False)
    StaffSocialAccountAdapter().pre_social_login(_request(), sociallogin)
    assert SocialAccount.objects.get().user == alice


def test_an_unknown_person_gets_no_account(db):
    sociallogin = _sociallogin("stranger@city.test", verified=True)
    with pytest.raises(ImmediateHttpResponse) as refused:
        StaffSocialAccountAdapter().pre_social_login(_request(), sociallogin)
    assert "not linked to a staff record" in refused.value.response.content.decode() or (
        "職員" in refused.value.response.content.decode()
    )
    assert StaffMember.objects.count() == 0


def test_a_deactivated_person_cannot_sign_in_by_sso(alice):
    alice.is_active = False
    alice.save()
    with pytest.raises(ImmediateHttpResponse):
        StaffSocialAccountAdapter().pre_social_login(_request(), _sociallogin("alice@city.test", verified=True))


def test_signup_stays_closed_for_social_accounts(rf):
    assert StaffSocialAccountAdapter().is_open_for_signup(rf.get("/"), None) is False
