"""The verifier's vocabulary: limits, statuses worst first, messages, ``Finding`` and ``Report``,
and how findings combine into a report."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from typing import Any, Final

from django.conf import settings
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ... import trust
from . import facts

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
    "not_published": _(
        "This badge's Open Badges 2.0 record is not published: its holder does not share it, or there is no "
        "badge at this address. It cannot be checked here; its signed Open Badges 3.0 credential (the file "
        "or the JSON) can be."
    ),
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
    register = facts.register() if any(not f.is_own for f in findings) else None
    findings = [_with_trust(f, register) for f in findings]
    worst = max(findings, key=lambda f: _SEVERITY[f.status])
    return Report(
        status=worst.status,
        code=worst.code,
        input_kind=input_kind,
        findings=tuple(findings),
        recipient_checked=recipient_checked,
    )
