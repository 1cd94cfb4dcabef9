"""Add to wallet (OpenID4VCI 1.0, pre-authorized code flow): the offer on the badge page, the
protocol's endpoints, and every error answer, through the Django test client.

The wallet here is Python (PyJWT signs its key proofs); tests/badges/test_wallet_interop.py
runs an independent npm client against a live server.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import threading
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.db import close_old_connections, connection
from django.utils import timezone

from badges import oid4vci, services, wallet
from badges.core import baking, credentials, qr, signing
from badges.models import Award, WalletOffer
from tests.badges.conftest import baked_bytes, issue

pytestmark = pytest.mark.django_db

TOKEN_URL = "/public/oid4vci/token"
NONCE_URL = "/public/oid4vci/nonce"
CREDENTIAL_URL = "/public/oid4vci/credential"


# ------------------------------------------------------------------ a wallet in Python


class Holder:
    """A wallet's key: Ed25519 named by did:key (default) or did:jwk, or P-256 sent as a jwk."""

    def __init__(self, kind: str = "did:key") -> None:
        self.kind = kind
        if kind == "p256-jwk":
            self.private: Any = ec.generate_private_key(ec.SECP256R1())
            numbers = self.private.public_key().public_numbers()
            self.jwk = {
                "kty": "EC",
                "crv": "P-256",
                "x": signing.b64url_encode(numbers.x.to_bytes(32, "big")),
                "y": signing.b64url_encode(numbers.y.to_bytes(32, "big")),
            }
            self.alg = "ES256"
            self.did = oid4vci.did_jwk_for(self.jwk)
            self.header: dict[str, Any] = {"jwk": self.jwk}
            return
        self.private = signing.generate_private_key()
        self.alg = "EdDSA"
        if kind == "did:key":
            self.did = signing.did_key_for(self.private.public_key())
            self.header = {"kid": signing.did_key_verification_method(self.private.public_key())}
        else:
            jwk = signing.public_key_to_jwk(self.private.public_key(), with_kid=False)
            self.did = "did:jwk:" + signing.b64url_encode(json.dumps(jwk).encode())
            self.header = {"kid": self.did + "#0"}

    def proof(self, nonce: Any, *, aud: str | None = None, iat: float | None = None, **header: Any) -> str:
        from django.conf import settings

        payload: dict[str, Any] = {
            "aud": aud or settings.PORTAL_BASE_URL,
            "iat": int(iat if iat is not None else timezone.now().timestamp()),
        }
        if nonce is not None:
            payload["nonce"] = nonce
        # A None removes a header member (e.g. kid=None: no key named at all).
        headers = {k: v for k, v in {"typ": oid4vci.PROOF_TYP, **self.header, **header}.items() if v is not None}
        return jwt.encode(payload, self.private, algorithm=self.alg, headers=headers)


def offer_code(uri: str) -> str:
    assert uri.startswith("openid-credential-offer://?credential_offer=")
    document = json.loads(unquote(parse_qs(urlsplit(uri).query)["credential_offer"][0]))
    return document["grants"][oid4vci.PRE_AUTHORIZED_GRANT]["pre-authorized_code"]


def make_offer(award: Award, holder: Any, **kwargs: Any) -> tuple[str, str, WalletOffer]:
    new = wallet.wallet_offer_create(award=award, holder=holder, **kwargs)
    return offer_code(new.uri), new.tx_code, new.offer


def post_token(client, code: str, tx_code: str | None) -> Any:  # type: ignore[no-untyped-def]
    data = {"grant_type": oid4vci.PRE_AUTHORIZED_GRANT, "pre-authorized_code": code}
    if tx_code is not None:
        data["tx_code"] = tx_code
    return post_form(client, data)


def post_form(client, data: dict[str, str]) -> Any:  # type: ignore[no-untyped-def]
    return client.post(TOKEN_URL, urlencode(data), content_type="application/x-www-form-urlencoded")


def get_token(client, award: Award, holder: Any) -> str:  # type: ignore[no-untyped-def]
    code, tx_code, _offer = make_offer(award, holder)
    response = post_token(client, code, tx_code)
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def get_nonce(client) -> str:  # type: ignore[no-untyped-def]
    response = client.post(NONCE_URL)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    return response.json()["c_nonce"]


def post_credential(client, token: str | None, body: Any) -> Any:  # type: ignore[no-untyped-def]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post(CREDENTIAL_URL, json.dumps(body), content_type="application/json", **headers)


def request_body(proof: str) -> dict[str, Any]:
    return {"credential_configuration_id": oid4vci.CREDENTIAL_CONFIGURATION_ID, "proofs": {"jwt": [proof]}}


def error_of(response: Any) -> str:
    return response.json()["error"]


@pytest.fixture(autouse=True)
def _fresh_cache(clear_cache):  # type: ignore[no-untyped-def]
    """Nonces are spent in the cache."""


# ------------------------------------------------------------------ metadata


def test_the_metadata_describes_one_ldp_vc_open_badge_held_by_a_did_key_or_did_jwk(client, settings):
    settings.PORTAL_BASE_URL = "https://portal.city.test"
    response = client.get("/.well-known/openid-credential-issuer")
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
    metadata = response.json()
    assert metadata["credential_issuer"] == "https://portal.city.test"
    assert metadata["credential_endpoint"] == "https://portal.city.test/public/oid4vci/credential"
    assert metadata["nonce_endpoint"] == "https://portal.city.test/public/oid4vci/nonce"
    assert {d["locale"] for d in metadata["display"]} == {"ja", "en"}
    (config_id, config), *others = metadata["credential_configurations_supported"].items()
    assert not others and config_id == oid4vci.CREDENTIAL_CONFIGURATION_ID
    assert config["format"] == "ldp_vc"
    assert config["credential_definition"]["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert config["credential_definition"]["@context"][:2] == [credentials.VC2_CONTEXT, credentials.OB3_CONTEXT]
    assert config["cryptographic_binding_methods_supported"] == ["did:key", "did:jwk"]
    assert config["proof_types_supported"] == {"jwt": {"proof_signing_alg_values_supported": ["EdDSA", "ES256"]}}
    assert {d["locale"] for d in config["credential_metadata"]["display"]} == {"ja", "en"}

    server = client.get("/.well-known/oauth-authorization-server").json()
    assert server["issuer"] == "https://portal.city.test"
    assert server["token_endpoint"] == "https://portal.city.test/public/oid4vci/token"
    assert server["pre-authorized_grant_anonymous_access_supported"] is True


# ------------------------------------------------------------------ the offer on the badge page


def test_the_holder_gets_a_qr_code_a_same_device_link_and_a_transaction_code_shown_once(client, alice, award):
    client.force_login(alice)
    page = client.get(f"/badges/{award.public_id}/").content.decode()
    assert f'action="/badges/{award.public_id}/wallet-offer"' in page

    response = client.post(f"/badges/{award.public_id}/wallet-offer")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    html = response.content.decode()
    link = re.search(r'href="(openid-credential-offer://\?credential_offer=[^"]+)"', html)
    assert link, "no same-device link"
    uri = link.group(1).replace("&amp;", "&")
    assert 'src="data:image/svg+xml;base64,' in html  # the QR code, inline
    tx_code = re.search(r'class="wallet-offer__code">(\d{6})<', html).group(1)  # type: ignore[union-attr]
    offer = WalletOffer.objects.get(award=award)
    assert offer.holder == alice
    assert offer.expires_at == offer.created_at + wallet.OFFER_LIFETIME
    # Only hashes are kept: neither the code nor the transaction code is in the row.
    code = offer_code(uri)
    stored = json.dumps([getattr(offer, f.attname) for f in WalletOffer._meta.fields], default=str)
    assert code not in stored and tx_code not in stored
    assert offer.code_hash == oid4vci.code_hash(code)
    # The QR code says the same as the link.
    qr_svg = base64.b64decode(re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', html).group(1))  # type: ignore[union-attr]
    assert qr.svg_modules(qr_svg) == qr.qr_matrix(uri)
    # And the page after it no longer shows the codes.
    again = client.get(f"/badges/{award.public_id}/").content.decode()
    assert tx_code not in again and code not in again


def test_the_button_says_add_to_wallet_in_japanese(client, alice, award):
    """「ウォレットに追加」, the issue's wording (passes once docs/_pending_translations/wallet.po
    is merged into locale/ja)."""
    client.force_login(alice)
    page = client.get(f"/badges/{award.public_id}/").content.decode()
    assert re.search(r'<button type="submit">ウォレットに追加</button>', page)


def test_nothing_on_the_page_blocks_the_custom_scheme_link(client, alice, award):
    """The offer is a plain link (no form, no script): CSP form-action does not apply to it and
    the policy has no navigation directive."""
    client.force_login(alice)
    response = client.post(f"/badges/{award.public_id}/wallet-offer")
    policy = response["Content-Security-Policy"]
    assert "navigate-to" not in policy and "img-src 'self' data:" in policy
    assert re.search(r'<a class="button" href="openid-credential-offer://', response.content.decode())


def test_another_persons_badge_gets_no_offer(client, dave, award):
    client.force_login(dave)
    assert client.post(f"/badges/{award.public_id}/wallet-offer").status_code == 404
    assert not WalletOffer.objects.exists()
    with pytest.raises(PermissionError):
        wallet.wallet_offer_create(award=award, holder=dave)


def test_a_revoked_badge_gets_no_offer_and_no_button(client, alice, award):
    services.award_revoke(award=award, reason="誤発行")
    client.force_login(alice)
    assert "wallet-offer" not in client.get(f"/badges/{award.public_id}/").content.decode()
    response = client.post(f"/badges/{award.public_id}/wallet-offer")
    assert response.status_code == 302
    assert not WalletOffer.objects.exists()


def test_an_expired_badge_gets_no_offer(alice, award):
    Award.objects.filter(pk=award.pk).update(expires_at=timezone.now() - dt.timedelta(days=1))
    award.refresh_from_db()
    with pytest.raises(wallet.OfferRefused) as refused:
        wallet.wallet_offer_create(award=award, holder=alice)
    assert refused.value.code == "expired"


def test_a_new_offer_withdraws_the_open_one(client, alice, award):
    old_code, old_tx, _ = make_offer(award, alice)
    make_offer(award, alice)
    response = post_token(client, old_code, old_tx)
    assert response.status_code == 400 and error_of(response) == "invalid_grant"


# ------------------------------------------------------------------ the whole flow


@pytest.mark.parametrize("kind", ["did:key", "did:jwk", "p256-jwk"])
def test_the_wallet_gets_a_copy_bound_to_its_did_with_the_awards_achievement_and_status_entry(
    client, alice, award, kind
):
    png_before = baked_bytes(award)
    holder = Holder(kind)
    token = get_token(client, award, alice)
    response = post_credential(client, token, request_body(holder.proof(get_nonce(client))))
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    (entry,) = response.json()["credentials"]
    copy = entry["credential"]

    baked = award.credential
    assert copy["credentialSubject"]["id"] == holder.did
    assert copy["credentialSubject"]["achievement"] == baked["credentialSubject"]["achievement"]
    assert copy["credentialStatus"] == baked["credentialStatus"]  # one revocation bit for both
    assert copy["issuer"] == baked["issuer"]
    assert (copy["validFrom"], copy.get("validUntil")) == (baked["validFrom"], baked.get("validUntil"))
    assert copy["id"].startswith("urn:uuid:") and copy["id"] != baked["id"]
    (proof,) = copy["proof"]
    assert proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert credentials.verify_credential(copy).valid
    # The award, its PNG and the credential inside it are untouched.
    award.refresh_from_db()
    assert award.credential == baked and baked_bytes(award) == png_before
    assert json.loads(baking.read_baked(png_before)[baking.KEYWORD_OB3]) == baked
    offer = WalletOffer.objects.get(award=award)
    assert (offer.credential_id, offer.wallet_did) == (copy["id"], holder.did)
    assert offer.issued_at is not None


def test_revoking_the_award_revokes_the_wallet_copy_through_the_shared_status_entry(client, alice, award):
    holder = Holder()
    token = get_token(client, award, alice)
    copy = post_credential(client, token, request_body(holder.proof(get_nonce(client)))).json()["credentials"][0]
    status = copy["credential"]["credentialStatus"]

    def bit() -> bool:
        path = urlsplit(status["statusListCredential"]).path
        listed = client.get(path, HTTP_ACCEPT="application/json").json()
        bits = credentials.decode_status_list(listed["credentialSubject"]["encodedList"])
        return credentials.get_status_bit(bits, int(status["statusListIndex"]))

    assert bit() is False
    services.award_revoke(award=award, reason="誤発行")
    assert bit() is True


# ------------------------------------------------------------------ the token endpoint's errors


def test_a_wrong_pre_authorized_code_gets_invalid_grant(client, alice, award):
    _code, tx_code, _ = make_offer(award, alice)
    response = post_token(client, oid4vci.new_secret(), tx_code)
    assert response.status_code == 400 and error_of(response) == "invalid_grant"
    assert response["Cache-Control"] == "no-store"


def test_a_used_code_gets_invalid_grant_the_second_time(client, alice, award):
    code, tx_code, _ = make_offer(award, alice)
    assert post_token(client, code, tx_code).status_code == 200
    response = post_token(client, code, tx_code)
    assert response.status_code == 400 and error_of(response) == "invalid_grant"


def test_wrong_transaction_codes_are_counted_and_the_fifth_kills_the_offer(client, alice, award):
    code, tx_code, offer = make_offer(award, alice)
    wrong = f"{(int(tx_code) + 1) % 10**6:06d}"
    for tries in range(1, wallet.TX_CODE_MAX_FAILURES + 1):
        response = post_token(client, code, wrong)
        assert response.status_code == 400 and error_of(response) == "invalid_grant"
        offer.refresh_from_db()
        assert offer.tx_code_failures == tries
    # Now even the right code gets nothing.
    response = post_token(client, code, tx_code)
    assert response.status_code == 400 and error_of(response) == "invalid_grant"
    offer.refresh_from_db()
    assert offer.redeemed_at is None and offer.token_hash is None


def test_a_right_transaction_code_after_a_few_wrong_ones_still_works(client, alice, award):
    code, tx_code, _ = make_offer(award, alice)
    for _ in range(wallet.TX_CODE_MAX_FAILURES - 1):
        post_token(client, code, "000000" if tx_code != "000000" else "111111")
    assert post_token(client, code, tx_code).status_code == 200


def test_a_missing_transaction_code_gets_invalid_request_and_another_grant_type_is_unsupported(client, alice, award):
    code, _tx_code, _ = make_offer(award, alice)
    response = post_token(client, code, None)
    assert response.status_code == 400 and error_of(response) == "invalid_request"
    response = post_form(client, {"grant_type": "authorization_code", "code": code})
    assert response.status_code == 400 and error_of(response) == "unsupported_grant_type"
    # A multipart form is not what RFC 6749 sends.
    response = client.post(TOKEN_URL, {"grant_type": oid4vci.PRE_AUTHORIZED_GRANT, "pre-authorized_code": code})
    assert response.status_code == 400 and error_of(response) == "invalid_request"


def test_an_expired_offer_gets_invalid_grant(client, alice, award):
    code, tx_code, _ = make_offer(award, alice, now=timezone.now() - wallet.OFFER_LIFETIME - dt.timedelta(seconds=1))
    response = post_token(client, code, tx_code)
    assert response.status_code == 400 and error_of(response) == "invalid_grant"


def test_a_badge_revoked_after_the_offer_gets_invalid_grant(client, alice, award):
    code, tx_code, _ = make_offer(award, alice)
    services.award_revoke(award=award, reason="誤発行")
    response = post_token(client, code, tx_code)
    assert response.status_code == 400 and error_of(response) == "invalid_grant"


# ------------------------------------------------------------------ the credential endpoint's errors


def test_no_token_or_a_wrong_one_gets_invalid_token_with_a_bearer_challenge(client, alice, award):
    holder = Holder()
    for token in (None, oid4vci.new_secret()):
        response = post_credential(client, token, request_body(holder.proof(get_nonce(client))))
        assert response.status_code == 401 and error_of(response) == "invalid_token"
        assert response["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    assert not WalletOffer.objects.filter(issued_at__isnull=False).exists()


def test_an_expired_token_gets_invalid_token(client, alice, award):
    token = get_token(client, award, alice)
    WalletOffer.objects.update(token_expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = post_credential(client, token, request_body(Holder().proof(get_nonce(client))))
    assert response.status_code == 401 and error_of(response) == "invalid_token"


def test_a_token_gets_one_credential_only(client, alice, award):
    holder = Holder()
    token = get_token(client, award, alice)
    assert post_credential(client, token, request_body(holder.proof(get_nonce(client)))).status_code == 200
    response = post_credential(client, token, request_body(holder.proof(get_nonce(client))))
    assert response.status_code == 401 and error_of(response) == "invalid_token"


def test_a_stale_nonce_gets_invalid_nonce_and_a_fresh_one_then_works(client, alice, award):
    holder = Holder()
    token = get_token(client, award, alice)
    stale = wallet.nonce_new(now=timezone.now() - dt.timedelta(seconds=wallet.NONCE_LIFETIME_SECONDS + 1))
    response = post_credential(client, token, request_body(holder.proof(stale)))
    assert response.status_code == 400 and error_of(response) == "invalid_nonce"
    assert not WalletOffer.objects.filter(issued_at__isnull=False).exists()
    # The token is still good: the wallet asks for a fresh nonce and tries again (section 8.3.1.2).
    assert post_credential(client, token, request_body(holder.proof(get_nonce(client)))).status_code == 200


@pytest.mark.parametrize("nonce", [None, "not-a-nonce", "forged"])
def test_a_missing_or_forged_nonce_is_refused(client, alice, award, nonce):
    token = get_token(client, award, alice)
    if nonce == "forged":
        real = signing.b64url_decode(get_nonce(client))
        nonce = signing.b64url_encode(real[:-1] + bytes([real[-1] ^ 1]))
    response = post_credential(client, token, request_body(Holder().proof(nonce)))
    assert response.status_code == 400
    assert error_of(response) == ("invalid_proof" if nonce is None else "invalid_nonce")


def test_a_nonce_works_once(client, alice, award, badge_class):
    nonce = get_nonce(client)
    holder = Holder()
    first = post_credential(client, get_token(client, award, alice), request_body(holder.proof(nonce)))
    assert first.status_code == 200
    other = issue(alice, badge_class, "enrolment:502")
    second = post_credential(client, get_token(client, other, alice), request_body(holder.proof(nonce)))
    assert second.status_code == 400 and error_of(second) == "invalid_nonce"


def test_a_proof_signed_by_another_key_than_its_kid_gets_invalid_proof(client, alice, award):
    holder, impostor = Holder(), Holder()
    token = get_token(client, award, alice)
    # The impostor's signature under the holder's kid.
    proof = impostor.proof(get_nonce(client), kid=holder.header["kid"])
    response = post_credential(client, token, request_body(proof))
    assert response.status_code == 400 and error_of(response) == "invalid_proof"
    assert "not signed by the key it names" in response.json()["error_description"]
    assert not WalletOffer.objects.filter(issued_at__isnull=False).exists()


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"aud": "https://elsewhere.test"}, "aud is not this credential issuer"),
        ({"iat": 0}, "iat is not recent"),  # 1970
        ({"iat_offset": -oid4vci.PROOF_MAX_AGE_SECONDS - 5}, "iat is not recent"),
        ({"iat_offset": oid4vci.PROOF_MAX_SKEW_SECONDS + 5}, "iat is not recent"),
        ({"typ": "JWT"}, "typ must be openid4vci-proof+jwt"),
        ({"kid": "https://wallet.example/keys/1"}, "kid must be a did:key or did:jwk"),
        ({"kid": None}, "exactly one of kid and jwk"),
        ({"jwk_too": True}, "exactly one of kid and jwk"),
        ({"private_jwk": True}, "private key material"),
        ({"did_jwk_fragment": "#1"}, "a did:jwk key is named #0"),
    ],
    ids=lambda value: ",".join(value) if isinstance(value, dict) else "",
)
def test_a_bad_key_proof_gets_invalid_proof(client, alice, award, change, why):
    holder = Holder()
    token = get_token(client, award, alice)
    nonce = get_nonce(client)
    now = timezone.now().timestamp()
    header: dict[str, Any] = {}
    if "typ" in change:
        header["typ"] = change["typ"]
    if "kid" in change:
        header["kid"] = change["kid"]
    if change.get("jwk_too"):
        header["jwk"] = signing.public_key_to_jwk(holder.private.public_key(), with_kid=False)
    if change.get("private_jwk"):
        header = {"kid": None, "jwk": {**signing.public_key_to_jwk(holder.private.public_key()), "d": "AAAA"}}
    if "did_jwk_fragment" in change:
        did_jwk = Holder("did:jwk")
        holder = did_jwk
        header["kid"] = did_jwk.did + change["did_jwk_fragment"]
    iat = change.get("iat", now + change.get("iat_offset", 0))
    proof = holder.proof(nonce, aud=change.get("aud"), iat=iat, **header)
    response = post_credential(client, token, request_body(proof))
    assert response.status_code == 400 and error_of(response) == "invalid_proof", response.json()
    assert why in response.json()["error_description"]


def test_an_hmac_proof_made_with_the_public_key_as_secret_is_refused():
    """Algorithm confusion: the algorithm follows from the key, never from the header."""
    holder = Holder()
    public = signing.raw_public_bytes(holder.private.public_key())
    token = jwt.encode(
        {"aud": "https://portal.test", "iat": int(timezone.now().timestamp()), "nonce": "n"},
        public,
        algorithm="HS256",
        headers={"typ": oid4vci.PROOF_TYP, **holder.header},
    )
    with pytest.raises(oid4vci.ProtocolError) as error:
        oid4vci.verify_proof_jwt(token, audience="https://portal.test", now=timezone.now())
    assert error.value.code == "invalid_proof"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"proofs": {"jwt": ["x"]}}, "invalid_credential_request"),
        (
            {"credential_configuration_id": "UniversityDegree", "proofs": {"jwt": ["x"]}},
            "unknown_credential_configuration",
        ),
        ({"credential_identifier": "x", "proofs": {"jwt": ["x"]}}, "unknown_credential_identifier"),
        ({"credential_configuration_id": oid4vci.CREDENTIAL_CONFIGURATION_ID}, "invalid_proof"),
        (
            {
                "credential_configuration_id": oid4vci.CREDENTIAL_CONFIGURATION_ID,
                "proof": {"proof_type": "jwt", "jwt": "x"},
            },
            "invalid_proof",
        ),
        (
            {"credential_configuration_id": oid4vci.CREDENTIAL_CONFIGURATION_ID, "proofs": {"jwt": ["a", "b"]}},
            "invalid_proof",
        ),
        ([], "invalid_credential_request"),
    ],
)
def test_a_malformed_credential_request_gets_the_specs_error(client, alice, award, body, code):
    token = get_token(client, award, alice)
    response = post_credential(client, token, body)
    assert response.status_code == 400 and error_of(response) == code


def test_a_badge_revoked_after_the_token_is_denied(client, alice, award):
    token = get_token(client, award, alice)
    services.award_revoke(award=award, reason="誤発行")
    response = post_credential(client, token, request_body(Holder().proof(get_nonce(client))))
    assert response.status_code == 400 and error_of(response) == "credential_request_denied"
    assert not WalletOffer.objects.filter(issued_at__isnull=False).exists()


# ------------------------------------------------------------------ at the same moment (PostgreSQL)


def _at_once(work: list[Any]) -> list[Any]:
    barrier = threading.Barrier(len(work))
    results: list[Any] = [None] * len(work)

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = work[i]()
        except BaseException as exc:  # collected and asserted by the caller
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    close_old_connections()
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_code_redeemed_many_times_at_once_gets_one_token_and_a_token_one_credential(
    alice, badge_class, signing_key, enqueued
):
    award = issue(alice, badge_class, "enrolment:601")
    code, tx_code, offer = make_offer(award, alice)

    def redeem() -> Any:
        return wallet.wallet_token_redeem(
            grant_type=oid4vci.PRE_AUTHORIZED_GRANT, pre_authorized_code=code, tx_code=tx_code
        )

    results = _at_once([redeem] * 8)
    grants = [r for r in results if isinstance(r, wallet.TokenGrant)]
    refused = [r for r in results if isinstance(r, oid4vci.ProtocolError)]
    assert len(grants) == 1 and len(refused) == 7, results
    assert {r.code for r in refused} == {"invalid_grant"}

    holder = Holder()
    nonces = [wallet.nonce_new() for _ in range(6)]
    results = _at_once(
        [
            (
                lambda n=n: wallet.wallet_credential_issue(
                    access_token=grants[0].access_token, request=request_body(holder.proof(n))
                )
            )
            for n in nonces
        ]
    )
    issued = [r for r in results if isinstance(r, dict)]
    assert len(issued) == 1, results
    assert {r.code for r in results if isinstance(r, oid4vci.ProtocolError)} == {"invalid_token"}
    offer.refresh_from_db()
    assert offer.credential_id == issued[0]["id"]
