"""This portal's own credentials: the DIDs and keys we answer for, and remembered signature
checks of our stored credentials."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections import OrderedDict
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ... import keys
from ...core import credentials, signing
from . import facts
from .helpers import _datetime


def own_dids() -> set[str]:
    """The did:web identifiers this portal answers for (configured domain, and its own host)."""
    dids = {f"did:web:{keys.public_origin_host().replace(':', '%3A')}"}
    if keys.did_web_domain():
        dids.add(f"did:web:{keys.did_web_domain()}")
    return dids


def _own_key(verification_method: str) -> Ed25519PublicKey | None:
    did, _sep, fragment = verification_method.partition("#")
    if did not in own_dids() or not fragment.startswith("z") or len(fragment) > 100:
        return None
    if not facts.is_default_issuer_key(fragment):
        return None
    return signing.public_key_from_multibase(fragment)


def _is_own_issuer(issuer_id: str) -> bool:
    if issuer_id in own_dids():
        return True
    if issuer_id.startswith("did:key:"):
        multibase = issuer_id[len("did:key:") :][:64]
        if multibase in _own_key_memo:  # keys are never deleted: a yes stays a yes
            return True
        if facts.is_own_key(multibase):
            _own_key_memo.add(multibase)
            return True
    return False


# --- remembered signature checks of our own stored credentials ------------------------------
#
# Checking an eddsa-rdfc-2022 signature canonicalises the whole credential (JSON-LD expansion
# and RDF canonicalisation): about 10 ms of CPU, two thirds of a share page and most of a
# check by URL (docs/benchmarks.md, "Load"). The share page and the verify API did it again on
# every request for the same stored credential. The outcome of ``verify_credential`` depends
# only on the document, the keys it resolves and, through ``now``, on which of its own dates
# (validFrom, validUntil, the proof's expires) have passed. So a successful check is kept per
# worker process under the digest of the document, the DIDs this portal answers for and those
# dates' passed/not-passed pattern: a changed document is a new digest (checked afresh, so a
# tampered row is still caught at once), and crossing an expiry date is a new key. Failures are
# never kept. Keys are never deleted (awards protect them), so a kept "valid" stays true.
# Revocation is not part of it: it is read from the Award rows on every request, as before.

_SIGNATURE_MEMO_SIZE: Final = 4096
_signature_memo: OrderedDict[str, credentials.VerificationResult] = OrderedDict()
_signature_memo_lock = threading.Lock()
_own_key_memo: set[str] = set()  # did:key multibases known to be ours (a set add is atomic)


def _proof_of(document: dict[str, Any]) -> dict[str, Any]:
    proof = document.get("proof")
    if isinstance(proof, list) and len(proof) == 1:
        proof = proof[0]
    return proof if isinstance(proof, dict) else {}


def verdict_moments(document: Any) -> tuple[dt.datetime | None, ...]:
    """The moments at which a stored credential's verdict changes by itself, with nothing
    written: it becomes valid (``validFrom``), stops being valid (``validUntil``), its proof
    expires. The signature memo's key says which have passed; the share page's cached parts are
    not used after the next one (with the award's own ``expires_at``)."""
    document = document if isinstance(document, dict) else {}
    return (
        _datetime(document.get("validFrom")),
        _datetime(document.get("validUntil")),
        _datetime(_proof_of(document).get("expires")),
    )


def _verify_stored_credential(document: dict[str, Any], *, now: dt.datetime) -> credentials.VerificationResult:
    moments = verdict_moments(document)
    passed = "".join("-" if m is None else ("1" if m <= now else "0") for m in moments)
    try:
        text = json.dumps([document, sorted(own_dids())], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):  # not plain JSON: no memo
        return credentials.verify_credential(document, resolve_key=_own_key, now=now)
    key = hashlib.sha256(text.encode("utf-8")).hexdigest() + passed
    with _signature_memo_lock:
        hit = _signature_memo.get(key)
        if hit is not None:
            _signature_memo.move_to_end(key)
            return hit
    result = credentials.verify_credential(document, resolve_key=_own_key, now=now)
    if result.reason in ("ok", "expired", "not_yet_valid"):  # the signature matched
        with _signature_memo_lock:
            _signature_memo[key] = result
            while len(_signature_memo) > _SIGNATURE_MEMO_SIZE:
                _signature_memo.popitem(last=False)
    return result


def signature_memo_clear() -> None:
    """Forget the remembered checks (tests)."""
    with _signature_memo_lock:
        _signature_memo.clear()
        _own_key_memo.clear()
