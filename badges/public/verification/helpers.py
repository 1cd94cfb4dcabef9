"""Small readers of untrusted documents (lists, texts, alignments, dates) and the recipient check."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from ...core import credentials
from .report import Finding

# ================================================================== small helpers


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _text(value: Any) -> str:
    """A display string from untrusted JSON: a string, a language value or a list of them."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        inner = value.get("@value")
        return inner if isinstance(inner, str) else ""
    if isinstance(value, list):
        values = [v for v in value if isinstance(v, dict) and isinstance(v.get("@value"), str)]
        for preferred in ("ja", "en"):
            for v in values:
                if v.get("@language") == preferred:
                    return str(v["@value"])
        for v in value:
            if isinstance(v, str):
                return v
        return str(values[0]["@value"]) if values else ""
    return ""


def _alignment_names(value: Any) -> tuple[str, ...]:
    names = []
    for item in _as_list(value)[:50]:
        if isinstance(item, dict):
            name = _text(item.get("targetName")).strip()
            if name and name not in names:
                names.append(name[:200])
    return tuple(names)


def _datetime(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed


# ================================================================== recipient check


def _with_recipient(finding: Finding, email: str) -> Finding:
    """Compare an email the holder typed with the badge's (hashed) recipient."""
    email = email.strip()
    if not email or not finding.recipient:
        return finding
    recipient = finding.recipient
    if recipient.get("type") not in ("email", "emailAddress"):
        return finding
    identity = recipient["identity"]
    if recipient.get("hashed"):
        if not identity.lower().startswith("sha256$"):
            return finding  # md5 or unknown: we do not check weak hashes
        match = credentials.verify_identity_hash(email, recipient.get("salt") or "", identity)
    else:
        match = identity.strip().lower() == email.lower()
    return replace(finding, recipient_match=match)
