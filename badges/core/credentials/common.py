"""What every part of the credentials code shares: contexts, limits, the error, dates and hashes."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any, Final

VC2_CONTEXT: Final = "https://www.w3.org/ns/credentials/v2"
OB3_CONTEXT: Final = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB3_EXTENSIONS_CONTEXT: Final = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
OB3_SCHEMA_URL: Final = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
OB2_CONTEXT: Final = "https://w3id.org/openbadges/v2"
PROOF_TYPE: Final = "DataIntegrityProof"
CRYPTOSUITE: Final = "eddsa-rdfc-2022"
PROOF_PURPOSE: Final = "assertionMethod"

# Limits for untrusted credentials.  Real OB 3.0 credentials are a few KB and about
# six levels deep; an embedded data-URI image is what pushes size up.
DEFAULT_MAX_BYTES: Final = 1024 * 1024
DEFAULT_MAX_DEPTH: Final = 32
DEFAULT_MAX_NODES: Final = 20_000

# W3C Bitstring Status List: "a minimum of 131,072 entries" (16 KiB) for privacy.
STATUS_LIST_MIN_BITS: Final = 131_072
# Decompression cap for encodedList from elsewhere: 16 MiB = 134M entries.
_STATUS_LIST_MAX_BYTES: Final = 16 * 1024 * 1024


class CredentialError(ValueError):
    """Bad input to a builder, signer or parser.  ``code`` is machine-readable:

    ``too_large``, ``invalid_json``, ``duplicate_key``, ``too_deep``,
    ``too_many_nodes``, ``not_object``, ``invalid_value``, ``blank_node_id``,
    ``already_signed``, ``bad_date``, ``bad_argument``, ``bad_status_list``, and the
    canonicalisation codes ``unknown_context``, ``undefined_term``, ``jsonld_error``.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# ================================================================ dates and hashes


def _datetime_str(value: datetime | str, name: str) -> str:
    """ISO 8601 with a zone designator (validators reject zone-less times)."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise CredentialError("bad_date", f"{name} must be timezone-aware")
        text = value.isoformat(timespec="seconds")
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if isinstance(value, str):
        _parse_datetime(value, name)
        return value
    raise CredentialError("bad_date", f"{name} must be a datetime or an ISO 8601 string")


def _parse_datetime(value: Any, name: str) -> datetime:
    if not isinstance(value, str) or len(value) > 64:
        raise CredentialError("bad_date", f"{name} is not a date-time string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CredentialError("bad_date", f"{name} is not ISO 8601") from None
    if parsed.tzinfo is None:
        raise CredentialError("bad_date", f"{name} has no time zone")
    return parsed


def hash_identity(email: str, salt: str) -> str:
    """OB recipient hash: ``sha256$`` + hex(sha256(normalised_email + salt)).

    Normalisation (strip, lower-case) is ours, not the spec's: verifiers hash what
    the user types, so we document and apply one form (openbadges.md A.5, C.6).
    """
    normalised = email.strip().lower()
    return "sha256$" + hashlib.sha256((normalised + salt).encode("utf-8")).hexdigest()


def verify_identity_hash(email: str, salt: str, identity_hash: str) -> bool:
    """Recipient check as a verifier would do it (hex compared case-insensitively)."""
    expected = hash_identity(email, salt)
    return secrets.compare_digest(expected.lower(), identity_hash.strip().lower())


def make_salt() -> str:
    return secrets.token_hex(16)
