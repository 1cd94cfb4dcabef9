"""OB 2.0 assertions: this portal's own, looked up in the ``Award`` table; others' reported honestly."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace
from typing import Any, Final

from django.db.models import QuerySet

from ... import links, prepared
from ...models import Award, BadgeClass, Issuer
from . import facts
from .helpers import _alignment_names, _datetime, _text
from .report import _MAX_TEXT, EXPIRED, INVALID, REVOKED, UNVERIFIABLE, VALID, Finding

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
    if facts.from_tree():
        return facts.tree_award(key)
    alias = Award.objects.db
    row = _OWN_AWARD_ROW.fetch(key, alias=alias)
    if row is None:
        return None
    award, badge, issuer = (_from_row(model, row, alias) for model in _OWN_AWARD_FIELDS)
    award.badge_class, award.issuer = badge, issuer  # as select_related would
    return award


def _own_shared_award(share_token: Any) -> Award | None:
    """The award a share link shows, while its holder shares it with anyone."""
    if facts.from_tree():
        return facts.tree_shared_award(share_token)
    return (
        _own_awards()
        .select_related("badge_class", "issuer")
        .filter(share_token=share_token, visibility=Award.Visibility.PUBLIC)
        .first()
    )


def _unknown_own(finding: Finding) -> Finding:
    """An address of ours with no award behind it. The public deployment knows only what is
    published, so it cannot tell a badge its holder keeps private from one that never existed:
    it says so (``not_published``, never valid); the staff portal knows (``unknown_badge``)."""
    if facts.from_tree():
        return replace(finding, status=UNVERIFIABLE, code="not_published")
    return replace(finding, status=INVALID, code="unknown_badge")


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
        return _unknown_own(Finding(standard="2.0", status=INVALID, code="unknown_badge", credential_id=url[:500]))
    return _own_ob2_finding(award, now=now)


def _ob2_finding(document: dict[str, Any], *, now: dt.datetime) -> Finding:
    assertion_id = document.get("id") if isinstance(document.get("id"), str) else ""
    verification = document.get("verification") or document.get("verify")
    vtype = verification.get("type") if isinstance(verification, dict) else None
    ours, award = _own_award_from_assertion_url(assertion_id)
    if ours:
        if award is None:
            return _unknown_own(_ob2_describe(document))
        finding = _own_ob2_finding(award, now=now)
        if award.is_revoked:
            return finding
        if not facts.same_assertion(award, document):
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
