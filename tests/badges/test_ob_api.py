"""The Open Badges 3.0 API (badges/obapi/, docs/ob-api.md): discovery, dynamic client
registration, OAuth 2.0 authorization code with PKCE through the portal's consent page,
getCredentials with paging and ``since``, getProfile, revocation, disconnecting, HR's switch.

Every response body is validated against the schema 1EdTech's OpenAPI document names for its
path and status (offline excerpt in badges/obapi/openapi/, see SOURCES.md there). The whole
flow runs over real HTTP against ``live_server`` with ``requests``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import secrets
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone
from jsonschema import Draft4Validator, FormatChecker
from oauth2_provider.models import AccessToken, RefreshToken, set_token_value

import badges.obapi
from badges import services as badge_services
from badges.models import Award
from badges.obapi import protocol, services
from badges.obapi.models import ObApiConnection
from tests.badges.conftest import issue

pytestmark = pytest.mark.django_db

OAS = json.loads((Path(badges.obapi.__file__).parent / "openapi" / "ob_v3p0_openapi_excerpt.json").read_text())
CRED = protocol.SCOPE_CREDENTIALS
PROF = protocol.SCOPE_PROFILE
REDIRECT = "https://backpack.example/callback"


def oas_errors(path: str, method: str, status: int, body: Any) -> list[str]:
    """Every way ``body`` breaks the schema 1EdTech's OpenAPI document gives for this answer."""
    responses = OAS["paths"][path][method]["responses"]
    response = responses.get(str(status)) or responses["default"]
    schema = {"$ref": response["content"]["application/json"]["schema"]["$ref"], "components": OAS["components"]}
    validator = Draft4Validator(schema, format_checker=FormatChecker())
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def registered_client(scopes: tuple[str, ...] = (CRED, PROF), name: str = "大学バッジパック") -> Any:
    application, _secret = services.obapi_client_register(
        name=name,
        client_uri="https://backpack.example",
        redirect_uris=[REDIRECT],
        scopes=list(scopes),
        confidential=True,
    )
    return application


def bearer(user: Any, scopes: tuple[str, ...], application: Any = None, *, expires_in: int = 3600) -> tuple[str, Any]:
    """A token as the token endpoint makes it (stored hashed), and the connection consent makes."""
    application = application or registered_client()
    raw = secrets.token_urlsafe(30)
    token = AccessToken(
        user=user,
        application=application,
        expires=timezone.now() + dt.timedelta(seconds=expires_in),
        scope=" ".join(scopes),
    )
    set_token_value(token, raw)
    token.save()
    services.obapi_connection_record(holder=user, application=application, scopes=list(scopes))
    return raw, application


def api_get(client: Client, path: str, token: str | None, **params: Any) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.get(f"/ims/ob/v3p0{path}", params, **headers)


@pytest.fixture
def three_badges(alice, badge_class, signing_key, enqueued):  # type: ignore[no-untyped-def]
    awards = [issue(alice, badge_class, f"enrolment:{n}") for n in (701, 702, 703)]
    base = timezone.now() - dt.timedelta(days=30)
    for n, award in enumerate(awards):  # issued a day apart, oldest first
        Award.objects.filter(pk=award.pk).update(issued_at=base + dt.timedelta(days=n))
    return awards


# ------------------------------------------------------------------ pure parts


def test_an_error_body_is_an_imsx_status_info_with_a_code_minor_from_the_vocabulary() -> None:
    body = protocol.imsx_status("No.", code_minor="forbidden")
    assert oas_errors("/credentials", "get", 403, body) == []
    with pytest.raises(ValueError):
        protocol.imsx_status("No.", code_minor="nope")


def test_paging_reads_limit_offset_and_since_and_refuses_what_it_cannot_use() -> None:
    paging = protocol.parse_paging({"limit": "5", "offset": "10", "since": "2026-04-01T00:00:00"})
    assert (paging.limit, paging.offset) == (5, 10)
    assert paging.since == dt.datetime(2026, 4, 1, tzinfo=dt.UTC)  # no zone: UTC
    assert protocol.parse_paging({"since": "2026-04-01T09:00:00+09:00"}).since == dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    # "+09:00" sent unencoded in a query string arrives as " 09:00": still read as meant.
    assert protocol.parse_paging({"since": "2026-04-01T09:00:00 09:00"}).since == dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    assert protocol.parse_paging({"limit": "1000"}).limit == protocol.MAX_LIMIT
    assert protocol.parse_paging({}).limit == protocol.DEFAULT_LIMIT
    for bad in (
        {"limit": "0"},
        {"limit": "-1"},
        {"limit": "x"},
        {"offset": "-1"},
        {"since": "yesterday"},
        {"since": "2026-04-01"},
    ):
        with pytest.raises(protocol.BadQuery):
            protocol.parse_paging(bad)


def test_the_link_header_has_next_and_prev_only_where_there_is_such_a_page() -> None:
    url = "https://portal.example/ims/ob/v3p0/credentials"
    first = protocol.link_header(url, protocol.parse_paging({"limit": "2"}), total=5)
    assert f'<{url}?limit=2&offset=2>; rel="next"' in first
    assert f'<{url}?limit=2&offset=4>; rel="last"' in first
    assert f'<{url}?limit=2&offset=0>; rel="first"' in first
    assert 'rel="prev"' not in first
    last = protocol.link_header(
        url, protocol.parse_paging({"limit": "2", "offset": "4", "since": "2026-01-01T00:00:00Z"}), total=5
    )
    assert 'rel="next"' not in last
    assert f'<{url}?limit=2&offset=2&since=2026-01-01T00%3A00%3A00Z>; rel="prev"' in last


# ------------------------------------------------------------------ discovery


def test_the_discovery_document_names_the_oauth_endpoints_and_passes_the_openapi_schema(client, settings) -> None:
    settings.PORTAL_BASE_URL = "https://portal.example"
    response = client.get("/ims/ob/v3p0/discovery")
    assert response.status_code == 200
    document = response.json()
    assert oas_errors("/discovery", "get", 200, document) == []
    scheme = document["components"]["securitySchemes"]["OAuth2ACG"]
    assert scheme["x-imssf-registrationUrl"] == "https://portal.example/oauth/ob/register"
    flow = scheme["flows"]["authorizationCode"]
    assert flow["authorizationUrl"] == "https://portal.example/oauth/ob/authorize"
    assert flow["tokenUrl"] == "https://portal.example/oauth/ob/token"
    assert set(flow["scopes"]) == {CRED, PROF}  # read-only: no upsert, no profile.update
    assert document["servers"] == [{"url": "https://portal.example/ims/ob/v3p0"}]
    assert document["info"]["x-imssf-privacyPolicyUrl"].startswith("https://portal.example/public/open-badges-api/")


# ------------------------------------------------------------------ getCredentials


def test_get_credentials_returns_the_token_owners_issued_badges_as_stored_and_signed(
    client, alice, dave, badge_class, signing_key, enqueued, django_assert_max_num_queries
) -> None:
    mine = issue(alice, badge_class, "enrolment:801")
    revoked = issue(alice, badge_class, "enrolment:802")
    badge_services.award_revoke(award=revoked, reason="誤って発行", by=None)
    issue(dave, badge_class, "enrolment:803")
    token, _app = bearer(alice, (CRED,))
    # The switch, the token (with its user and application), the count, the page, the last-use note.
    with django_assert_max_num_queries(5):
        response = api_get(client, "/credentials", token)
    assert response.status_code == 200
    body = response.json()
    assert oas_errors("/credentials", "get", 200, body) == []
    assert [c["id"] for c in body["credential"]] == [mine.credential["id"]]  # not the revoked one, not dave's
    assert body["credential"][0]["proof"] == mine.credential["proof"]  # signed as stored
    assert response["X-Total-Count"] == "1"
    assert response["Cache-Control"] == "no-store"


def test_a_badge_only_the_holder_sees_is_returned_to_the_application_the_holder_allowed(
    client, alice, badge_class, signing_key, enqueued
) -> None:
    award = issue(alice, badge_class, "enrolment:811")
    assert award.visibility == Award.Visibility.PRIVATE
    token, _app = bearer(alice, (CRED,))
    assert [c["id"] for c in api_get(client, "/credentials", token).json()["credential"]] == [award.credential["id"]]


def test_get_credentials_pages_with_limit_offset_and_the_total_and_link_headers(client, alice, three_badges) -> None:
    token, _app = bearer(alice, (CRED,))
    first = api_get(client, "/credentials", token, limit=2)
    assert first["X-Total-Count"] == "3"
    assert [c["id"] for c in first.json()["credential"]] == [a.credential["id"] for a in three_badges[:2]]
    assert 'offset=2>; rel="next"' in first["Link"]
    second = api_get(client, "/credentials", token, limit=2, offset=2)
    assert [c["id"] for c in second.json()["credential"]] == [three_badges[2].credential["id"]]
    assert 'rel="next"' not in second["Link"] and 'offset=0>; rel="prev"' in second["Link"]
    beyond = api_get(client, "/credentials", token, limit=2, offset=10)
    assert beyond.status_code == 200 and beyond.json() == {"credential": []} and beyond["X-Total-Count"] == "3"


def test_since_returns_only_badges_issued_after_it(client, alice, three_badges) -> None:
    token, _app = bearer(alice, (CRED,))
    cut = Award.objects.get(pk=three_badges[1].pk).issued_at  # the second one's: not after itself
    response = api_get(client, "/credentials", token, since=cut.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    assert [c["id"] for c in response.json()["credential"]] == [three_badges[2].credential["id"]]
    assert response["X-Total-Count"] == "1"
    assert "since=" in response["Link"]


@pytest.mark.parametrize("params", [{"limit": "0"}, {"offset": "-3"}, {"limit": "many"}, {"since": "last week"}])
def test_a_paging_parameter_it_cannot_use_gets_an_imsx_400(client, alice, params) -> None:
    token, _app = bearer(alice, (CRED,))
    response = api_get(client, "/credentials", token, **params)
    assert response.status_code == 400
    body = response.json()
    assert oas_errors("/credentials", "get", 400, body) == []
    assert body["imsx_codeMinor"]["imsx_codeMinorField"][0]["imsx_codeMinorFieldValue"] == "invalid_query_parameter"


def test_without_a_valid_token_the_api_answers_401_with_a_bearer_challenge(client, alice) -> None:
    for token in (None, "not-a-token"):
        response = api_get(client, "/credentials", token)
        assert response.status_code == 401
        assert oas_errors("/credentials", "get", 401, response.json()) == []
        assert response["WWW-Authenticate"].startswith("Bearer")
    expired, _app = bearer(alice, (CRED,), expires_in=-5)
    assert api_get(client, "/credentials", expired).status_code == 401
    # Never from the query string (RFC 6750 §5.3; RFC 9700).
    good, _app = bearer(alice, (CRED,))
    assert client.get("/ims/ob/v3p0/credentials", {"access_token": good}).status_code == 401


def test_a_signed_in_session_is_not_a_token(client, alice) -> None:
    client.force_login(alice)
    assert api_get(client, "/credentials", None).status_code == 401


def test_a_token_for_the_profile_only_cannot_read_badges_and_the_other_way_round(client, alice) -> None:
    profile_only, _app = bearer(alice, (PROF,))
    response = api_get(client, "/credentials", profile_only)
    assert response.status_code == 403
    assert oas_errors("/credentials", "get", 403, response.json()) == []
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]
    badges_only, _app = bearer(alice, (CRED,))
    assert api_get(client, "/profile", badges_only).status_code == 403


def test_a_deactivated_holders_token_reads_nothing(client, alice, badge_class, signing_key, enqueued) -> None:
    issue(alice, badge_class, "enrolment:821")
    token, _app = bearer(alice, (CRED,))
    alice.is_active = False
    alice.save()
    assert api_get(client, "/credentials", token).status_code == 401


def test_upsert_credential_and_put_profile_are_not_offered(client, alice) -> None:
    token, _app = bearer(alice, (CRED, PROF))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    posted = client.post("/ims/ob/v3p0/credentials", data="{}", content_type="application/json", **auth)
    assert posted.status_code == 405 and posted["Allow"] == "GET"
    assert oas_errors("/credentials", "post", 405, posted.json()) == []
    assert "upsertCredential is not offered" in posted.json()["imsx_description"]
    put = client.put("/ims/ob/v3p0/profile", data="{}", content_type="application/json", **auth)
    assert put.status_code == 405 and put["Allow"] == "GET"
    assert oas_errors("/profile", "put", 405, put.json()) == []


# ------------------------------------------------------------------ getProfile


def test_get_profile_gives_the_name_and_email_with_an_id_of_its_own_per_application(client, alice) -> None:
    token, _app = bearer(alice, (PROF,))
    response = api_get(client, "/profile", token)
    assert response.status_code == 200
    body = response.json()
    assert oas_errors("/profile", "get", 200, body) == []
    assert body["name"] == "山田 花子" and body["email"] == "alice@city.test"
    assert body["type"] == ["Profile"]
    assert alice.employee_number not in json.dumps(body)
    other_token, _other = bearer(alice, (PROF,), registered_client(name="キャリア支援"))
    other_id = api_get(client, "/profile", other_token).json()["id"]
    assert other_id != body["id"] and api_get(client, "/profile", token).json()["id"] == body["id"]


def test_each_read_notes_the_last_use_at_most_once_a_minute(client, alice, django_assert_num_queries) -> None:
    token, app = bearer(alice, (PROF,))
    api_get(client, "/profile", token)
    connection = ObApiConnection.objects.get(holder=alice, application=app)
    first = connection.last_used_at
    assert first is not None
    api_get(client, "/profile", token)
    connection.refresh_from_db()
    assert connection.last_used_at == first


# ------------------------------------------------------------------ registration


def register(client: Client, **metadata: Any) -> Any:
    body = {
        "client_name": "大学バッジパック",
        "client_uri": "https://backpack.example",
        "redirect_uris": [REDIRECT],
        **metadata,
    }
    return client.post("/oauth/ob/register", data=json.dumps(body), content_type="application/json")


def test_a_client_registers_itself_and_gets_only_the_read_only_scopes(client, clear_cache) -> None:
    response = register(
        client,
        scope=" ".join([CRED, PROF, "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.upsert"]),
        grant_types=["authorization_code", "refresh_token"],
        token_endpoint_auth_method="client_secret_basic",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["client_id"] and body["client_secret"]
    assert body["scope"].split() == [CRED, PROF]  # upsert is not offered: left out, as RFC 7591 allows
    assert body["token_endpoint_auth_method"] == "client_secret_basic"
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("metadata", "error"),
    [
        ({"redirect_uris": ["http://backpack.example/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://backpack.example/cb#frag"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://*.example/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": [f"https://backpack.example/{n}" for n in range(6)]}, "invalid_redirect_uri"),
        ({"redirect_uris": []}, "invalid_redirect_uri"),
        ({"client_uri": ""}, "invalid_client_metadata"),
        ({"client_uri": "javascript:alert(1)"}, "invalid_client_metadata"),
        ({"client_name": "x" * 101}, "invalid_client_metadata"),
        ({"grant_types": ["client_credentials"]}, "invalid_client_metadata"),
        ({"response_types": ["token"]}, "invalid_client_metadata"),
        ({"token_endpoint_auth_method": "private_key_jwt"}, "invalid_client_metadata"),
        ({"scope": "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.upsert"}, "invalid_client_metadata"),
    ],
)
def test_registration_refuses_metadata_it_cannot_accept_and_creates_nothing(
    client, clear_cache, metadata, error
) -> None:
    from oauth2_provider.models import get_application_model

    response = register(client, **metadata)
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert response.json()["error_description"]
    assert not get_application_model().objects.exists()


def test_registration_takes_a_loopback_redirect_for_a_native_app_and_a_public_client(client, clear_cache) -> None:
    response = register(client, redirect_uris=["http://127.0.0.1:8765/cb"], token_endpoint_auth_method="none")
    assert response.status_code == 201
    assert "client_secret" not in response.json()


def test_in_production_only_https_redirects_are_registered(client, clear_cache, monkeypatch) -> None:
    from oauth2_provider.settings import oauth2_settings

    # settings.py allows https only when DEBUG is off.
    monkeypatch.setattr(oauth2_settings, "ALLOWED_REDIRECT_URI_SCHEMES", ["https"])
    response = register(client, redirect_uris=["http://127.0.0.1:8765/cb"])
    assert response.status_code == 400 and response.json()["error"] == "invalid_redirect_uri"
    assert register(client).status_code == 201


def test_registration_is_rate_limited_per_address(client, clear_cache, settings) -> None:
    settings.BADGE_VERIFY_RATE_LIMIT = 2
    assert [register(client).status_code for _ in range(3)] == [201, 201, 429]


def test_connecting_again_after_disconnecting_starts_a_new_connection(alice) -> None:
    _token, app = bearer(alice, (CRED,))
    first = ObApiConnection.objects.get(holder=alice)
    services.obapi_connection_disconnect(connection=first)
    again = services.obapi_connection_record(holder=alice, application=app, scopes=[PROF])
    assert again.pk == first.pk and again.disconnected_at is None
    assert again.scopes == [PROF] and again.connected_at > first.connected_at


def test_registration_refuses_a_body_that_is_not_json_or_too_big(client, clear_cache) -> None:
    assert (
        client.post(
            "/oauth/ob/register", data="client_name=x", content_type="application/x-www-form-urlencoded"
        ).status_code
        == 400
    )
    assert client.post("/oauth/ob/register", data="[1, 2", content_type="application/json").status_code == 400
    big = json.dumps({"client_name": "x", "padding": "y" * 20_000})
    assert client.post("/oauth/ob/register", data=big, content_type="application/json").status_code == 413


# ------------------------------------------------------------------ consent page


def authorize_url(client_id: str, challenge: str, *, scope: str = f"{CRED} {PROF}", method: str = "S256") -> str:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": "xyz",
        "code_challenge": challenge,
        "code_challenge_method": method,
    }
    return "/oauth/ob/authorize?" + urlencode(query)


def test_the_consent_page_says_who_asks_and_exactly_what_it_will_read(client, alice, three_badges) -> None:
    app = registered_client()
    client.force_login(alice)
    _verifier, challenge = pkce()
    response = client.get(authorize_url(app.client_id, challenge))
    assert response.status_code == 200
    html = response.content.decode()
    assert "大学バッジパック" in html and "https://backpack.example" in html
    # Japanese first (the default language): the scopes, the count and the warning.
    assert "発行済みのバッジ" in html and "氏名と職場のメールアドレス" in html
    assert "発行済みのバッジを 3 個持っています（うち 3 個は自分だけに表示する設定です）" in html
    assert "このアプリは市が審査したものではありません" in html
    # The answer redirects the form to the application: CSP form-action allows its origin here
    # (Chromium applies form-action to that redirect), and nowhere else.
    form_action = next(d for d in response["Content-Security-Policy"].split(";") if "form-action" in d)
    assert form_action.split() == ["form-action", "'self'", "https://backpack.example"]
    assert "backpack.example" not in client.get("/badges/connected-apps/")["Content-Security-Policy"]


def test_the_consent_page_needs_sign_in_first(client) -> None:
    app = registered_client()
    response = client.get(authorize_url(app.client_id, pkce()[1]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_without_pkce_s256_the_consent_page_refuses_before_anything_else(client, alice) -> None:
    app = registered_client()
    client.force_login(alice)
    verifier, _challenge = pkce()
    for url in (
        authorize_url(app.client_id, verifier, method="plain"),
        authorize_url(app.client_id, "", method="S256"),
    ):
        response = client.get(url)
        assert response.status_code == 400
        assert "PKCE" in response.content.decode()


def test_asking_for_a_scope_the_client_did_not_register_for_is_sent_back_as_invalid_scope(client, alice) -> None:
    app = registered_client(scopes=(CRED,))
    client.force_login(alice)
    response = client.get(authorize_url(app.client_id, pkce()[1], scope=f"{CRED} {PROF}"))
    assert response.status_code == 302
    assert parse_qs(urlsplit(response["Location"]).query)["error"] == ["invalid_scope"]
    upsert = "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.upsert"
    response = client.get(authorize_url(app.client_id, pkce()[1], scope=upsert))
    assert parse_qs(urlsplit(response["Location"]).query)["error"] == ["invalid_scope"]


def test_an_unknown_client_or_a_redirect_it_did_not_register_is_never_redirected_to(client, alice) -> None:
    app = registered_client()
    client.force_login(alice)
    unknown = client.get(authorize_url("no-such-client", pkce()[1]))
    assert unknown.status_code == 400
    other = client.get(
        authorize_url(app.client_id, pkce()[1]).replace("backpack.example%2Fcallback", "evil.example%2Fcb")
    )
    assert other.status_code == 400


def test_refusing_on_the_consent_page_connects_nothing(client, alice) -> None:
    app = registered_client()
    client.force_login(alice)
    page = client.get(authorize_url(app.client_id, pkce()[1]))
    form = hidden_fields(page.content.decode())
    response = client.post("/oauth/ob/authorize", form)  # no "allow"
    assert response.status_code == 302
    assert parse_qs(urlsplit(response["Location"]).query)["error"] == ["access_denied"]
    assert not ObApiConnection.objects.exists()


def hidden_fields(html: str) -> dict[str, str]:
    fields = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and 'type="hidden"' in tag:
            fields[unescape(name.group(1))] = unescape(value.group(1)) if value else ""
    return fields


# ------------------------------------------------------------------ the holder's page


def test_the_connected_apps_page_lists_the_holders_applications_only(client, alice, dave) -> None:
    bearer(alice, (CRED,))
    bearer(dave, (PROF,), registered_client(name="他人のアプリ"))
    client.force_login(alice)
    html = client.get("/badges/connected-apps/").content.decode()
    assert "大学バッジパック" in html and "他人のアプリ" not in html
    assert "発行済みのバッジ" in html


def test_disconnecting_asks_first_then_deletes_every_token_of_that_application(
    client, alice, badge_class, signing_key, enqueued
) -> None:
    issue(alice, badge_class, "enrolment:831")
    token, app = bearer(alice, (CRED,))
    RefreshToken.objects.create(
        user=alice, application=app, token=secrets.token_urlsafe(20), access_token=AccessToken.objects.get()
    )
    connection = ObApiConnection.objects.get(holder=alice)
    client.force_login(alice)
    question = client.get(f"/badges/connected-apps/{connection.public_id}/disconnect")
    assert question.status_code == 200 and "「大学バッジパック」の連携を解除しますか？" in question.content.decode()
    assert api_get(client, "/credentials", token).status_code == 200  # the question changes nothing
    done = client.post(f"/badges/connected-apps/{connection.public_id}/disconnect")
    assert done.status_code == 302
    assert api_get(client, "/credentials", token).status_code == 401
    assert not AccessToken.objects.filter(application=app).exists()
    assert not RefreshToken.objects.filter(application=app).exists()
    connection.refresh_from_db()
    assert connection.disconnected_at is not None
    page = client.get("/badges/connected-apps/").content.decode()
    assert "大学バッジパック の連携を解除しました" in page  # the message, and no card any more
    assert "<h2>大学バッジパック</h2>" not in page


def test_nobody_can_disconnect_another_persons_application(client, alice, dave) -> None:
    bearer(alice, (CRED,))
    connection = ObApiConnection.objects.get(holder=alice)
    client.force_login(dave)
    assert client.get(f"/badges/connected-apps/{connection.public_id}/disconnect").status_code == 404
    assert client.post(f"/badges/connected-apps/{connection.public_id}/disconnect").status_code == 404
    connection.refresh_from_db()
    assert connection.disconnected_at is None


# ------------------------------------------------------------------ HR's switch


def test_with_the_api_switched_off_nothing_answers_but_the_holder_can_still_disconnect(
    client, alice, carol, clear_cache
) -> None:
    token, app = bearer(alice, (CRED, PROF))
    services.obapi_switch_set(enabled=False, by=carol)
    for path in ("/discovery", "/credentials", "/profile"):
        response = api_get(client, path, token)
        assert response.status_code == 503, path
        assert oas_errors(path, "get", 503, response.json()) == []
        assert "switched off" in response.json()["imsx_description"]
    assert register(client).status_code == 503
    assert client.post("/oauth/ob/token", {"grant_type": "authorization_code", "code": "x"}).status_code == 503
    client.force_login(alice)
    consent = client.get(authorize_url(app.client_id, pkce()[1]))
    assert consent.status_code == 503 and "Open Badges API は停止中です" in consent.content.decode()
    page = client.get("/badges/connected-apps/").content.decode()
    assert "人事課が Open Badges API を停止しています" in page and "大学バッジパック" in page
    services.obapi_switch_set(enabled=True, by=carol)
    assert api_get(client, "/credentials", token).status_code == 200  # back on: the connection resumes


def test_hr_switches_the_api_in_the_admin(client, carol) -> None:
    from badges.obapi.models import ObApiSwitch

    client.force_login(carol)
    session = client.session
    session["mfa_authenticated"] = True  # carol has TOTP set up: as after her second step
    session.save()
    response = client.post("/admin/badges/obapiswitch/add/", {"enabled": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    switch = ObApiSwitch.objects.get()
    assert switch.enabled is False and switch.changed_by == carol


# ------------------------------------------------------------------ the whole flow over HTTP


def http_session_for(user: Any) -> requests.Session:
    """A browser-like session signed in as ``user`` (the portal's own session cookie)."""
    django_client = Client()
    django_client.force_login(user)
    session = requests.Session()
    name = django_settings.SESSION_COOKIE_NAME
    session.cookies.set(name, django_client.cookies[name].value)
    return session


def consent(session: requests.Session, base: str, client_id: str, challenge: str, scope: str) -> str:
    """Open the consent page, allow, and return the authorization code from the redirect."""
    page = session.get(base + authorize_url(client_id, challenge, scope=scope), allow_redirects=False)
    assert page.status_code == 200, page.text[:500]
    form = hidden_fields(page.text)
    form["allow"] = "on"
    answer = session.post(
        base + "/oauth/ob/authorize",
        data=form,
        headers={"Referer": base + "/oauth/ob/authorize", "X-CSRFToken": session.cookies.get("csrftoken", "")},
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text[:500]
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["xyz"]
    return query["code"][0]


def exchange(base: str, client_id: str, secret: str, code: str, verifier: str) -> requests.Response:
    return requests.post(
        base + "/oauth/ob/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier},
        auth=(client_id, secret),
        timeout=10,
    )


@pytest.mark.django_db(transaction=True)
def test_the_whole_flow_over_http_register_consent_exchange_read_refresh_revoke(
    live_server, settings, alice, dave, badge_class, signing_key, enqueued, clear_cache
) -> None:
    settings.PORTAL_BASE_URL = base = live_server.url
    mine = [issue(alice, badge_class, f"enrolment:{n}") for n in (901, 902, 903)]
    issue(dave, badge_class, "enrolment:904")
    revoked = issue(alice, badge_class, "enrolment:905")
    badge_services.award_revoke(award=revoked, reason="誤って発行", by=None)

    # Discovery, then dynamic registration at the URL it names.
    discovery = requests.get(base + "/ims/ob/v3p0/discovery", timeout=10).json()
    scheme = discovery["components"]["securitySchemes"]["OAuth2ACG"]
    registration = requests.post(
        scheme["x-imssf-registrationUrl"],
        json={
            "client_name": "大学バッジパック",
            "client_uri": "https://backpack.example",
            "redirect_uris": [REDIRECT],
            "scope": f"{CRED} {PROF}",
        },
        timeout=10,
    )
    assert registration.status_code == 201
    client_id, secret = registration.json()["client_id"], registration.json()["client_secret"]

    # Alice, signed in, allows it on the consent page; the code comes back to the client.
    browser = http_session_for(alice)
    verifier, challenge = pkce()
    code = consent(browser, base, client_id, challenge, f"{CRED} {PROF}")

    # A wrong verifier gets nothing (and a fresh code is needed after that).
    wrong = exchange(base, client_id, secret, code, pkce()[0])
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    verifier, challenge = pkce()
    code = consent(browser, base, client_id, challenge, f"{CRED} {PROF}")
    tokens = exchange(base, client_id, secret, code, verifier)
    assert tokens.status_code == 200, tokens.text
    access, refresh = tokens.json()["access_token"], tokens.json()["refresh_token"]
    assert set(tokens.json()["scope"].split()) == {CRED, PROF}
    # The code works once.
    reused = exchange(base, client_id, secret, code, verifier)
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"

    # getCredentials, two pages, following the Link header; only alice's issued badges.
    auth = {"Authorization": f"Bearer {access}"}
    page1 = requests.get(base + "/ims/ob/v3p0/credentials?limit=2", headers=auth, timeout=10)
    assert page1.status_code == 200 and page1.headers["X-Total-Count"] == "3"
    assert oas_errors("/credentials", "get", 200, page1.json()) == []
    next_url = re.search(r'<([^>]+)>; rel="next"', page1.headers["Link"]).group(1)
    page2 = requests.get(next_url, headers=auth, timeout=10)
    got = [c["id"] for c in page1.json()["credential"] + page2.json()["credential"]]
    assert sorted(got) == sorted(a.credential["id"] for a in mine)
    assert 'rel="next"' not in page2.headers["Link"]
    # since: only what was issued after the second one.
    Award.objects.filter(pk__in=[mine[0].pk, mine[1].pk]).update(issued_at=timezone.now() - dt.timedelta(days=1))
    Award.objects.filter(pk=mine[2].pk).update(issued_at=timezone.now() + dt.timedelta(minutes=5))
    since = requests.get(
        base + "/ims/ob/v3p0/credentials",
        params={"since": timezone.now().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")},
        headers=auth,
        timeout=10,
    )
    assert [c["id"] for c in since.json()["credential"]] == [mine[2].credential["id"]]

    # getProfile.
    profile = requests.get(base + "/ims/ob/v3p0/profile", headers=auth, timeout=10)
    assert profile.status_code == 200 and profile.json()["email"] == "alice@city.test"
    assert oas_errors("/profile", "get", 200, profile.json()) == []

    # Dave's token reads dave's badge only.
    dave_browser = http_session_for(dave)
    verifier, challenge = pkce()
    dave_code = consent(dave_browser, base, client_id, challenge, CRED)
    dave_access = exchange(base, client_id, secret, dave_code, verifier).json()["access_token"]
    dave_reads = requests.get(
        base + "/ims/ob/v3p0/credentials", headers={"Authorization": f"Bearer {dave_access}"}, timeout=10
    )
    assert dave_reads.headers["X-Total-Count"] == "1"
    assert dave_reads.json()["credential"][0]["id"] not in got

    # Refresh, then the client revokes its token (RFC 7009): it reads nothing any more.
    refreshed = requests.post(
        base + "/oauth/ob/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh},
        auth=(client_id, secret),
        timeout=10,
    )
    assert refreshed.status_code == 200
    new_access = refreshed.json()["access_token"]
    assert (
        requests.get(
            base + "/ims/ob/v3p0/credentials", headers={"Authorization": f"Bearer {new_access}"}, timeout=10
        ).status_code
        == 200
    )
    revoked_answer = requests.post(
        base + "/oauth/ob/revoke", data={"token": new_access}, auth=(client_id, secret), timeout=10
    )
    assert revoked_answer.status_code == 200
    after = requests.get(
        base + "/ims/ob/v3p0/credentials", headers={"Authorization": f"Bearer {new_access}"}, timeout=10
    )
    assert after.status_code == 401
    assert oas_errors("/credentials", "get", 401, after.json()) == []

    # Alice's page lists the application; she disconnects it and its refresh token dies too.
    connected = browser.get(base + "/badges/connected-apps/", timeout=10)
    assert "大学バッジパック" in connected.text
    connection = ObApiConnection.objects.get(holder=alice)
    assert connection.last_used_at is not None
    browser.get(base + f"/badges/connected-apps/{connection.public_id}/disconnect", timeout=10)
    gone = browser.post(
        base + f"/badges/connected-apps/{connection.public_id}/disconnect",
        data={"csrfmiddlewaretoken": browser.cookies.get("csrftoken", "")},
        headers={"Referer": base + "/badges/connected-apps/"},
        allow_redirects=False,
        timeout=10,
    )
    assert gone.status_code == 302
    dead = requests.post(
        base + "/oauth/ob/token",
        data={"grant_type": "refresh_token", "refresh_token": refreshed.json()["refresh_token"]},
        auth=(client_id, secret),
        timeout=10,
    )
    assert dead.status_code == 400 and dead.json()["error"] == "invalid_grant"


def test_the_daily_clean_up_deletes_expired_tokens_and_keeps_live_ones(alice, settings) -> None:
    from badges.tasks import obapi_tokens_clear_task

    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "CLEAR_EXPIRED_TOKENS_BATCH_INTERVAL": 0}
    live, app = bearer(alice, (CRED,))
    bearer(alice, (CRED,), app, expires_in=-60)
    assert AccessToken.objects.filter(application=app).count() == 2

    obapi_tokens_clear_task.apply().get()  # the task as the beat entry runs it, in this process

    (kept,) = AccessToken.objects.filter(application=app)
    assert kept.expires > timezone.now()
    # the live token still reads badges
    assert api_get(Client(), "/credentials", live).status_code == 200
    assert "ob-api-tokens-clear" in django_settings.CELERY_BEAT_SCHEDULE
