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
from tests.settings_loading import settings_from_environment

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


# --- Through allauth's own sign-in flow (everything after the provider's answer) ---------------


def _callback_request(user: object = None):  # type: ignore[no-untyped-def]
    """The provider's redirect back to the portal, as the middleware leaves it for allauth."""
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.messages.middleware import MessageMiddleware

    request = _request()
    MessageMiddleware(lambda r: None).process_request(request)  # type: ignore[arg-type, return-value]
    request.user = user or AnonymousUser()
    return request


def _complete(sociallogin: SocialLogin, request=None):  # type: ignore[no-untyped-def]
    """allauth's flow after the provider has answered (lookup, our adapter, linking, signing in),
    with the settings as they are: nothing of allauth's is replaced."""
    from allauth.core.context import request_context
    from allauth.socialaccount.helpers import complete_social_login

    request = request or _callback_request()
    sociallogin.state = {"process": "login"}
    with request_context(request):
        return complete_social_login(request, sociallogin), request


# The Japanese of docs/_pending_translations/sso.po (in the catalogue once the lead merges it).
DEACTIVATED_JA = "ポータルの職員情報が無効になっているため、ログインできません。"


def _identity(email: str, *, uid: str = "entra-oid-123", verified: bool = True) -> SocialLogin:
    from allauth.socialaccount.adapter import get_adapter

    account = SocialAccount(provider="city-sso", uid=uid, extra_data={"email": email})
    return SocialLogin(
        user=StaffMember(email=email),
        account=account,
        email_addresses=[EmailAddress(email=email, verified=verified, primary=True)],
        provider=get_adapter().get_provider(_request(), "city-sso"),
    )


def _signed_in(request) -> object:  # type: ignore[no-untyped-def]
    return request.session.get("_auth_user_id")


def test_a_verified_identity_signs_in_as_the_staff_record_through_allauths_flow(alice):
    response, request = _complete(_identity("alice@city.test"))
    assert response.status_code == 302 and response["Location"] == "/"
    assert _signed_in(request) == str(alice.pk)
    assert SocialAccount.objects.get().user == alice


def _admin_form_data(response) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """What the browser would send back from an admin change page, unchanged."""
    data: dict[str, object] = {}

    def add(form) -> None:  # type: ignore[no-untyped-def]
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = "on" if value is True else value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{name}"] = value
        for form in formset.forms:
            add(form)
    return data


def test_after_hr_changes_an_email_in_the_admin_the_old_address_signs_in_nobody(client, bob, carol):
    from django.urls import reverse

    from tests.factories import DEFAULT_PASSWORD

    client.force_login(carol)
    url = reverse("admin:staff_staffmember_change", args=[bob.pk])
    data = _admin_form_data(client.get(url))
    data["email"] = "bob.sato@city.test"
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    bob.refresh_from_db()
    assert bob.email == "bob.sato@city.test"
    assert list(EmailAddress.objects.filter(user=bob).values_list("email", "verified", "primary")) == [
        ("bob.sato@city.test", True, True)
    ]
    client.logout()

    # An identity still reporting the old address (verified) is nobody's...
    response, request = _complete(_identity("bob@city.test", uid="old-address"))
    assert response.status_code == 403
    assert not _signed_in(request) and not SocialAccount.objects.exists()
    # ...and neither is the old address at the password form.
    client.post(reverse("account_login"), {"login": "bob@city.test", "password": DEFAULT_PASSWORD})
    assert "_auth_user_id" not in client.session
    # The new address is bob's.
    response, request = _complete(_identity("bob.sato@city.test", uid="new-address"))
    assert _signed_in(request) == str(bob.pk)


def test_a_deactivated_person_is_refused_with_the_hr_page_and_nothing_is_linked(alice):
    alice.is_active = False
    alice.save()
    response, request = _complete(_identity("alice@city.test"))
    assert response.status_code == 403
    assert DEACTIVATED_JA in response.content.decode()
    assert not _signed_in(request)
    assert not SocialAccount.objects.exists()


def test_a_linked_identity_of_a_person_who_left_is_refused_with_the_hr_page(alice):
    SocialAccount.objects.create(user=alice, provider="city-sso", uid="entra-oid-123")
    alice.is_active = False
    alice.save()
    response, request = _complete(_identity("alice@city.test"))
    # Not allauth's bare 「アカウントが無効です。」 page (a redirect to /accounts/inactive/).
    assert response.status_code == 403
    assert DEACTIVATED_JA in response.content.decode()
    assert not _signed_in(request)


def test_an_sso_sign_in_never_removes_the_persons_password(department):
    from tests.factories import DEFAULT_PASSWORD

    # Added by hand, without an address in allauth's table: allauth's email matching would
    # have wiped this password ("an unverified address") on the first SSO sign-in.
    person = StaffMember.objects.create_user(
        email="hana@city.test", password=DEFAULT_PASSWORD, employee_number="100077", family_name="花", given_name="子"
    )
    _response, request = _complete(_identity("hana@city.test"))
    assert _signed_in(request) == str(person.pk)
    person.refresh_from_db()
    assert person.check_password(DEFAULT_PASSWORD)


def test_a_second_identity_is_not_linked_to_a_person_who_has_one_unless_hr_adds_it(alice):
    SocialAccount.objects.create(user=alice, provider="city-sso", uid="first")
    response, request = _complete(_identity("alice@city.test", uid="second"))
    assert response.status_code == 403
    assert "既に別の市のアカウントと結び付いています" in response.content.decode()
    assert not _signed_in(request)
    assert list(SocialAccount.objects.values_list("uid", flat=True)) == ["first"]

    # HR (an administrator, in the admin's Social accounts) adds the second identity: it signs in.
    SocialAccount.objects.create(user=alice, provider="city-sso", uid="second")
    response, request = _complete(_identity("alice@city.test", uid="second"))
    assert _signed_in(request) == str(alice.pk)


def test_a_refused_sign_in_forgets_the_id_token_it_brought(alice):
    from staff import sso

    request = _callback_request()
    request.session[sso.PENDING_KEY] = {"provider": "city-sso", "uid": "stranger", "id_token": "x.y.z"}
    response, request = _complete(_identity("stranger@city.test", uid="stranger"), request)
    assert response.status_code == 403
    assert sso.PENDING_KEY not in request.session and sso.SESSION_KEY not in request.session


def test_a_completed_sign_in_keeps_the_id_token_for_signing_out_of_the_provider(alice):
    from staff import sso

    request = _callback_request()
    request.session[sso.PENDING_KEY] = {"provider": "city-sso", "uid": "entra-oid-123", "id_token": "x.y.z"}
    _response, request = _complete(_identity("alice@city.test"), request)
    assert _signed_in(request) == str(alice.pk)
    assert request.session[sso.SESSION_KEY] == {"provider": "city-sso", "id_token": "x.y.z"}


def test_signing_out_after_a_password_sign_in_stays_in_the_portal(client, alice):
    from django.urls import reverse

    client.force_login(alice)
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302 and response["Location"] == reverse("account_login")


def test_the_sso_callback_is_the_portals_own(db):
    from django.urls import resolve

    from staff import sso

    assert resolve("/accounts/oidc/city-sso/login/callback/").func is sso.callback


# --- The Content-Security-Policy lets the sign-in and sign-out forms reach the provider -------


def test_the_csp_lets_forms_lead_to_the_configured_provider_and_nowhere_else(client, db):
    response = client.get("/accounts/login/")
    directives = dict(
        (d.split()[0], d.split()[1:]) for d in response["Content-Security-Policy"].split(";") if d.strip()
    )
    assert directives["form-action"] == ["'self'", "https://login.example.invalid"]
    assert directives["default-src"] == ["'self'"]


def test_without_sso_forms_lead_only_to_the_portal(client, settings, db):
    settings.SOCIALACCOUNT_PROVIDERS = {}
    response = client.get("/accounts/login/")
    assert "form-action 'self';" in response["Content-Security-Policy"]


# --- What settings.py accepts as the provider --------------------------------------------------


PRODUCTION = {"DEBUG": "0", "SECRET_KEY": "x" * 64 + "-sso-settings-test", "OIDC_CLIENT_ID": "portal"}


def test_production_settings_refuse_an_http_provider(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="https"):
        settings_from_environment(monkeypatch, **PRODUCTION, OIDC_SERVER_URL="http://login.city.test/tenant/v2.0")


@pytest.mark.parametrize(
    "url",
    [
        "https://login.microsoftonline.com/common",
        "https://login.microsoftonline.com/common/v2.0",
        "https://login.microsoftonline.com/COMMON/v2.0",
        "https://login.microsoftonline.com/organizations/v2.0/",
        "https://login.microsoftonline.com/consumers/v2.0",
        "https://login.microsoftonline.com/%63ommon/v2.0",
        "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0",
    ],
)
def test_settings_refuse_a_shared_microsoft_tenant(monkeypatch, url):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="tenant"):
        settings_from_environment(monkeypatch, **PRODUCTION, OIDC_SERVER_URL=url)


def test_settings_accept_the_citys_tenant_over_https_and_http_only_in_development(monkeypatch):
    tenant = "https://login.microsoftonline.com/0a1b2c3d-0000-4000-8000-000000000001/v2.0"
    loaded = settings_from_environment(monkeypatch, **PRODUCTION, OIDC_SERVER_URL=tenant)
    assert loaded["OIDC_SERVER_URL"] == tenant
    loaded = settings_from_environment(
        monkeypatch, DEBUG="1", OIDC_CLIENT_ID="portal", OIDC_SERVER_URL="http://127.0.0.1:9/"
    )
    assert loaded["SOCIALACCOUNT_PROVIDERS"]["openid_connect"]["APPS"][0]["settings"]["server_url"] == (  # type: ignore[index]
        "http://127.0.0.1:9/"
    )
