"""Builders of the OB 2.0 hosted Issuer, BadgeClass and Assertion and the OB 3.0 Achievement and
``OpenBadgeCredential``, from plain arguments (no ORM objects)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from .common import (
    OB2_CONTEXT,
    OB3_CONTEXT,
    OB3_EXTENSIONS_CONTEXT,
    OB3_SCHEMA_URL,
    VC2_CONTEXT,
    CredentialError,
    _datetime_str,
    _parse_datetime,
    hash_identity,
)

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
