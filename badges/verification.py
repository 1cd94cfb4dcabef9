"""Verify a badge that someone hands us: a baked PNG, credential JSON, or a URL of this portal.

Used by the public verify page and API, the share page and the learning portfolio. The input
is untrusted: every limit is checked before anything is decoded, every problem becomes a
``Report`` with a stable ``code`` (the web layer translates it with :func:`message_for`), and
nothing here raises for bad input.

What can be checked here, and what cannot (the city network does not reach the internet):

* **This portal's own badges**, fully: the OB 2.0 hosted assertion is looked up in the
  ``Award`` table (the hosted copy is the truth; a baked copy that differs is reported as
  altered), the OB 3.0 signature is checked against our keys (did:web or did:key), and the
  status list entry is answered from the ``Award`` row, not over HTTP.
* **OB 3.0 credentials of did:key issuers**: signature and dates. Revocation only if the
  issuer offers none; a status list on another site cannot be fetched, so such a badge is
  ``unverifiable`` with ``check_at`` naming the list, never ``valid``.
* **Anything else** (OB 2.0 hosted by another issuer, signed OB 2.0, VC-JWT, did:web of
  another issuer, VC 1.1 credentials): reported honestly as *cannot be checked here*, with
  where the issuer publishes it, never as valid.

A correct signature proves only that *someone* signed. ``valid`` also needs the signer to be
this portal or an issuer in the register of trusted issuers (``badges/trust.py``), in force on
the issue date: a stranger's correct signature is ``unknown_issuer``, and a badge that claims a
registered issuer's name (or ours) under another identifier is ``invalid``/``impersonation``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.db.models import QuerySet
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from . import baking, credentials, keys, links, prepared, signing, trust
from .models import Award, BadgeClass, Issuer, SigningKey

# --- limits (settings may lower or raise them) ------------------------------------------
DEFAULT_MAX_UPLOAD_BYTES: Final = 5 * 1024 * 1024
DEFAULT_MAX_PIXELS: Final = 4096 * 4096  # a badge is 600 x 600; bombs claim gigapixels
DEFAULT_MAX_TEXT_CHUNK: Final = 1024 * 1024
_MAX_URL_LENGTH: Final = 2000
_MAX_TEXT: Final = 2000  # longest description shown

# --- statuses, worst first ---------------------------------------------------------------
VALID: Final = "valid"
INVALID: Final = "invalid"
REVOKED: Final = "revoked"
UNKNOWN_ISSUER: Final = "unknown_issuer"
EXPIRED: Final = "expired"
NOT_YET_VALID: Final = "not_yet_valid"
UNVERIFIABLE: Final = "unverifiable"
ERROR: Final = "error"
# An unknown issuer outranks expiry: "who signed this?" matters before "is it still in date?".
_SEVERITY: Final = {
    ERROR: 7,
    INVALID: 6,
    REVOKED: 5,
    UNKNOWN_ISSUER: 4,
    EXPIRED: 3,
    NOT_YET_VALID: 2,
    UNVERIFIABLE: 1,
    VALID: 0,
}

VC1_CONTEXT: Final = "https://www.w3.org/2018/credentials/v1"
_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


def max_upload_bytes() -> int:
    return int(getattr(settings, "BADGE_VERIFY_MAX_BYTES", DEFAULT_MAX_UPLOAD_BYTES))


def max_pixels() -> int:
    return int(getattr(settings, "BADGE_VERIFY_MAX_PIXELS", DEFAULT_MAX_PIXELS))


# Every code a report can carry, with the sentence a person reads. English msgids; the
# Japanese is in docs/_pending_translations/badges.po.
MESSAGES: Final[dict[str, Promise]] = {
    # results
    "ok": _(
        "The badge is genuine: it was issued by this city or by an issuer in the city's register, its "
        "signature (or the city's own record of it) was checked, and it is neither revoked nor expired."
    ),
    "revoked": _("The issuer has revoked this badge."),
    "expired": _("The badge has expired."),
    "not_yet_valid": _("The badge is not valid yet (its start date is in the future)."),
    "invalid_signature": _("The signature does not match: the badge was altered after it was issued."),
    "assertion_mismatch": _("The badge data in the file differs from the issuer's record: the file was altered."),
    "chunks_disagree": _("The two badge records in the image belong to different badges: the file was altered."),
    "unknown_badge": _("This portal has no badge with this address."),
    "hosted_elsewhere": _(
        "This badge cannot be checked here: its issuer hosts it on another site, which the city network "
        "cannot reach. Check it at the address below."
    ),
    "key_not_fetched": _(
        "This signed Open Badges 2.0 badge cannot be checked here: the issuer's key is published on another "
        "site, which the city network cannot reach."
    ),
    "issuer_key_unavailable": _(
        "This badge cannot be checked here: the issuer's key is published on another site, which the city "
        "network cannot reach."
    ),
    "jwt_not_checked": _("This badge is a signed JWT, which this portal cannot check yet."),
    "vc1_unsupported": _(
        "This badge uses the older Verifiable Credentials 1.1 format, which this portal cannot check."
    ),
    "unsupported_proof": _("The badge is signed with a method this portal cannot check."),
    "unknown_context": _("The badge uses a vocabulary this portal does not know, so it cannot be checked here."),
    # who signed it (the register of trusted issuers)
    "unknown_issuer": _(
        "Signed by an issuer this city does not know. The signature is correct, but anyone can make a key and "
        "sign with it: this proves nothing about who issued the badge. Do not treat it as genuine unless you "
        "know the identifier below belongs to the issuer."
    ),
    "issuer_not_in_force": _(
        "Signed by an issuer in the city's register, but the issuer was not trusted on the date this badge was issued."
    ),
    "impersonation": _(
        "Impersonation: the badge names an issuer the city knows, but it was not issued under any identifier of "
        "that issuer. Someone else signed it in that issuer's name."
    ),
    "revocation_not_checked": _(
        "The signature is correct, but whether the issuer has revoked this badge can only be checked on the "
        "issuer's site, which the city network cannot reach. Check it at the address below."
    ),
    # unreadable input
    "no_input": _("Choose a badge image or credential file, paste a credential, or give a badge address."),
    "empty": _("The file is empty."),
    "unsupported_file": _("This is neither a PNG image nor a JSON file. Upload a baked badge image (PNG) or JSON."),
    "file_too_large": _("The file is too large to be a badge."),
    "too_large": _("The credential is too large (at most 1 MB)."),
    "not_png": _("This is not a PNG image."),
    "truncated": _("The image is incomplete (the file was cut off or a part claims a wrong length)."),
    "bad_chunk": _("The image is damaged: it contains a part that is not valid PNG."),
    "bad_crc": _("The image is damaged or was altered: a checksum does not match."),
    "bad_ihdr": _("The image header is invalid."),
    "chunk_too_large": _("The badge data in the image is too large."),
    "bad_text_chunk": _("The badge data in the image cannot be read."),
    "duplicate_chunk": _("The image contains the same kind of badge data twice, which is not allowed."),
    "no_badge": _("This image contains no Open Badge data. Upload the badge image as the issuer sent it."),
    "image_too_large": _("The image has too many pixels to be a badge."),
    "bad_keyword": _("The badge data in the image cannot be read."),
    "invalid_json": _("This is not valid JSON."),
    "duplicate_key": _("The JSON has a key twice, so it is ambiguous."),
    "too_deep": _("The JSON is nested too deeply to be a badge."),
    "too_many_nodes": _("The JSON has too many values to be a badge."),
    "not_object": _("The JSON must be an object ({ … }), not a list or a single value."),
    "invalid_value": _("The JSON contains a value that is not allowed in a badge."),
    "blank_node_id": _("The credential uses blank-node identifiers, which are not allowed."),
    "not_a_badge": _("This JSON is not an Open Badge (neither an OB 2.0 assertion nor an OB 3.0 credential)."),
    "unreadable_payload": _("The badge data in the image cannot be read."),
    # credential structure
    "bad_context": _("The credential's @context is not that of an Open Badges 3.0 credential."),
    "not_credential": _("This is not a verifiable credential."),
    "missing_issuer": _("The credential names no issuer."),
    "no_proof": _("The credential is not signed."),
    "multiple_proofs": _("The credential has more than one signature, which this portal does not support."),
    "wrong_purpose": _("The signature is not meant for issuing credentials."),
    "bad_proof": _("The signature is malformed."),
    "unknown_key": _("The issuer's key could not be found."),
    "key_controller_mismatch": _("The badge was signed with a key that does not belong to its issuer."),
    "undefined_term": _("The credential contains data outside its vocabulary, which the signature would not cover."),
    "jsonld_error": _("The credential cannot be processed."),
    "too_complex": _(
        "The badge is built so that checking it would take too long (far more work than any real badge "
        "needs), so it was not checked. It is not accepted as genuine."
    ),
    "bad_date": _("A date in the badge is invalid."),
    "bad_status_list": _("The badge's revocation entry is invalid."),
    # URLs
    "url_elsewhere": _(
        "Only badge addresses of this portal can be checked here (the city network does not fetch other "
        "sites). Download the badge image or credential from its issuer and upload it instead."
    ),
    "not_a_badge_url": _("This address of the portal is not a badge."),
    "bad_url": _("This is not a valid web address."),
    "unsupported_request": _(
        "Send the badge as a multipart form field named file, or as JSON with a credential or url member."
    ),
    # the portfolio
    "own_badge": _("This badge was issued by this portal: it is already in your badges."),
    "duplicate": _("You have already added this badge."),
    "unreadable": _("The file cannot be read as a badge."),
    "busy": _("Too many badges are being checked right now. Please try again in a few seconds."),
}


def message_for(code: str) -> Promise | str:
    return MESSAGES.get(code, MESSAGES["unreadable"])


STATUS_LABELS: Final[dict[str, Promise]] = {
    VALID: _("Valid"),
    INVALID: _("Not valid"),
    REVOKED: _("Revoked"),
    UNKNOWN_ISSUER: _("Unknown issuer"),
    EXPIRED: _("Expired"),
    NOT_YET_VALID: _("Not valid yet"),
    UNVERIFIABLE: _("Cannot be checked here"),
    ERROR: _("Cannot be read"),
}


@dataclass(frozen=True)
class Finding:
    """What one badge document (OB 2.0 assertion or OB 3.0 credential) says and how it checks out."""

    standard: str  # "2.0" | "3.0"
    status: str
    code: str
    signature: str = "not_checked"  # valid | invalid | hosted (the issuer's record on this portal) | not_checked
    revocation: str = "not_checked"  # not_revoked | revoked | not_checked
    revocation_reason: str = ""
    issuer_id: str = ""
    issuer_name: str = ""
    issuer_url: str = ""
    achievement_name: str = ""
    achievement_description: str = ""
    criteria: str = ""
    skills: tuple[str, ...] = ()
    issued_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None
    credential_id: str = ""
    checked_at_url: str = ""  # where the issuer publishes the badge or its key (unverifiable)
    recipient: dict[str, Any] | None = None  # {"type", "hashed", "identity", "salt"}
    recipient_match: bool | None = None
    award_id: int | None = None  # this portal's award (never exported)
    is_own: bool = False
    # Who the city says the issuer is (badges/trust.py): this_portal | registered | not_in_force |
    # impersonation | unknown; "" when nothing names an issuer. ``registered_as``: the register's
    # name of the matched (or impersonated) issuer.
    issuer_trust: str = ""
    registered_as: str = ""

    @property
    def issuer_is_known(self) -> bool:
        return self.issuer_trust in (trust.THIS_PORTAL, trust.REGISTERED)

    @property
    def message(self) -> Promise | str:
        return message_for(self.code)

    @property
    def status_label(self) -> Promise | str:
        return STATUS_LABELS[self.status]

    @property
    def is_expired(self) -> bool | None:
        if self.status == EXPIRED:
            return True
        if self.expires_at is None:
            return None if self.status in (INVALID, UNVERIFIABLE) else False
        return self.expires_at <= timezone.now()

    def to_dict(self) -> dict[str, Any]:
        return {
            "standard": self.standard,
            "status": self.status,
            "code": self.code,
            "signature": self.signature,
            "revocation": self.revocation,
            "revocation_reason": self.revocation_reason,
            "expired": self.is_expired,
            "issuer": {
                "id": self.issuer_id,
                "name": self.issuer_name,
                "url": self.issuer_url,
                "trust": self.issuer_trust or None,
                "registered_as": self.registered_as or None,
            },
            "achievement": {
                "name": self.achievement_name,
                "description": self.achievement_description,
                "criteria": self.criteria,
                "skills": list(self.skills),
            },
            "issued_at": self.issued_at.isoformat() if self.issued_at else None,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "credential_id": self.credential_id,
            "check_at": self.checked_at_url,
            "recipient_match": self.recipient_match,
            "issued_by_this_portal": self.is_own,
        }


@dataclass(frozen=True)
class Report:
    status: str
    code: str
    input_kind: str  # png | json | url | award
    findings: tuple[Finding, ...] = ()
    checked_at: dt.datetime = field(default_factory=timezone.now)
    recipient_checked: bool = False

    @property
    def message(self) -> Promise | str:
        return message_for(self.code)

    @property
    def status_label(self) -> Promise | str:
        return STATUS_LABELS[self.status]

    @property
    def standards(self) -> list[str]:
        return sorted({f.standard for f in self.findings})

    @property
    def main(self) -> Finding | None:
        """The finding to describe the badge by: OB 3.0 if it checked out no worse than 2.0."""
        if not self.findings:
            return None
        return min(self.findings, key=lambda f: (_SEVERITY[f.status], f.standard != "3.0"))

    @property
    def recipient_match(self) -> bool | None:
        results = [f.recipient_match for f in self.findings if f.recipient_match is not None]
        if not results:
            return None
        return all(results)

    @property
    def is_own(self) -> bool:
        return any(f.is_own for f in self.findings)

    def to_dict(self, *, messages: bool = True) -> dict[str, Any]:
        """The API's report (documented in docs/api-verify.md); codes are stable, messages are
        in the current language (left out for storage)."""
        report: dict[str, Any] = {
            "status": self.status,
            "code": self.code,
            "input": self.input_kind,
            "standards": self.standards,
            "checked_at": self.checked_at.isoformat(),
            "recipient_match": self.recipient_match if self.recipient_checked else None,
            "findings": [f.to_dict() for f in self.findings],
        }
        if messages:
            report["message"] = str(self.message)
            for item, finding in zip(report["findings"], self.findings, strict=True):
                item["message"] = str(finding.message)
        return report


def _error(code: str, input_kind: str) -> Report:
    return Report(status=ERROR, code=code, input_kind=input_kind)


def _worse(finding: Finding, status: str, code: str) -> Finding:
    """The finding with ``status``/``code`` if that is worse than what it already says."""
    if _SEVERITY[status] > _SEVERITY[finding.status]:
        return replace(finding, status=status, code=code)
    return finding


def _with_trust(finding: Finding, register: trust.Register | None) -> Finding:
    """Who issued it, for the city: ``valid`` needs this portal or a registered issuer in force
    on the issue date. A claimed name that is a registered issuer's (or ours) under another
    identifier is an impersonation, whatever else was or was not checked."""
    if finding.is_own:
        return replace(finding, issuer_trust=trust.THIS_PORTAL)
    if register is None or not (finding.issuer_id or finding.issuer_name):
        return finding
    hosted_at = finding.credential_id if finding.standard == "2.0" else ""
    verdict = trust.classify(
        register=register,
        issuer_id=finding.issuer_id,
        claimed_name=finding.issuer_name,
        issued_on=timezone.localdate(finding.issued_at) if finding.issued_at else None,
        hosted_at=hosted_at,
    )
    finding = replace(finding, issuer_trust=verdict.state, registered_as=verdict.name)
    if verdict.state == trust.IMPERSONATION:
        return _worse(finding, INVALID, "impersonation")
    # "Signed by an issuer this city does not know" says the signature checked: only then. An
    # unchecked badge stays "cannot be checked here" (its issuer_trust says who it claims to be).
    if finding.signature == "valid" and verdict.state == trust.UNKNOWN:
        return _worse(finding, UNKNOWN_ISSUER, "unknown_issuer")
    if finding.signature == "valid" and verdict.state == trust.NOT_IN_FORCE:
        return _worse(finding, UNKNOWN_ISSUER, "issuer_not_in_force")
    return finding


def _combine(findings: list[Finding], input_kind: str, recipient_checked: bool) -> Report:
    own_awards = {f.award_id for f in findings if f.award_id is not None}
    if len(own_awards) > 1:
        findings = [replace(f, status=INVALID, code="chunks_disagree") for f in findings]
    # The register is read only for badges that are not this portal's (ours need no query).
    register = trust.load_register() if any(not f.is_own for f in findings) else None
    findings = [_with_trust(f, register) for f in findings]
    worst = max(findings, key=lambda f: _SEVERITY[f.status])
    return Report(
        status=worst.status,
        code=worst.code,
        input_kind=input_kind,
        findings=tuple(findings),
        recipient_checked=recipient_checked,
    )


# ================================================================== entry points


def verify_bytes(data: bytes, *, email: str = "", now: dt.datetime | None = None) -> Report:
    """Verify an uploaded file: a baked PNG or a JSON document."""
    now = now or timezone.now()
    if not data:
        return _error("empty", "file")
    if len(data) > max_upload_bytes():
        return _error("file_too_large", "file")
    if data.startswith(baking.PNG_SIGNATURE):
        return _verify_png(data, email=email, now=now)
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"{", b"[", b'"')) or head[:1].isdigit() or head.startswith((b"true", b"false", b"null")):
        return verify_json_text(data, email=email, now=now)
    return _error("unsupported_file", "file")


def verify_json_text(text: str | bytes, *, email: str = "", now: dt.datetime | None = None) -> Report:
    """Verify a pasted or uploaded JSON document (OB 2.0 assertion or OB 3.0 credential)."""
    now = now or timezone.now()
    if not text.strip():
        return _error("empty", "json")
    try:
        document = credentials.parse_credential_json(text)
    except credentials.CredentialError as exc:
        return _error(exc.code, "json")
    finding = _document_finding(document, now=now)
    if finding is None:
        return _error("not_a_badge", "json")
    return _combine([_with_recipient(finding, email)], "json", bool(email))


def verify_url(url: str, *, email: str = "", now: dt.datetime | None = None) -> Report:
    """Verify a badge URL. Only this portal's URLs: the city network does not fetch other sites."""
    now = now or timezone.now()
    url = url.strip()
    if not url:
        return _error("no_input", "url")
    if len(url) > _MAX_URL_LENGTH or not url.lower().startswith(("http://", "https://")):
        return _error("bad_url", "url")
    base = settings.PORTAL_BASE_URL + "/"
    if not url.startswith(base):
        return _error("url_elsewhere", "url")
    path = "/" + url[len(base) :].split("#", 1)[0].split("?", 1)[0]
    try:
        match = resolve(path)
    except Resolver404:
        return _error("not_a_badge_url", "url")
    award: Award | None = None
    if match.view_name in ("public:assertion", "public:credential", "public:award_image", "public:assertion_qr"):
        award = _own_award(public_id=match.kwargs["public_id"])
    elif match.view_name in ("public:share", "public:share_qr"):
        award = (
            _own_awards()
            .select_related("badge_class", "issuer")
            .filter(share_token=match.kwargs["share_token"], visibility=Award.Visibility.PUBLIC)
            .first()
        )
    else:
        return _error("not_a_badge_url", "url")
    if award is None:
        return _error("unknown_badge", "url")
    report = verify_award(award, now=now, email=email)
    return replace(report, input_kind="url")


def verify_award(award: Award, *, now: dt.datetime | None = None, email: str = "") -> Report:
    """Check one of this portal's awards from its stored documents (share page, URL input)."""
    now = now or timezone.now()
    findings = [_with_recipient(_own_ob2_finding(award, now=now), email)]
    if award.credential:
        finding = _ob3_finding(award.credential, now=now, verify=_verify_stored_credential, award=award)
        findings.append(_with_recipient(finding, email))
    return _combine(findings, "award", bool(email))


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


# ================================================================== OB 2.0


def _assertion_prefix() -> str:
    return links.absolute("/public/assertions/")


# What a check of one of our awards reads (``_own_ob2_finding``, ``_ob3_finding``,
# ``_ob3_revocation``, ``_ob2_finding``): 20 of the 59 columns of the award and its badge class
# and issuer. Revocation (``status``, ``revocation_reason``) is among them, so it is still read
# on every request. Compiling this query was most of a check by URL (docs/benchmarks.md,
# "Load"): it is compiled once (``prepared.PreparedRow``) and the award is built from the row.
_OWN_AWARD_FIELDS: Final = {
    Award: (
        "id",
        "public_id",
        "status",
        "issued_at",
        "expires_at",
        "revocation_reason",
        "status_list_index",
        "credential",
        "assertion",
        "badge_class_id",
        "issuer_id",
    ),
    BadgeClass: ("id", "name", "description", "criteria", "alignments"),
    Issuer: ("id", "public_id", "name", "url"),
}
_OWN_AWARD_PATHS: Final = {Award: "", BadgeClass: "badge_class__", Issuer: "issuer__"}


def _own_awards() -> QuerySet[Award]:
    return Award.objects.public()


_OWN_AWARD_ROW = prepared.PreparedRow(
    lambda public_id: (
        _own_awards()
        .filter(public_id=public_id)
        .values_list(*(_OWN_AWARD_PATHS[m] + f for m, fields in _OWN_AWARD_FIELDS.items() for f in fields))[:1]
    ),
    field=Award._meta.get_field("public_id"),
    placeholder=uuid.UUID(int=0),
)


def _from_row(model: Any, row: dict[str, Any], alias: str) -> Any:
    """An instance with only these fields loaded (``from_db`` wants them in the model's order)."""
    wanted = set(_OWN_AWARD_FIELDS[model])
    names = [f.attname for f in model._meta.concrete_fields if f.attname in wanted]
    return model.from_db(alias, names, [row[_OWN_AWARD_PATHS[model] + name] for name in names])


def _own_award(*, public_id: Any) -> Award | None:
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        return None
    alias = Award.objects.db
    row = _OWN_AWARD_ROW.fetch(key, alias=alias)
    if row is None:
        return None
    award, badge, issuer = (_from_row(model, row, alias) for model in _OWN_AWARD_FIELDS)
    award.badge_class, award.issuer = badge, issuer  # as select_related would
    return award


def _own_award_from_assertion_url(url: str) -> tuple[bool, Award | None]:
    """(is the URL one of our assertions, the issued or revoked award behind it)."""
    prefix = _assertion_prefix()
    if not url.startswith(prefix):
        return False, None
    rest = url[len(prefix) :].split("?", 1)[0].split("#", 1)[0].rstrip("/")
    return True, _own_award(public_id=rest)


def _ob2_hosted_url_finding(url: str, *, now: dt.datetime) -> Finding:
    ours, award = _own_award_from_assertion_url(url)
    if not ours:
        return Finding(standard="2.0", status=UNVERIFIABLE, code="hosted_elsewhere", checked_at_url=url[:500])
    if award is None:
        return Finding(standard="2.0", status=INVALID, code="unknown_badge", credential_id=url[:500])
    return _own_ob2_finding(award, now=now)


def _ob2_finding(document: dict[str, Any], *, now: dt.datetime) -> Finding:
    assertion_id = document.get("id") if isinstance(document.get("id"), str) else ""
    verification = document.get("verification") or document.get("verify")
    vtype = verification.get("type") if isinstance(verification, dict) else None
    ours, award = _own_award_from_assertion_url(assertion_id)
    if ours:
        if award is None:
            return replace(_ob2_describe(document), status=INVALID, code="unknown_badge")
        finding = _own_ob2_finding(award, now=now)
        if award.is_revoked:
            return finding
        if award.assertion != document:
            return replace(finding, status=INVALID, code="assertion_mismatch")
        return finding
    described = _ob2_describe(document)
    if vtype in ("SignedBadge", "signed"):
        return replace(described, status=UNVERIFIABLE, code="key_not_fetched", checked_at_url=described.issuer_id)
    if assertion_id.lower().startswith(("http://", "https://")):
        return replace(described, status=UNVERIFIABLE, code="hosted_elsewhere", checked_at_url=assertion_id[:500])
    return replace(described, status=INVALID, code="unknown_badge")


def _ob2_describe(document: dict[str, Any]) -> Finding:
    """What an OB 2.0 assertion from elsewhere says (unchecked)."""
    badge = document.get("badge")
    badge = badge if isinstance(badge, dict) else {}
    issuer = badge.get("issuer")
    issuer_id = _text(issuer.get("id")) if isinstance(issuer, dict) else _text(issuer)
    issuer = issuer if isinstance(issuer, dict) else {}
    criteria = badge.get("criteria")
    recipient = document.get("recipient")
    return Finding(
        standard="2.0",
        status=UNVERIFIABLE,
        code="hosted_elsewhere",
        issuer_id=issuer_id[:500],
        issuer_name=_text(issuer.get("name"))[:300],
        issuer_url=_text(issuer.get("url"))[:500],
        achievement_name=_text(badge.get("name"))[:300],
        achievement_description=_text(badge.get("description"))[:_MAX_TEXT],
        criteria=_text(criteria.get("narrative") if isinstance(criteria, dict) else criteria)[:_MAX_TEXT],
        skills=_alignment_names(badge.get("alignment")),
        issued_at=_datetime(document.get("issuedOn")),
        expires_at=_datetime(document.get("expires")),
        credential_id=_text(document.get("id"))[:500],
        recipient=_ob2_recipient(recipient),
    )


def _ob2_recipient(recipient: Any) -> dict[str, Any] | None:
    if not isinstance(recipient, dict) or not isinstance(recipient.get("identity"), str):
        return None
    return {
        "type": _text(recipient.get("type")),
        "hashed": recipient.get("hashed") is True,
        "identity": recipient["identity"][:200],
        "salt": _text(recipient.get("salt"))[:200],
    }


def _own_ob2_finding(award: Award, *, now: dt.datetime) -> Finding:
    """Hosted verification of our own assertion: the award row is the issuer's record."""
    badge = award.badge_class
    base = Finding(
        standard="2.0",
        status=VALID,
        code="ok",
        signature="hosted",
        revocation="not_revoked",
        issuer_id=links.issuer_url(award.issuer.public_id),
        issuer_name=award.issuer.name,
        issuer_url=award.issuer.url,
        achievement_name=badge.name,
        achievement_description=badge.description,
        criteria=badge.criteria,
        skills=_alignment_names(badge.alignments),
        issued_at=award.issued_at,
        expires_at=award.expires_at,
        credential_id=links.assertion_url(award.public_id),
        recipient=_ob2_recipient((award.assertion or {}).get("recipient")),
        award_id=award.pk,
        is_own=True,
    )
    if award.is_revoked:
        return replace(
            base, status=REVOKED, code="revoked", revocation="revoked", revocation_reason=award.revocation_reason
        )
    if award.is_expired(now):
        return replace(base, status=EXPIRED, code="expired")
    return base


# ================================================================== OB 3.0


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
    if not SigningKey.objects.filter(issuer__is_default=True, public_key_multibase=fragment).exists():
        return None
    return signing.public_key_from_multibase(fragment)


def _is_own_issuer(issuer_id: str) -> bool:
    if issuer_id in own_dids():
        return True
    if issuer_id.startswith("did:key:"):
        multibase = issuer_id[len("did:key:") :][:64]
        if multibase in _own_key_memo:  # keys are never deleted: a yes stays a yes
            return True
        if SigningKey.objects.filter(public_key_multibase=multibase).exists():
            _own_key_memo.add(multibase)
            return True
    return False


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
        ours, award = _award_for_status_entry(entry, known=known) if finding.is_own else (False, None)
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


def _award_for_status_entry(entry: dict[str, Any], *, known: Award | None = None) -> tuple[bool, Award | None]:
    """(is the status list ours, the award at that entry). Not ours: it would have to be
    fetched. Ours with no award there: that bit is 0, so not revoked. ``known``: an award
    already read in this request, used when the entry is its own (no second query)."""
    url = entry.get("statusListCredential")
    base = settings.PORTAL_BASE_URL + "/"
    if not isinstance(url, str) or not url.startswith(base) or len(url) > _MAX_URL_LENGTH:
        return False, None
    try:
        match = resolve("/" + url[len(base) :])
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
