"""W3C BitstringStatusList for revocation: the bits, GZIP + multibase base64url, and the
status list credential."""

from __future__ import annotations

import gzip
import zlib
from datetime import datetime
from typing import Any

from .. import signing
from .common import _STATUS_LIST_MAX_BYTES, STATUS_LIST_MIN_BITS, VC2_CONTEXT, CredentialError, _datetime_str

# ========================================================= BitstringStatusList


def new_status_list(size_bits: int = STATUS_LIST_MIN_BITS) -> bytearray:
    """All-zero (nothing revoked) list; size is rounded up to whole bytes."""
    if size_bits < STATUS_LIST_MIN_BITS:
        raise CredentialError("bad_status_list", "status lists need at least 131072 entries")
    return bytearray((size_bits + 7) // 8)


def _bit_position(bits: bytes | bytearray, index: int) -> tuple[int, int]:
    if not 0 <= index < len(bits) * 8:
        raise CredentialError("bad_status_list", "status list index out of range")
    # Spec: index 0 is the left-most bit, i.e. the most significant bit of byte 0.
    return index // 8, 7 - index % 8


def set_status_bit(bits: bytearray, index: int, value: bool = True) -> None:
    byte, shift = _bit_position(bits, index)
    if value:
        bits[byte] |= 1 << shift
    else:
        bits[byte] &= ~(1 << shift) & 0xFF


def get_status_bit(bits: bytes | bytearray, index: int) -> bool:
    byte, shift = _bit_position(bits, index)
    return bool(bits[byte] >> shift & 1)


def encode_status_list(bits: bytes | bytearray) -> str:
    """``encodedList``: multibase base64url (``u``, no padding) of GZIP(bitstring)."""
    if len(bits) * 8 < STATUS_LIST_MIN_BITS:
        raise CredentialError("bad_status_list", "status lists need at least 131072 entries")
    # mtime=0 makes the output depend only on the bits (stable ETags, no churn).
    return "u" + signing.b64url_encode(gzip.compress(bytes(bits), mtime=0))


def decode_status_list(encoded: str, *, max_bytes: int = _STATUS_LIST_MAX_BYTES) -> bytes:
    """Inverse of :func:`encode_status_list` for lists fetched from elsewhere.

    Decompression is capped: 16 MiB of zeros gzip to ~16 KB, so an uncapped
    ``gzip.decompress`` on a hostile list could allocate gigabytes.
    """
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise CredentialError("bad_status_list", "encodedList must be multibase base64url ('u')")
    try:
        compressed = signing.b64url_decode(encoded[1:])
    except signing.KeyFormatError:
        raise CredentialError("bad_status_list", "encodedList is not base64url") from None
    d = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip container only
    try:
        bits = d.decompress(compressed, max_bytes + 1)
    except zlib.error:
        raise CredentialError("bad_status_list", "encodedList is not valid GZIP") from None
    if len(bits) > max_bytes or d.unconsumed_tail:
        raise CredentialError("bad_status_list", "status list is too large")
    if not d.eof:
        raise CredentialError("bad_status_list", "encodedList GZIP data is truncated")
    if len(bits) * 8 < STATUS_LIST_MIN_BITS:
        raise CredentialError("bad_status_list", "status list is shorter than 131072 entries")
    return bits


def build_status_list_credential(
    *,
    status_list_url: str,
    issuer_id: str,
    bits: bytes | bytearray,
    valid_from: datetime | str,
    purpose: str = "revocation",
    valid_until: datetime | str | None = None,
) -> dict[str, Any]:
    """Unsigned ``BitstringStatusListCredential`` (sign it like any credential)."""
    doc: dict[str, Any] = {
        "@context": [VC2_CONTEXT],
        "id": status_list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id,
        "validFrom": _datetime_str(valid_from, "valid_from"),
        "credentialSubject": {
            "id": f"{status_list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encode_status_list(bits),
        },
    }
    if valid_until is not None:
        doc["validUntil"] = _datetime_str(valid_until, "valid_until")
    return doc
