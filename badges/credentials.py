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

  Canonicalisation runs offline and in safe mode (``badges.jsonld``), so data the
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
"""

from __future__ import annotations

import copy
import gzip
import hashlib
import json
import re
import secrets
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from badges import signing
from badges.jsonld import CanonicalizationError, DocumentLoader, canonicalize

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


# ============================================================ safe JSON handling

# Characters that matter for nesting: quotes, backslashes and brackets.
_STRUCTURAL = re.compile(r'["\\\[\]{}]')


def _prescan_depth(text: str, max_depth: int) -> None:
    """Reject over-deep JSON *before* json.loads, which recurses in C and Python.

    Scans only structural characters, tracking whether we are inside a string and
    which character a backslash escapes.  Malformed input is left for json.loads.
    """
    depth = 0
    in_string = False
    escaped_at = -1
    for match in _STRUCTURAL.finditer(text):
        i = match.start()
        if i == escaped_at:
            continue
        ch = text[i]
        if in_string:
            if ch == "\\":
                escaped_at = i + 1
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > max_depth:
                raise CredentialError("too_deep", "JSON is nested too deeply")
        elif ch in "]}":
            depth -= 1


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Duplicate keys are legal-ish JSON but parsers disagree on which one wins, so a
    # signature checked over one reading could be shown with the other.  Refuse.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise CredentialError("duplicate_key", "JSON object has a duplicate key")
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise CredentialError("invalid_json", f"{name} is not valid JSON")


def parse_credential_json(
    text: str | bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> dict[str, Any]:
    """Parse untrusted credential JSON into a dict; raises only :class:`CredentialError`."""
    if isinstance(text, (bytes, bytearray)):
        if len(text) > max_bytes:
            raise CredentialError("too_large", "JSON document is too large")
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise CredentialError("invalid_json", "JSON is not valid UTF-8") from None
    if not isinstance(text, str):
        raise CredentialError("invalid_json", "expected text")
    if len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise CredentialError("too_large", "JSON document is too large")
    _prescan_depth(text, max_depth)
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except CredentialError:
        raise
    except (ValueError, RecursionError) as exc:
        # JSONDecodeError and the int-digits limit are ValueErrors.
        raise CredentialError("invalid_json", f"invalid JSON: {str(exc)[:120]}") from None
    if not isinstance(value, dict):
        raise CredentialError("not_object", "a credential must be a JSON object")
    check_json_limits(value, max_depth=max_depth, max_nodes=max_nodes)
    return value


def check_json_limits(
    value: Any,
    *,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> None:
    """Check that ``value`` is plain, bounded JSON data, without recursion.

    Also refuses blank-node identifiers (strings or keys starting ``_:``): our
    credentials never use them, and they are the only way to build the cyclic
    blank-node graphs that make RDF canonicalisation explode.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    nodes = 0
    while stack:
        item, depth = stack.pop()
        nodes += 1
        if nodes > max_nodes:
            raise CredentialError("too_many_nodes", "JSON document has too many values")
        if isinstance(item, dict):
            if depth > max_depth:
                raise CredentialError("too_deep", "JSON is nested too deeply")
            for key, child in item.items():
                if not isinstance(key, str):
                    raise CredentialError("invalid_value", "JSON object keys must be strings")
                if key.startswith("_:"):
                    raise CredentialError("blank_node_id", "blank node identifiers are not allowed")
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            if depth > max_depth:
                raise CredentialError("too_deep", "JSON is nested too deeply")
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            if item.startswith("_:"):
                raise CredentialError("blank_node_id", "blank node identifiers are not allowed")
        elif isinstance(item, float):
            if item != item or item in (float("inf"), float("-inf")):
                raise CredentialError("invalid_value", "NaN/Infinity are not JSON")
        elif item is None or isinstance(item, (bool, int)):
            pass
        else:
            raise CredentialError("invalid_value", f"{type(item).__name__} is not a JSON value")


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


# ============================================================= document builders


@dataclass(frozen=True)
class LocalizedText:
    """Japanese (primary) and optional English text."""

    ja: str
    en: str | None = None

    def primary(self) -> str:
        return self.ja

    def language_values(self) -> list[dict[str, str]] | str:
        """VC DM 2.0 section 11.1 language value objects (ja first)."""
        if not self.en:
            return self.ja
        return [{"@value": self.ja, "@language": "ja"}, {"@value": self.en, "@language": "en"}]


@dataclass(frozen=True)
class Evidence:
    url: str | None = None  # evidence page; None for ephemeral evidence
    name: str | None = None
    narrative: str | None = None
    description: str | None = None
    genre: str | None = None


@dataclass(frozen=True)
class Alignment:
    target_name: str
    target_url: str
    target_code: str | None = None
    target_framework: str | None = None
    target_description: str | None = None
    target_type: str | None = None  # OB 3.0 only, e.g. "CFItem", "ext:..."


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _evidence_ob2(items: Iterable[Evidence]) -> list[dict[str, Any]]:
    return [
        _drop_none(
            {
                "id": e.url,
                "type": "Evidence",
                "name": e.name,
                "narrative": e.narrative,
                "description": e.description,
                "genre": e.genre,
            }
        )
        for e in items
    ]


def build_ob2_issuer(
    *,
    issuer_url: str,
    name: str,
    url: str,
    email: str,
    description: str | None = None,
    image_url: str | None = None,
    telephone: str | None = None,
    allowed_origins: Sequence[str] | None = None,
) -> dict[str, Any]:
    """OB 2.0 issuer Profile.  ``allowed_origins`` widens the hosted-verification scope
    when assertions are served from another host than ``issuer_url`` (pitfall 2.0-4)."""
    doc: dict[str, Any] = {
        "@context": OB2_CONTEXT,
        "type": "Issuer",
        "id": issuer_url,
        "name": name,
        "url": url,
        "email": email,
    }
    doc.update(_drop_none({"description": description, "image": image_url, "telephone": telephone}))
    if allowed_origins:
        doc["verification"] = {"type": "VerificationObject", "allowedOrigins": list(allowed_origins)}
    return doc


def build_ob2_badge_class(
    *,
    badge_class_url: str,
    issuer_url: str,
    name: str,
    description: str,
    image_url: str,
    criteria_url: str | None = None,
    criteria_narrative: str | None = None,
    alignments: Sequence[Alignment] = (),
    tags: Sequence[str] = (),
) -> dict[str, Any]:
    """OB 2.0 BadgeClass.  OB 2.0 has no language maps: pass the primary-language text."""
    if not criteria_url and not criteria_narrative:
        raise CredentialError("bad_argument", "criteria needs a URL or a narrative")
    doc: dict[str, Any] = {
        "@context": OB2_CONTEXT,
        "type": "BadgeClass",
        "id": badge_class_url,
        "name": name,
        "description": description,
        "image": image_url,
        "criteria": _drop_none({"id": criteria_url, "narrative": criteria_narrative}),
        "issuer": issuer_url,
    }
    if alignments:
        doc["alignment"] = [
            _drop_none(
                {
                    "targetName": a.target_name,
                    "targetUrl": a.target_url,
                    "targetDescription": a.target_description,
                    "targetFramework": a.target_framework,
                    "targetCode": a.target_code,
                }
            )
            for a in alignments
        ]
    if tags:
        doc["tags"] = list(tags)
    return doc


def build_ob2_assertion(
    *,
    assertion_url: str,
    badge_class_url: str,
    recipient_email: str,
    salt: str,
    issued_on: datetime | str,
    expires: datetime | str | None = None,
    evidence: Sequence[Evidence] = (),
    narrative: str | None = None,
    image_url: str | None = None,
) -> dict[str, Any]:
    """OB 2.0 *hosted* Assertion, served at ``assertion_url`` (its ``id``)."""
    issued = _datetime_str(issued_on, "issued_on")
    doc: dict[str, Any] = {
        "@context": OB2_CONTEXT,
        "type": "Assertion",
        "id": assertion_url,
        "recipient": {
            "type": "email",
            "hashed": True,
            "salt": salt,
            "identity": hash_identity(recipient_email, salt),
        },
        "badge": badge_class_url,
        "verification": {"type": "HostedBadge"},
        "issuedOn": issued,
    }
    if expires is not None:
        exp = _datetime_str(expires, "expires")
        # Validators reject expires before issuedOn (openbadges.md A.8).
        if _parse_datetime(exp, "expires") <= _parse_datetime(issued, "issued_on"):
            raise CredentialError("bad_date", "expires must be after issued_on")
        doc["expires"] = exp
    if image_url:
        doc["image"] = image_url
    if evidence:
        doc["evidence"] = _evidence_ob2(evidence)
    if narrative:
        doc["narrative"] = narrative
    return doc


def status_list_entry(*, status_list_url: str, index: int, purpose: str = "revocation") -> dict[str, Any]:
    """``credentialStatus`` entry pointing at bit ``index`` of a BitstringStatusList."""
    if index < 0:
        raise CredentialError("bad_argument", "status list index must be >= 0")
    return {
        "id": f"{status_list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        # The spec defines statusListIndex as a string holding an integer.
        "statusListIndex": str(index),
        "statusListCredential": status_list_url,
    }


#: OB 3.0 ``AchievementType`` (an extensible enumeration: these, or ``ext:`` + a name).
ACHIEVEMENT_TYPES: Final = frozenset(
    {
        "Achievement", "ApprenticeshipCertificate", "Assessment", "Assignment", "AssociateDegree", "Award",
        "Badge", "BachelorDegree", "Certificate", "CertificateOfCompletion", "Certification", "CommunityService",
        "Competency", "Course", "CoCurricular", "Degree", "Diploma", "DoctoralDegree", "Fieldwork",
        "GeneralEducationDevelopment", "JourneymanCertificate", "LearningProgram", "License", "Membership",
        "ProfessionalDoctorate", "QualityAssuranceCredential", "MasterCertificate", "MasterDegree",
        "MicroCredential", "ResearchDoctorate", "SecondarySchoolDiploma",
    }
)  # fmt: skip
_EXT_ACHIEVEMENT_TYPE = re.compile(r"ext:[A-Za-z0-9._-]+")


def build_ob3_achievement(
    *,
    achievement_id: str,
    name: LocalizedText,
    description: LocalizedText,
    criteria_narrative: LocalizedText | None = None,
    criteria_url: str | None = None,
    image_url: str | None = None,
    alignments: Sequence[Alignment] = (),
    achievement_type: str | None = None,
    creator: Mapping[str, Any] | None = None,
    tags: Sequence[str] = (),
    standalone: bool = False,
) -> dict[str, Any]:
    """OB 3.0 ``Achievement``: the one inside every credential, and (``standalone=True``, with
    its own ``@context``) the document served at its ``id`` to OB 3.0 clients.

    One builder for both, so that what an outsider finds behind ``achievement.id`` says what
    the credentials say. Plain primary-language strings, as in the credential (the 1EdTech
    schema types ``name`` and ``description`` as strings).
    """
    if not criteria_narrative and not criteria_url:
        raise CredentialError("bad_argument", "criteria needs a URL or a narrative")
    if achievement_type is not None and not (
        achievement_type in ACHIEVEMENT_TYPES or _EXT_ACHIEVEMENT_TYPE.fullmatch(achievement_type)
    ):
        raise CredentialError("bad_argument", f"{achievement_type!r} is not an OB 3.0 AchievementType")
    achievement: dict[str, Any] = {"@context": [VC2_CONTEXT, OB3_CONTEXT]} if standalone else {}
    achievement.update(
        {
            "id": achievement_id,
            "type": ["Achievement"],
            "name": name.primary(),
            "description": description.primary(),
            "criteria": _drop_none(
                {"id": criteria_url, "narrative": criteria_narrative.primary() if criteria_narrative else None}
            ),
            "inLanguage": "ja",
        }
    )
    if achievement_type is not None:
        achievement["achievementType"] = achievement_type
    if image_url:
        achievement["image"] = {"id": image_url, "type": "Image"}
    if alignments:
        achievement["alignment"] = [
            _drop_none(
                {
                    "type": ["Alignment"],
                    "targetName": a.target_name,
                    "targetUrl": a.target_url,
                    "targetDescription": a.target_description,
                    "targetFramework": a.target_framework,
                    "targetCode": a.target_code,
                    "targetType": a.target_type,
                }
            )
            for a in alignments
        ]
    if creator:
        achievement["creator"] = dict(creator)
    if tags:
        achievement["tag"] = list(tags)
    return achievement


def with_proof_list(credential: Mapping[str, Any]) -> dict[str, Any]:
    """``credential`` with a single ``proof`` object wrapped in a list of one.

    Credentials signed before the portal emitted ``proof`` as a list are stored with one
    object, which 1EdTech's JSON Schema (named in their ``credentialSchema``) refuses. A Data
    Integrity proof is not part of the data it signs (the document is hashed without
    ``proof``), so the wrapped copy carries the same valid signature.
    """
    document = dict(credential)
    if isinstance(document.get("proof"), dict):
        document["proof"] = [document["proof"]]
    return document


def build_ob3_credential(
    *,
    credential_id: str,
    issuer_id: str,
    issuer_name: LocalizedText,
    issuer_url: str | None,
    achievement_id: str,
    achievement_name: LocalizedText,
    achievement_description: LocalizedText,
    criteria_narrative: LocalizedText | None = None,
    criteria_url: str | None = None,
    recipient_email: str,
    salt: str,
    valid_from: datetime | str,
    valid_until: datetime | str | None = None,
    awarded_date: datetime | str | None = None,
    image_url: str | None = None,
    achievement_image_url: str | None = None,
    issuer_image_url: str | None = None,
    issuer_email: str | None = None,
    evidence: Sequence[Evidence] = (),
    alignments: Sequence[Alignment] = (),
    achievement_type: str | None = None,
    status: Mapping[str, Any] | None = None,
    include_schema: bool = True,
    language_values: bool = False,
) -> dict[str, Any]:
    """OB 3.0 ``OpenBadgeCredential`` (VC DM 2.0 form), ready for ``sign_credential``.

    Texts are ``LocalizedText``.  By default plain Japanese strings are emitted and
    the achievement says ``inLanguage: ja``: the 1EdTech JSON schema types ``name``
    and ``description`` as strings, so language value objects (``language_values=
    True``, VC DM 2.0 section 11.1, used for the credential's own name/description
    only) are valid JSON-LD and sign fine but may fail that schema check.

    The recipient is identified by a salted hash of the normalised e-mail
    (``identifier``), never by the plain address.
    """
    vf = _datetime_str(valid_from, "valid_from")

    def text(t: LocalizedText) -> Any:
        return t.language_values() if language_values else t.primary()

    achievement = build_ob3_achievement(
        achievement_id=achievement_id,
        name=achievement_name,
        description=achievement_description,
        criteria_narrative=criteria_narrative,
        criteria_url=criteria_url,
        image_url=achievement_image_url,
        alignments=alignments,
        achievement_type=achievement_type,
    )
    issuer: dict[str, Any] = _drop_none(
        {
            "id": issuer_id,
            "type": ["Profile"],
            "name": issuer_name.primary(),
            "url": issuer_url,
            "email": issuer_email,
        }
    )
    if issuer_image_url:
        issuer["image"] = {"id": issuer_image_url, "type": "Image"}

    contexts = [VC2_CONTEXT, OB3_CONTEXT]
    if include_schema:
        # 1EdTechJsonSchemaValidator2019 is defined in extensions.json, not in the
        # main OB context; without it safe-mode canonicalisation refuses the term.
        contexts.append(OB3_EXTENSIONS_CONTEXT)
    doc: dict[str, Any] = {
        "@context": contexts,
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": issuer,
        "validFrom": vf,
        "name": text(achievement_name),
        "description": text(achievement_description),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "hashed": True,
                    "identityHash": hash_identity(recipient_email, salt),
                    "identityType": "emailAddress",
                    "salt": salt,
                }
            ],
            "achievement": achievement,
        },
    }
    if valid_until is not None:
        vu = _datetime_str(valid_until, "valid_until")
        if _parse_datetime(vu, "valid_until") <= _parse_datetime(vf, "valid_from"):
            raise CredentialError("bad_date", "valid_until must be after valid_from")
        doc["validUntil"] = vu
    if awarded_date is not None:
        doc["awardedDate"] = _datetime_str(awarded_date, "awarded_date")
    if image_url:
        doc["image"] = {"id": image_url, "type": "Image"}
    if evidence:
        doc["evidence"] = [
            _drop_none(
                {
                    "id": e.url,
                    "type": ["Evidence"],
                    "name": e.name,
                    "narrative": e.narrative,
                    "description": e.description,
                    "genre": e.genre,
                }
            )
            for e in evidence
        ]
    if status is not None:
        doc["credentialStatus"] = dict(status)
    if include_schema:
        doc["credentialSchema"] = [{"id": OB3_SCHEMA_URL, "type": "1EdTechJsonSchemaValidator2019"}]
    return doc


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
