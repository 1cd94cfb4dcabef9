"""Data Integrity proofs, ``eddsa-rdfc-2022``: signing a credential and verifying an untrusted one
(never raising for bad input: a ``VerificationResult`` with a stable reason code)."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .. import signing
from ..jsonld import CanonicalizationError, DocumentLoader, canonicalize
from .common import (
    CRYPTOSUITE,
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_NODES,
    PROOF_PURPOSE,
    PROOF_TYPE,
    VC2_CONTEXT,
    CredentialError,
    _datetime_str,
    _parse_datetime,
)
from .safe_json import check_json_limits

# =============================================================== proofs


def _canonical(doc: Mapping[str, Any], loader: DocumentLoader | None) -> str:
    try:
        return canonicalize(doc, loader=loader)
    except CanonicalizationError as exc:
        raise CredentialError(exc.code, str(exc)) from exc
    except RecursionError:
        # Belt and braces: check_json_limits runs first, but pyld recurses per
        # level of nesting and context processing; never let this escape.
        raise CredentialError("too_deep", "JSON-LD processing recursed too deeply") from None


def proof_hash_data(
    document: Mapping[str, Any],
    proof_config: Mapping[str, Any],
    *,
    loader: DocumentLoader | None = None,
) -> bytes:
    """vc-di-eddsa "Hashing": SHA-256(canon(proof config)) || SHA-256(canon(document))."""
    proof_hash = hashlib.sha256(_canonical(proof_config, loader).encode("utf-8")).digest()
    doc_hash = hashlib.sha256(_canonical(document, loader).encode("utf-8")).digest()
    return proof_hash + doc_hash


def sign_credential(
    credential: Mapping[str, Any],
    *,
    private_key: Ed25519PrivateKey,
    verification_method: str,
    created: datetime | str,
    loader: DocumentLoader | None = None,
) -> dict[str, Any]:
    """Return a copy of ``credential`` with an ``eddsa-rdfc-2022`` DataIntegrityProof,
    as ``proof: [ {...} ]`` (a list of one).

    Raises :class:`CredentialError` if the credential already has a proof or uses
    terms its contexts do not define (safe mode) -- better to fail at issue time
    than to publish a credential whose extra fields are not signed.
    """
    if "proof" in credential:
        raise CredentialError("already_signed", "credential already has a proof")
    check_json_limits(credential)
    document = copy.deepcopy(dict(credential))
    if "@context" not in document:
        raise CredentialError("bad_argument", "credential has no @context")
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": _datetime_str(created, "created"),
        "verificationMethod": verification_method,
        "proofPurpose": PROOF_PURPOSE,
    }
    proof_config = {"@context": document["@context"], **proof}
    data = proof_hash_data(document, proof_config, loader=loader)
    proof["proofValue"] = "z" + signing.b58encode(signing.sign(private_key, data))
    # A list of one: VC DM 2.0 allows a single object too, but the 1EdTech JSON Schema every
    # OB 3.0 credential names in credentialSchema requires an array (OB 3.0 text, "MAY not pass
    # canonical JSON Schema files"). ``proof`` is outside the signed data, so both forms carry
    # the same signature, and verify_credential accepts both (badges baked before this).
    document["proof"] = [proof]
    return document


def resolve_did_key(verification_method: str) -> Ed25519PublicKey | None:
    """Offline key for a ``did:key:z6Mk...#z6Mk...`` method; None if not a valid one."""
    try:
        return signing.public_key_from_did_key(verification_method)
    except (signing.KeyFormatError, ValueError):
        return None


@dataclass(frozen=True)
class VerificationResult:
    """Outcome of :func:`verify_credential`.

    ``reason`` is ``"ok"`` when valid, otherwise a stable code (see
    ``verify_credential``).  ``detail`` is English for logs, not for users.
    Revocation is *not* checked here (it needs a fetch); ``status_entries`` hands
    the ``credentialStatus`` entries to the caller.
    """

    valid: bool
    reason: str
    issuer_id: str | None = None
    credential_id: str | None = None
    verification_method: str | None = None
    created: str | None = None
    valid_from: str | None = None
    valid_until: str | None = None
    status_entries: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    detail: str = ""


def _has_nested_context(credential: dict[str, Any]) -> bool:
    stack: list[Any] = [v for k, v in credential.items() if k != "@context"]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "@context" in item:
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _fail(reason: str, detail: str = "", **known: Any) -> VerificationResult:
    return VerificationResult(valid=False, reason=reason, detail=detail[:300], **known)


def verify_credential(
    credential: Any,
    *,
    resolve_key: Callable[[str], Ed25519PublicKey | None] | None = None,
    now: datetime | None = None,
    loader: DocumentLoader | None = None,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> VerificationResult:
    """Verify an ``eddsa-rdfc-2022`` DataIntegrityProof on an untrusted credential.

    Key lookup: ``did:key`` methods are resolved offline from the id itself;
    anything else goes to ``resolve_key`` (e.g. our own did:web / key table).  For
    DID-based methods the DID part of the verification method must equal the
    issuer id (the controller rule verifiers apply, openbadges.md B.3); for other
    URLs ``resolve_key`` must only return keys it knows belong to the issuer.
    Exceptions raised by ``resolve_key`` itself are the caller's and propagate.

    With ``now`` given, ``validFrom``/``validUntil`` (and proof ``expires``) are
    checked too.  Reason codes: ``ok``, ``not_object``, ``too_deep``,
    ``too_many_nodes``, ``invalid_value``, ``blank_node_id``, ``bad_context``,
    ``not_credential``, ``missing_issuer``, ``no_proof``, ``multiple_proofs``,
    ``unsupported_proof``, ``wrong_purpose``, ``bad_proof``, ``unknown_key``,
    ``key_controller_mismatch``, ``unknown_context``, ``undefined_term``,
    ``jsonld_error``, ``invalid_signature``, ``bad_date``, ``not_yet_valid``,
    ``expired``.
    """
    if not isinstance(credential, dict):
        return _fail("not_object", "credential must be a JSON object")
    try:
        check_json_limits(credential, max_depth=max_depth, max_nodes=max_nodes)
    except CredentialError as exc:
        return _fail(exc.code, str(exc))

    if _has_nested_context(credential):
        # Embedded contexts could (re)define prefixes and terms below the top level,
        # e.g. a prefix expanding to blank-node ids; our credentials never use them.
        return _fail("bad_context", "@context is only allowed at the top level")

    known: dict[str, Any] = {}
    if isinstance(credential.get("id"), str):
        known["credential_id"] = credential["id"]

    contexts = credential.get("@context")
    if isinstance(contexts, str):
        contexts = [contexts]
    if (
        not isinstance(contexts, list)
        or not contexts
        or not all(isinstance(c, str) for c in contexts)
        or contexts[0] != VC2_CONTEXT
    ):
        # Only URL contexts (all must be bundled) and VC 2.0 first, as the 1EdTech
        # validator demands; inline contexts are refused to keep processing simple.
        return _fail("bad_context", "@context must be a list of URLs starting with VC 2.0", **known)

    types = credential.get("type")
    types = [types] if isinstance(types, str) else types
    if not isinstance(types, list) or "VerifiableCredential" not in types:
        return _fail("not_credential", "type must include VerifiableCredential", **known)

    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if not isinstance(issuer_id, str) or not issuer_id:
        return _fail("missing_issuer", "credential has no issuer id", **known)
    known["issuer_id"] = issuer_id

    status = credential.get("credentialStatus")
    if isinstance(status, dict):
        known["status_entries"] = (copy.deepcopy(status),)
    elif isinstance(status, list):
        known["status_entries"] = tuple(copy.deepcopy(s) for s in status if isinstance(s, dict))

    proof = credential.get("proof")
    if proof is None:
        return _fail("no_proof", "credential has no proof", **known)
    # A list of one (what sign_credential emits) or a single object (badges this portal baked
    # before, and other issuers): the same proof either way.
    if isinstance(proof, list):
        if len(proof) != 1:
            return _fail("multiple_proofs", "exactly one proof is supported", **known)
        proof = proof[0]
    if not isinstance(proof, dict):
        return _fail("bad_proof", "proof must be an object", **known)
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        return _fail("unsupported_proof", "only DataIntegrityProof/eddsa-rdfc-2022", **known)
    if proof.get("proofPurpose") != PROOF_PURPOSE:
        return _fail("wrong_purpose", "proofPurpose must be assertionMethod", **known)
    vm = proof.get("verificationMethod")
    proof_value = proof.get("proofValue")
    created = proof.get("created")
    if not isinstance(vm, str) or not isinstance(proof_value, str):
        return _fail("bad_proof", "proof lacks verificationMethod or proofValue", **known)
    known["verification_method"] = vm
    if created is not None:
        if not isinstance(created, str):
            return _fail("bad_proof", "proof created must be a string", **known)
        known["created"] = created
    for key in ("validFrom", "validUntil"):
        if key in credential:
            try:
                _parse_datetime(credential[key], key)
            except CredentialError as exc:
                return _fail("bad_date", str(exc), **known)
    known["valid_from"] = credential.get("validFrom")
    known["valid_until"] = credential.get("validUntil")

    if not proof_value.startswith("z"):
        return _fail("bad_proof", "proofValue must be multibase base58btc", **known)
    try:
        signature = signing.b58decode(proof_value[1:])
    except signing.KeyFormatError:
        return _fail("bad_proof", "proofValue is not base58btc", **known)
    if len(signature) != 64:
        return _fail("bad_proof", "Ed25519 signatures are 64 bytes", **known)

    # --- key and controller
    if vm.startswith("did:"):
        controller = vm.partition("#")[0]
        if controller != issuer_id:
            return _fail("key_controller_mismatch", "verification method is not the issuer's", **known)
    if vm.startswith("did:key:"):
        public_key = resolve_did_key(vm)
    elif resolve_key is not None:
        try:
            public_key = resolve_key(vm)
        except signing.KeyFormatError:
            public_key = None
    else:
        public_key = None
    if public_key is None:
        return _fail("unknown_key", "verification method could not be resolved", **known)

    # --- proof config (DI spec: proof options without proofValue, document context).
    # A proof-level @context, if present, must be a prefix of the document's.
    proof_options = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in proof_options:
        pctx = proof_options.pop("@context")
        pctx = [pctx] if isinstance(pctx, str) else pctx
        if not isinstance(pctx, list) or contexts[: len(pctx)] != pctx:
            return _fail("bad_proof", "proof @context does not match the document", **known)
    proof_config = {"@context": credential["@context"], **proof_options}
    document = {k: v for k, v in credential.items() if k != "proof"}
    try:
        data = proof_hash_data(document, proof_config, loader=loader)
    except CredentialError as exc:
        return _fail(exc.code, str(exc), **known)

    if not signing.verify(public_key, signature, data):
        return _fail("invalid_signature", "signature does not match", **known)

    if now is not None:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")  # caller bug, not input
        try:
            if "validFrom" in credential and now < _parse_datetime(credential["validFrom"], "validFrom"):
                return _fail("not_yet_valid", "validFrom is in the future", **known)
            if "validUntil" in credential and now >= _parse_datetime(credential["validUntil"], "validUntil"):
                return _fail("expired", "validUntil has passed", **known)
            if "expires" in proof and now >= _parse_datetime(proof["expires"], "proof expires"):
                return _fail("expired", "proof has expired", **known)
        except CredentialError as exc:
            return _fail("bad_date", str(exc), **known)

    return VerificationResult(valid=True, reason="ok", **known)
