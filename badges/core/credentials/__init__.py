"""Open Badges documents and Data Integrity proofs (eddsa-rdfc-2022): pure functions.

* Builders for the OB 2.0 hosted Assertion / BadgeClass / Issuer and the OB 3.0
  ``OpenBadgeCredential`` (VC Data Model 2.0 + ``context-3.0.3.json``) from plain
  arguments -- no ORM objects, so services pass values they already have.
* ``sign_credential`` / ``verify_credential`` implement the W3C vc-di-eddsa
  ``eddsa-rdfc-2022`` cryptosuite (openbadges.md, part E):

  1. proof configuration = proof without ``proofValue``, with the document's own
     ``@context``; canonicalise it (RDFC-1.0) and the document without ``proof``;
  2. data to sign = SHA-256(canonical proof config) || SHA-256(canonical document);
  3. ``proofValue`` = ``z`` + base58btc(Ed25519 signature).

  The proof is emitted as a list of one (the 1EdTech JSON Schema wants an array);
  a single proof object, as badges baked before carry it, verifies too.

  Canonicalisation runs offline and in safe mode (``badges.core.jsonld``), so data the
  contexts do not define makes signing/verification fail instead of being left
  out of the signature.
* ``verify_credential`` takes *untrusted* input.  It never raises for bad input:
  every problem becomes a ``VerificationResult`` with ``valid=False`` and a stable
  ``reason`` code for the web layer to translate.  Size, depth, node count and
  blank-node identifiers are checked *before* pyld sees anything: pyld recurses
  (a 1000-deep document would hit ``RecursionError``) and RDF canonicalisation is
  exponential on crafted blank-node graphs ("poison graphs") with no work limit in
  pyld 3.3.
* BitstringStatusList (W3C) helpers for revocation: GZIP + multibase base64url.

One module per part: ``common`` (contexts, limits, ``CredentialError``, dates and hashes),
``safe_json``, ``documents`` (the builders), ``status_list`` and ``proofs``; this package
re-exports their public names, so callers write ``credentials.sign_credential(...)``.
"""

from __future__ import annotations

from .common import (
    CRYPTOSUITE,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_NODES,
    OB2_CONTEXT,
    OB3_CONTEXT,
    OB3_EXTENSIONS_CONTEXT,
    OB3_SCHEMA_URL,
    PROOF_TYPE,
    STATUS_LIST_MIN_BITS,
    VC2_CONTEXT,
    CredentialError,
    hash_identity,
    make_salt,
    verify_identity_hash,
)
from .documents import (
    ACHIEVEMENT_TYPES,
    Alignment,
    Evidence,
    LocalizedText,
    build_ob2_assertion,
    build_ob2_badge_class,
    build_ob2_issuer,
    build_ob3_achievement,
    build_ob3_credential,
    status_list_entry,
    with_proof_list,
)
from .proofs import VerificationResult, proof_hash_data, resolve_did_key, sign_credential, verify_credential
from .safe_json import check_json_limits, parse_credential_json
from .status_list import (
    build_status_list_credential,
    decode_status_list,
    encode_status_list,
    get_status_bit,
    new_status_list,
    set_status_bit,
)

__all__ = [
    "ACHIEVEMENT_TYPES",
    "CRYPTOSUITE",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_NODES",
    "OB2_CONTEXT",
    "OB3_CONTEXT",
    "OB3_EXTENSIONS_CONTEXT",
    "OB3_SCHEMA_URL",
    "PROOF_TYPE",
    "STATUS_LIST_MIN_BITS",
    "VC2_CONTEXT",
    "Alignment",
    "CredentialError",
    "Evidence",
    "LocalizedText",
    "VerificationResult",
    "build_ob2_assertion",
    "build_ob2_badge_class",
    "build_ob2_issuer",
    "build_ob3_achievement",
    "build_ob3_credential",
    "build_status_list_credential",
    "check_json_limits",
    "decode_status_list",
    "encode_status_list",
    "get_status_bit",
    "hash_identity",
    "make_salt",
    "new_status_list",
    "parse_credential_json",
    "proof_hash_data",
    "resolve_did_key",
    "set_status_bit",
    "sign_credential",
    "status_list_entry",
    "verify_credential",
    "verify_identity_hash",
    "with_proof_list",
]
