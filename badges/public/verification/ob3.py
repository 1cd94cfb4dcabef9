"""OB 3.0 credentials: the signature against our keys or a did:key, the issuer, revocation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.urls import Resolver404, resolve

from ... import links
from ...core import credentials
from ...models import Award
from . import facts
from .helpers import _alignment_names, _as_list, _datetime, _text
from .own import _is_own_issuer, _own_key
from .report import (
    _MAX_TEXT,
    _MAX_URL_LENGTH,
    EXPIRED,
    INVALID,
    NOT_YET_VALID,
    REVOKED,
    UNVERIFIABLE,
    VALID,
    VC1_CONTEXT,
    Finding,
    _worse,
)

# The portal's own URLs, whichever URLs this process mounts (the public deployment mounts only
# the verify page and API; the documents are served from the published tree).
PORTAL_URLS = "hachioji_portal.urls"


def _verify_credential(document: dict[str, Any], *, now: dt.datetime) -> credentials.VerificationResult:
    return credentials.verify_credential(document, resolve_key=_own_key, now=now)


def _ob3_finding(
    document: dict[str, Any],
    *,
    now: dt.datetime,
    verify: Callable[..., credentials.VerificationResult] = _verify_credential,
    award: Award | None = None,
) -> Finding:
    """``award``: the row this credential was read from, if any (its status entry needs no query)."""
    described = _ob3_describe(document)
    contexts = _as_list(document.get("@context"))
    if contexts and contexts[0] == VC1_CONTEXT:
        return replace(described, status=UNVERIFIABLE, code="vc1_unsupported")
    result = verify(document, now=now)
    code = result.reason
    if code in ("ok", "expired", "not_yet_valid"):
        status = {"ok": VALID, "expired": EXPIRED, "not_yet_valid": NOT_YET_VALID}[code]
        is_own = _is_own_issuer(result.issuer_id or "")
        finding = replace(described, status=status, code=code, signature="valid", is_own=is_own)
        return _ob3_revocation(finding, result.status_entries, award=award)
    if code == "unknown_key" and not (result.verification_method or "").startswith("did:key:"):
        return replace(
            described,
            status=UNVERIFIABLE,
            code="issuer_key_unavailable",
            checked_at_url=_key_location(result.verification_method or ""),
        )
    if code in ("unsupported_proof", "unknown_context"):
        return replace(described, status=UNVERIFIABLE, code=code)
    signature = "invalid" if code in ("invalid_signature", "key_controller_mismatch") else "not_checked"
    return replace(described, status=INVALID, code=code, signature=signature)


def _key_location(verification_method: str) -> str:
    """Where a verifier with internet access would find the key (shown, never fetched)."""
    did = verification_method.partition("#")[0]
    if did.startswith("did:web:"):
        parts = [p.replace("%3A", ":") for p in did[len("did:web:") :].split(":")]
        if len(parts) == 1:
            return f"https://{parts[0]}/.well-known/did.json"[:500]
        return ("https://" + "/".join(parts) + "/did.json")[:500]
    if verification_method.lower().startswith("https://"):
        return verification_method[:500]
    return ""


def _ob3_revocation(finding: Finding, entries: Iterable[dict[str, Any]], *, award: Award | None = None) -> Finding:
    """Revocation from our own status list entries, answered from the Award rows (``award``:
    one already read in this request). Another issuer's list cannot be fetched from here: the
    badge is then ``unverifiable`` (never ``valid``), with ``check_at`` naming the list."""
    known = award
    revocation_entries = [e for e in entries if e.get("statusPurpose", "revocation") == "revocation"]
    if not revocation_entries:
        # No status entry: the issuer offers no revocation, so nothing to check.
        return replace(finding, revocation="not_revoked")
    for entry in revocation_entries:
        # Our status lists speak only for our own badges: a stranger's credential that points
        # at one of them is not answered from our rows.
        ours, award = (
            _award_for_status_entry(entry, known=known, credential_id=finding.credential_id)
            if finding.is_own
            else (False, None)
        )
        if not ours:
            url = _text(entry.get("statusListCredential"))[:500]
            finding = replace(finding, revocation="not_checked", checked_at_url=finding.checked_at_url or url)
            return _worse(finding, UNVERIFIABLE, "revocation_not_checked")
        if award is not None and award.is_revoked:
            # Revocation outranks expiry; the signature was valid (this runs only then).
            return replace(
                finding,
                status=REVOKED,
                code="revoked",
                revocation="revoked",
                revocation_reason=award.revocation_reason,
                award_id=award.pk,
            )
        if award is not None:
            finding = replace(finding, award_id=award.pk)
    return replace(finding, revocation="not_revoked")


def _award_for_status_entry(
    entry: dict[str, Any], *, known: Award | None = None, credential_id: str = ""
) -> tuple[bool, Award | None]:
    """(is the status list ours, the award at that entry). Not ours: it would have to be
    fetched. Ours with no award there: that bit is 0, so not revoked. ``known``: an award
    already read in this request, used when the entry is its own (no second query)."""
    url = entry.get("statusListCredential")
    base = settings.PORTAL_BASE_URL + "/"
    if not isinstance(url, str) or not url.startswith(base) or len(url) > _MAX_URL_LENGTH:
        return False, None
    try:
        match = resolve("/" + url[len(base) :], urlconf=PORTAL_URLS)
        index = int(str(entry.get("statusListIndex")))
    except (Resolver404, ValueError):
        return False, None
    if match.view_name != "public:status_list" or not 0 <= index < links.STATUS_LIST_SIZE:
        return False, None
    position = match.kwargs["list_number"] * links.STATUS_LIST_SIZE + index
    if (
        known is not None
        and known.status_list_index == position
        and str(known.issuer.public_id) == str(match.kwargs["public_id"])
    ):
        return True, known
    if facts.from_tree():
        found = facts.tree_award_at_status_entry(
            str(match.kwargs["public_id"]), match.kwargs["list_number"], index, credential_id
        )
        # A list the tree does not hold (not published yet, unreadable) cannot say "not
        # revoked": the badge is then unverifiable, as with another issuer's list.
        return (found is not None), found
    award = Award.objects.filter(issuer__public_id=match.kwargs["public_id"], status_list_index=position).first()
    return True, award


def _ob3_describe(document: dict[str, Any]) -> Finding:
    issuer = document.get("issuer")
    issuer_id = _text(issuer.get("id")) if isinstance(issuer, dict) else _text(issuer)
    issuer = issuer if isinstance(issuer, dict) else {}
    subject = document.get("credentialSubject")
    if isinstance(subject, list):
        subject = next((s for s in subject if isinstance(s, dict)), {})
    subject = subject if isinstance(subject, dict) else {}
    achievement = subject.get("achievement")
    achievement = achievement if isinstance(achievement, dict) else {}
    criteria = achievement.get("criteria")
    return Finding(
        standard="3.0",
        status=INVALID,
        code="not_credential",
        issuer_id=issuer_id[:500],
        issuer_name=_text(issuer.get("name"))[:300],
        issuer_url=_text(issuer.get("url"))[:500],
        achievement_name=(_text(achievement.get("name")) or _text(document.get("name")))[:300],
        achievement_description=(_text(achievement.get("description")) or _text(document.get("description")))[
            :_MAX_TEXT
        ],
        criteria=_text(criteria.get("narrative") if isinstance(criteria, dict) else criteria)[:_MAX_TEXT],
        skills=_alignment_names(achievement.get("alignment")),
        issued_at=_datetime(document.get("validFrom") or document.get("issuanceDate")),
        expires_at=_datetime(document.get("validUntil") or document.get("expirationDate")),
        credential_id=_text(document.get("id"))[:500],
        recipient=_ob3_recipient(subject.get("identifier")),
    )


def _ob3_recipient(identifiers: Any) -> dict[str, Any] | None:
    for item in _as_list(identifiers):
        if isinstance(item, dict) and isinstance(item.get("identityHash"), str):
            return {
                "type": _text(item.get("identityType")),
                "hashed": item.get("hashed") is True,
                "identity": item["identityHash"][:200],
                "salt": _text(item.get("salt"))[:200],
            }
    return None
