"""OpenID for Verifiable Credential Issuance 1.0 (final, 2025), the credential issuer's side:
pure functions, no ORM (the services are in ``badges/wallet.py``, the views in
``badges/views_wallet.py``).

What the portal implements of the specification, and nothing more:

* the pre-authorized code flow with a transaction code (section 3.5, 4.1.1): the offer is
  passed by value in an ``openid-credential-offer://`` URI (QR code or same-device link);
* one credential configuration: an ``ldp_vc`` ``OpenBadgeCredential`` (appendix A.1.2), bound
  to the wallet's key through a ``jwt`` key proof (appendix F.1) whose key is named by ``kid``
  (a ``did:key`` Ed25519 or ``did:jwk`` DID URL) or given as ``jwk``; Ed25519 (``EdDSA``) and
  P-256 (``ES256``) keys;
* the nonce endpoint (section 7): ``c_nonce`` values are stateless (HMAC over a random value
  and the time they were made), so an anonymous POST writes nothing; the service makes each
  one single-use;
* the error codes of sections 6.3 (token endpoint, RFC 6749 section 5.2), 8.3.1 (credential
  endpoint) and RFC 6750 (``invalid_token``).

Not implemented: the authorization code flow, deferred issuance, batch issuance (one proof,
one credential), notification, credential response encryption, signed metadata, DPoP, key
attestations.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import quote

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from badges.core import credentials, signing

__all__ = [
    "CREDENTIAL_CONFIGURATION_ID",
    "PRE_AUTHORIZED_GRANT",
    "PROOF_ALGORITHMS",
    "PROOF_TYP",
    "HolderProof",
    "ProtocolError",
    "authorization_server_metadata",
    "check_nonce",
    "code_hash",
    "credential_issuer_metadata",
    "credential_offer",
    "credential_offer_uri",
    "did_jwk_for",
    "make_nonce",
    "new_secret",
    "new_tx_code",
    "parse_credential_request",
    "tx_code_digest",
    "tx_code_matches",
    "verify_proof_jwt",
    "wallet_credential",
]

CREDENTIAL_CONFIGURATION_ID: Final = "OpenBadgeCredential"
PRE_AUTHORIZED_GRANT: Final = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
OFFER_SCHEME: Final = "openid-credential-offer://"
PROOF_TYP: Final = "openid4vci-proof+jwt"
# The key types a wallet may prove possession of, by JWS algorithm.
PROOF_ALGORITHMS: Final = ("EdDSA", "ES256")
BINDING_METHODS: Final = ("did:key", "did:jwk")
TX_CODE_LENGTH: Final = 6

# A key proof is made just before the request: older than this, or from the future beyond the
# clock skew allowed, it is refused.
PROOF_MAX_AGE_SECONDS: Final = 300
PROOF_MAX_SKEW_SECONDS: Final = 60
_PROOF_MAX_BYTES: Final = 16 * 1024
_NONCE_RANDOM_BYTES: Final = 16
_NONCE_MAC_BYTES: Final = 16


class ProtocolError(Exception):
    """An error answer of the protocol: ``code`` is the spec's ``error`` value.

    ``status`` is the HTTP status; ``bearer`` marks RFC 6750 errors, answered with a
    ``WWW-Authenticate: Bearer`` header. ``description`` is English, for the wallet's logs.
    """

    def __init__(self, code: str, description: str, *, status: int = 400, bearer: bool = False) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.status = status
        self.bearer = bearer

    def body(self) -> dict[str, str]:
        return {"error": self.code, "error_description": self.description}


# ================================================================== secrets and codes


def new_secret() -> str:
    """A pre-authorized code or access token: 256 random bits, base64url."""
    return secrets.token_urlsafe(32)


def new_tx_code(length: int = TX_CODE_LENGTH) -> str:
    """A numeric transaction code the holder types into the wallet."""
    return "".join(str(secrets.randbelow(10)) for _ in range(length))


def code_hash(code: str) -> str:
    """How codes and tokens are stored and looked up: SHA-256 hex (they carry 256 random bits,
    so a plain hash is enough; a leaked table gives nothing usable)."""
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def tx_code_digest(tx_code: str, *, secret: bytes, salt: str) -> str:
    """A keyed hash of a transaction code: six digits are a million guesses offline, so the
    hash needs a key the database does not hold (``secret``), and a per-offer ``salt``."""
    return hmac.new(secret, f"{salt}|{tx_code}".encode(), hashlib.sha256).hexdigest()


def tx_code_matches(tx_code: str, digest: str, *, secret: bytes, salt: str) -> bool:
    return hmac.compare_digest(tx_code_digest(tx_code, secret=secret, salt=salt), digest)


# ================================================================== nonces


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    if not isinstance(text, str) or not text or len(text) > 4096:
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:  # binascii.Error is a ValueError
        raise ValueError("not base64url") from exc


def _nonce_mac(secret: bytes, body: bytes) -> bytes:
    return hmac.new(secret, b"oid4vci-c_nonce|" + body, hashlib.sha256).digest()[:_NONCE_MAC_BYTES]


def make_nonce(*, secret: bytes, now: datetime) -> str:
    """A ``c_nonce``: random bytes and the time, authenticated with ``secret``."""
    body = secrets.token_bytes(_NONCE_RANDOM_BYTES) + int(now.timestamp()).to_bytes(8, "big")
    return _b64url(body + _nonce_mac(secret, body))


def check_nonce(nonce: Any, *, secret: bytes, now: datetime, max_age_seconds: int) -> None:
    """Raise ``invalid_nonce`` unless ``nonce`` was made here less than ``max_age_seconds`` ago.

    (Single use is the caller's business: it needs shared state.)
    """
    if not isinstance(nonce, str):
        raise ProtocolError("invalid_proof", "the key proof has no nonce")
    try:
        raw = _b64url_decode(nonce)
    except ValueError:
        raise ProtocolError("invalid_nonce", "c_nonce was not issued here") from None
    if len(raw) != _NONCE_RANDOM_BYTES + 8 + _NONCE_MAC_BYTES:
        raise ProtocolError("invalid_nonce", "c_nonce was not issued here")
    body, mac = raw[:-_NONCE_MAC_BYTES], raw[-_NONCE_MAC_BYTES:]
    if not hmac.compare_digest(mac, _nonce_mac(secret, body)):
        raise ProtocolError("invalid_nonce", "c_nonce was not issued here")
    made = int.from_bytes(body[_NONCE_RANDOM_BYTES:], "big")
    age = now.timestamp() - made
    if age > max_age_seconds or age < -PROOF_MAX_SKEW_SECONDS:
        raise ProtocolError("invalid_nonce", "c_nonce has expired: get a fresh one from the nonce endpoint")


# ================================================================== metadata and offers


def _display(names: Mapping[str, str], descriptions: Mapping[str, str] | None = None) -> list[dict[str, str]]:
    entries = []
    for locale, name in names.items():
        entry = {"name": name, "locale": locale}
        if descriptions and descriptions.get(locale):
            entry["description"] = descriptions[locale]
        entries.append(entry)
    return entries


def credential_issuer_metadata(
    *,
    credential_issuer: str,
    credential_endpoint: str,
    nonce_endpoint: str,
    issuer_names: Mapping[str, str],
    credential_names: Mapping[str, str],
    credential_descriptions: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """``/.well-known/openid-credential-issuer`` (section 12.2), display texts by locale.

    The display of the credential is in ``credential_metadata`` (new in 1.0): that is also
    how clients tell 1.0 metadata from the drafts' (a ``display`` next to ``format``).
    """
    contexts = [credentials.VC2_CONTEXT, credentials.OB3_CONTEXT, credentials.OB3_EXTENSIONS_CONTEXT]
    return {
        "credential_issuer": credential_issuer,
        "credential_endpoint": credential_endpoint,
        "nonce_endpoint": nonce_endpoint,
        "display": _display(issuer_names),
        "credential_configurations_supported": {
            CREDENTIAL_CONFIGURATION_ID: {
                "format": "ldp_vc",
                "cryptographic_binding_methods_supported": list(BINDING_METHODS),
                # ldp_vc: the Data Integrity cryptosuite the credential is signed with.
                "credential_signing_alg_values_supported": [credentials.CRYPTOSUITE],
                "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": list(PROOF_ALGORITHMS)}},
                "credential_definition": {
                    "@context": contexts,
                    "type": ["VerifiableCredential", "OpenBadgeCredential"],
                },
                "credential_metadata": {"display": _display(credential_names, credential_descriptions)},
            }
        },
    }


def authorization_server_metadata(*, issuer: str, token_endpoint: str) -> dict[str, Any]:
    """``/.well-known/oauth-authorization-server`` (RFC 8414): the credential issuer is its own
    authorization server, with the token endpoint only (no authorization endpoint, so no
    ``response_types_supported``: there is no authorization request to answer)."""
    return {
        "issuer": issuer,
        "token_endpoint": token_endpoint,
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "token_endpoint_auth_methods_supported": ["none"],
        "pre-authorized_grant_anonymous_access_supported": True,
    }


def credential_offer(
    *,
    credential_issuer: str,
    pre_authorized_code: str,
    tx_code_description: str,
    tx_code_length: int = TX_CODE_LENGTH,
) -> dict[str, Any]:
    """A credential offer (section 4.1.1) for the pre-authorized code flow with a numeric
    transaction code."""
    return {
        "credential_issuer": credential_issuer,
        "credential_configuration_ids": [CREDENTIAL_CONFIGURATION_ID],
        "grants": {
            PRE_AUTHORIZED_GRANT: {
                "pre-authorized_code": pre_authorized_code,
                "tx_code": {
                    "input_mode": "numeric",
                    "length": tx_code_length,
                    # The spec caps the description at 300 characters.
                    "description": tx_code_description[:300],
                },
            }
        },
    }


def credential_offer_uri(offer: Mapping[str, Any]) -> str:
    """The offer by value: ``openid-credential-offer://?credential_offer=<JSON, URL-encoded>``."""
    text = json.dumps(offer, ensure_ascii=False, separators=(",", ":"))
    return f"{OFFER_SCHEME}?credential_offer={quote(text, safe='')}"


# ================================================================== the credential request


def parse_credential_request(body: Any) -> str:
    """Check a credential request (section 8.2) and return its one JWT key proof.

    ``proofs`` with one ``jwt`` is 1.0's form; the drafts' single ``proof`` object is refused
    (1.0 removed it).
    """
    if not isinstance(body, dict):
        raise ProtocolError("invalid_credential_request", "the request body must be a JSON object")
    if "credential_identifier" in body:
        # Only given out in a token response's authorization_details, which this issuer sends none of.
        raise ProtocolError("unknown_credential_identifier", "this issuer gives out no credential identifiers")
    configuration = body.get("credential_configuration_id")
    if configuration is None:
        raise ProtocolError("invalid_credential_request", "credential_configuration_id is required")
    if configuration != CREDENTIAL_CONFIGURATION_ID:
        raise ProtocolError("unknown_credential_configuration", "unknown credential_configuration_id")
    if "credential_response_encryption" in body:
        raise ProtocolError("invalid_encryption_parameters", "credential response encryption is not supported")
    proofs = body.get("proofs")
    if proofs is None:
        raise ProtocolError("invalid_proof", "proofs is required: this credential is bound to the wallet's key")
    if not isinstance(proofs, dict) or set(proofs) != {"jwt"}:
        raise ProtocolError("invalid_proof", "proofs must hold jwt key proofs only")
    jwts = proofs["jwt"]
    if not isinstance(jwts, list) or len(jwts) != 1 or not isinstance(jwts[0], str):
        raise ProtocolError("invalid_proof", "exactly one jwt key proof is accepted (no batch issuance)")
    return jwts[0]


@dataclass(frozen=True)
class HolderProof:
    """What a valid key proof tells: the wallet's DID and the nonce it signed."""

    holder_did: str
    nonce: Any
    algorithm: str


def did_jwk_for(jwk: Mapping[str, Any]) -> str:
    """``did:jwk`` of a public JWK: its required members only, compact, keys sorted."""
    kty = jwk.get("kty")
    names = {"OKP": ("crv", "kty", "x"), "EC": ("crv", "kty", "x", "y")}.get(kty if isinstance(kty, str) else "")
    if names is None:
        raise ProtocolError("invalid_proof", "unsupported key type")
    members = {name: jwk.get(name) for name in names}
    return "did:jwk:" + _b64url(json.dumps(members, separators=(",", ":"), sort_keys=True).encode("utf-8"))


def _public_key_from_jwk(jwk: Any) -> tuple[Ed25519PublicKey | ec.EllipticCurvePublicKey, str]:
    """The key of a public JWK and the one algorithm it may sign with."""
    if not isinstance(jwk, dict):
        raise ProtocolError("invalid_proof", "the JWK must be an object")
    if "d" in jwk:
        raise ProtocolError("invalid_proof", "the JWK holds private key material")
    try:
        if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
            return signing.public_key_from_jwk(jwk), "EdDSA"
        if jwk.get("kty") == "EC" and jwk.get("crv") == "P-256":
            x, y = _b64url_decode(jwk.get("x", "")), _b64url_decode(jwk.get("y", ""))
            if len(x) != 32 or len(y) != 32:
                raise ValueError("P-256 coordinates are 32 bytes")
            numbers = ec.EllipticCurvePublicNumbers(int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1())
            return numbers.public_key(), "ES256"
    except (ValueError, signing.KeyFormatError) as exc:
        raise ProtocolError("invalid_proof", f"unusable JWK: {exc}") from None
    raise ProtocolError("invalid_proof", "only Ed25519 (OKP) and P-256 (EC) keys are supported")


def _holder_key(header: Mapping[str, Any]) -> tuple[str, Ed25519PublicKey | ec.EllipticCurvePublicKey, str]:
    """(holder DID, public key, algorithm) from the proof's ``kid`` or ``jwk`` header."""
    kid, jwk = header.get("kid"), header.get("jwk")
    if any(name in header for name in ("x5c", "trust_chain", "key_attestation")):
        raise ProtocolError("invalid_proof", "only kid (did:key, did:jwk) or jwk name the key here")
    if (kid is None) == (jwk is None):
        raise ProtocolError("invalid_proof", "the key proof must name its key by exactly one of kid and jwk")
    if jwk is not None:
        key, algorithm = _public_key_from_jwk(jwk)
        return did_jwk_for(jwk), key, algorithm
    if not isinstance(kid, str) or len(kid) > 2048:
        raise ProtocolError("invalid_proof", "kid must be a DID URL")
    did, _, fragment = kid.partition("#")
    if did.startswith("did:key:"):
        try:
            return did, signing.public_key_from_did_key(kid), "EdDSA"
        except (signing.KeyFormatError, ValueError):
            raise ProtocolError("invalid_proof", "kid is not an Ed25519 did:key") from None
    if did.startswith("did:jwk:"):
        if fragment != "0":
            # did:jwk has exactly one verification method, #0.
            raise ProtocolError("invalid_proof", "a did:jwk key is named #0")
        try:
            embedded = json.loads(_b64url_decode(did[len("did:jwk:") :]))
        except ValueError:
            raise ProtocolError("invalid_proof", "did:jwk does not hold a JWK") from None
        key, algorithm = _public_key_from_jwk(embedded)
        return did, key, algorithm
    raise ProtocolError("invalid_proof", "kid must be a did:key or did:jwk DID URL")


def verify_proof_jwt(token: Any, *, audience: str, now: datetime) -> HolderProof:
    """Verify a ``jwt`` key proof (appendix F.1) and return the wallet's DID and nonce.

    Checked: the header (``typ``, an allowed ``alg`` that fits the key, the key from ``kid`` or
    ``jwk``), the signature by that key, ``aud`` = the credential issuer, ``iat`` within
    :data:`PROOF_MAX_AGE_SECONDS` (and not in the future beyond the skew), ``exp``/``nbf`` if
    present. The nonce is returned for the caller to check. Raises ``invalid_proof``.
    """
    if not isinstance(token, str) or len(token) > _PROOF_MAX_BYTES:
        raise ProtocolError("invalid_proof", "the key proof is not a JWT")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise ProtocolError("invalid_proof", "the key proof is not a JWT") from None
    if header.get("typ") != PROOF_TYP:
        raise ProtocolError("invalid_proof", f"the key proof's typ must be {PROOF_TYP}")
    holder_did, key, algorithm = _holder_key(header)
    if header.get("alg") != algorithm or algorithm not in PROOF_ALGORITHMS:
        # The algorithm follows from the key, never from the header alone (no alg confusion).
        raise ProtocolError("invalid_proof", f"this key signs with {algorithm}, not {header.get('alg')!r}")
    try:
        payload = jwt.decode(
            token,
            key=key,
            algorithms=[algorithm],
            audience=audience,
            # Times are checked below against ``now``, so that tests and callers agree on it.
            options={"verify_exp": False, "verify_nbf": False, "verify_iat": False, "require": ["aud", "iat"]},
        )
    except jwt.InvalidSignatureError:
        raise ProtocolError("invalid_proof", "the key proof is not signed by the key it names") from None
    except jwt.InvalidAudienceError:
        raise ProtocolError("invalid_proof", "the key proof's aud is not this credential issuer") from None
    except jwt.PyJWTError as exc:
        raise ProtocolError("invalid_proof", f"the key proof is not valid: {exc}") from None
    moment = now.timestamp()
    iat = payload.get("iat")
    if not isinstance(iat, (int, float)) or isinstance(iat, bool):
        raise ProtocolError("invalid_proof", "iat must be a number")
    if iat < moment - PROOF_MAX_AGE_SECONDS or iat > moment + PROOF_MAX_SKEW_SECONDS:
        raise ProtocolError("invalid_proof", "the key proof's iat is not recent")
    for name, too_late in (("exp", lambda t: t <= moment), ("nbf", lambda t: t > moment + PROOF_MAX_SKEW_SECONDS)):
        value = payload.get(name)
        if value is not None and (not isinstance(value, (int, float)) or too_late(value)):
            raise ProtocolError("invalid_proof", f"the key proof's {name} does not allow it now")
    return HolderProof(holder_did=holder_did, nonce=payload.get("nonce"), algorithm=algorithm)


# ================================================================== the wallet's copy


def wallet_credential(
    base: Mapping[str, Any], *, credential_id: str, holder_did: str, issuer_id: str
) -> dict[str, Any]:
    """The wallet's copy of a signed OB 3.0 credential, unsigned: the same document (achievement,
    evidence, dates, ``credentialStatus`` entry: one revocation bit for every copy) without its
    proof, with a new ``id``, the wallet's DID as ``credentialSubject.id``, and ``issuer.id`` =
    the DID of the key about to sign it (a did:key issuer changes with a key rotation)."""
    document = copy.deepcopy(dict(base))
    document.pop("proof", None)
    document["id"] = credential_id
    issuer = document.get("issuer")
    document["issuer"] = {**issuer, "id": issuer_id} if isinstance(issuer, dict) else issuer_id
    subject = document.get("credentialSubject")
    if not isinstance(subject, dict):
        raise credentials.CredentialError("bad_argument", "the credential has no credentialSubject object")
    # id first, as VC examples write it (the order is not signed: canonicalisation sorts).
    document["credentialSubject"] = {"id": holder_did, **{k: v for k, v in subject.items() if k != "id"}}
    return document
