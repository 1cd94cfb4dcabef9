"""What a baked PNG or a JSON document holds, handed to the OB 2.0 or OB 3.0 checks."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from ...core import baking, credentials, signing
from .helpers import _as_list, _with_recipient
from .ob2 import _ob2_describe, _ob2_finding, _ob2_hosted_url_finding
from .ob3 import _ob3_describe, _ob3_finding
from .report import (
    _JWS,
    DEFAULT_MAX_TEXT_CHUNK,
    INVALID,
    UNVERIFIABLE,
    VC1_CONTEXT,
    Finding,
    Report,
    _combine,
    _error,
    max_pixels,
    max_upload_bytes,
)

# ================================================================== PNG


def _verify_png(data: bytes, *, email: str, now: dt.datetime) -> Report:
    try:
        baking.check_image_dimensions(data, max_pixels())
        chunks = baking.read_baked(data, max_bytes=max_upload_bytes(), max_text_chunk=DEFAULT_MAX_TEXT_CHUNK)
    except baking.BakingError as exc:
        return _error(exc.code, "png")
    findings: list[Finding] = []
    if baking.KEYWORD_OB2 in chunks:
        findings.append(_ob2_payload_finding(chunks[baking.KEYWORD_OB2], now=now))
    if baking.KEYWORD_OB3 in chunks:
        findings.append(_ob3_payload_finding(chunks[baking.KEYWORD_OB3], now=now))
    return _combine([_with_recipient(f, email) for f in findings], "png", bool(email))


def _ob2_payload_finding(text: str, *, now: dt.datetime) -> Finding:
    text = text.strip()
    if text.startswith("{"):
        try:
            document = credentials.parse_credential_json(text)
        except credentials.CredentialError as exc:
            return Finding(standard="2.0", status=INVALID, code=exc.code)
        return _ob2_finding(document, now=now)
    if text.lower().startswith(("http://", "https://")):
        # Legacy baking: the chunk holds only the hosted assertion's URL.
        return _ob2_hosted_url_finding(text, now=now)
    if _JWS.match(text):
        payload = _jws_payload(text)
        if payload is None:
            return Finding(standard="2.0", status=INVALID, code="unreadable_payload")
        finding = _ob2_describe(payload)
        return replace(finding, status=UNVERIFIABLE, code="key_not_fetched", checked_at_url=finding.issuer_id)
    return Finding(standard="2.0", status=INVALID, code="unreadable_payload")


def _ob3_payload_finding(text: str, *, now: dt.datetime) -> Finding:
    text = text.strip()
    if text.startswith("{"):
        try:
            document = credentials.parse_credential_json(text)
        except credentials.CredentialError as exc:
            return Finding(standard="3.0", status=INVALID, code=exc.code)
        return _ob3_finding(document, now=now)
    if _JWS.match(text):
        payload = _jws_payload(text)
        if payload is None:
            return Finding(standard="3.0", status=INVALID, code="unreadable_payload")
        inner = payload.get("vc") if isinstance(payload.get("vc"), dict) else payload
        return replace(_ob3_describe(inner), status=UNVERIFIABLE, code="jwt_not_checked")
    return Finding(standard="3.0", status=INVALID, code="unreadable_payload")


def _jws_payload(token: str) -> dict[str, Any] | None:
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        return credentials.parse_credential_json(signing.b64url_decode(parts[1]))
    except (signing.KeyFormatError, credentials.CredentialError):
        return None


def _document_finding(document: dict[str, Any], *, now: dt.datetime) -> Finding | None:
    types = _as_list(document.get("type"))
    contexts = _as_list(document.get("@context"))
    if "VerifiableCredential" in types or credentials.VC2_CONTEXT in contexts or VC1_CONTEXT in contexts:
        return _ob3_finding(document, now=now)
    if "Assertion" in types or ("recipient" in document and "badge" in document):
        return _ob2_finding(document, now=now)
    return None
