"""Issue an award: render, sign, bake, store. Run by the worker; idempotent.

``award_ensure_issued`` follows the ensure_* pattern: lock the row, return if there is nothing
to do, produce only what is missing, overwrite rather than append. A duplicate delivery, a
retry after a crash or a worker killed half-way (acks_late) all end with one issued award.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from hachioji_portal import queueing

from . import grades, keys, links, notifications, publisher
from .core import achievement_types, baking, credentials, rendering
from .models import Award, BadgeClass
from .signals import awards_changed

logger = logging.getLogger(__name__)


class PermanentIssueError(Exception):
    """A failure that retrying will not heal (no key, no font, a credential that will not sign)."""


def _localized(award: Award, ja: str, en: str) -> str:
    return en if award.language == "en" and en else ja


def _alignments(badge_class: BadgeClass) -> list[credentials.Alignment]:
    result = []
    for item in badge_class.alignments or []:
        if isinstance(item, dict) and item.get("targetName") and item.get("targetUrl"):
            result.append(
                credentials.Alignment(
                    target_name=str(item["targetName"]),
                    target_url=str(item["targetUrl"]),
                    target_code=item.get("targetCode"),
                    target_framework=item.get("targetFramework"),
                    target_description=item.get("targetDescription"),
                )
            )
    return result


def _evidence(award: Award) -> list[credentials.Evidence]:
    """The award's evidence as the badge states it: with the grade only where the badge class
    publishes grades (badges/grades.py)."""
    publish = award.badge_class.publish_grade
    items = []
    for item in award.evidence or []:
        if isinstance(item, dict):
            items.append(
                credentials.Evidence(
                    url=item.get("url"),
                    name=item.get("name"),
                    narrative=grades.evidence_narrative(item, publish=publish, language=award.language),
                    description=item.get("description"),
                    genre=item.get("genre"),
                )
            )
    return items


def badge_image_text(award: Award) -> rendering.BadgeText:
    with translation.override(award.language):
        return rendering.BadgeText(
            title=_localized(award, award.badge_class.name, award.badge_class.name_en),
            issuer=_localized(award, award.issuer.name, award.issuer.name_en),
            # Names are kept in kanji and kana only: English badges show the name as the
            # person's own documents write it, family name first.
            holder=award.recipient.full_name,
            date=formats.date_format(award.achieved_on, "DATE_FORMAT"),
            caption=_("Open Badge"),
        )


def build_documents(
    award: Award, signer: keys.Signer, issued_at: dt.datetime, achievement_type: str | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The OB 2.0 hosted assertion and the signed OB 3.0 credential for ``award``.

    ``achievement_type`` is the badge class's (``badges.core.achievement_types``; looked up here
    when the caller has not done it for a whole batch).
    """
    if achievement_type is None:
        achievement_type = achievement_types.achievement_type(award.badge_class_id)
    badge = award.badge_class
    issuer = award.issuer
    email = award.recipient.email
    expires = award.expires_at
    assertion = credentials.build_ob2_assertion(
        assertion_url=links.assertion_url(award.public_id),
        badge_class_url=links.badge_class_url(badge.public_id),
        recipient_email=email,
        salt=award.salt,
        issued_on=issued_at,
        expires=expires,
        evidence=_evidence(award),
    )
    status_index = award.pk % links.STATUS_LIST_SIZE
    credential = credentials.build_ob3_credential(
        credential_id=f"urn:uuid:{award.public_id}",
        issuer_id=signer.did,
        issuer_name=credentials.LocalizedText(issuer.name, issuer.name_en or None),
        issuer_url=issuer.url,
        issuer_email=issuer.email,
        achievement_id=links.badge_class_url(badge.public_id),
        achievement_name=credentials.LocalizedText(badge.name, badge.name_en or None),
        achievement_description=credentials.LocalizedText(badge.description, badge.description_en or None),
        criteria_narrative=credentials.LocalizedText(badge.criteria, badge.criteria_en or None),
        achievement_image_url=links.badge_class_image_url(badge.public_id),
        achievement_type=achievement_type,
        # What wallets show: the badge class's image (the baked one carries the holder's name
        # and is private) and the issuer's logo; both public URLs.
        image_url=links.badge_class_image_url(badge.public_id),
        issuer_image_url=links.issuer_image_url(issuer.public_id),
        recipient_email=email,
        salt=award.salt,
        valid_from=issued_at,
        valid_until=expires,
        awarded_date=issued_at,
        evidence=_evidence(award),
        alignments=_alignments(badge),
        status=credentials.status_list_entry(
            status_list_url=links.status_list_url(issuer.public_id, award.pk // links.STATUS_LIST_SIZE),
            index=status_index,
        ),
    )
    signed = credentials.sign_credential(
        credential, private_key=signer.private_key, verification_method=signer.verification_method, created=issued_at
    )
    return assertion, signed


def _font_path() -> str:
    try:
        return rendering.find_font(tuple(settings.BADGE_FONT_PATHS))
    except rendering.FontNotFoundError as exc:
        raise PermanentIssueError(str(exc)) from exc


def _issue(award: Award, signer: keys.Signer, achievement_type: str | None = None) -> None:
    """Render, sign, bake and store ``award`` (locked by the caller); set its fields, unsaved."""
    issued_at = timezone.now().replace(microsecond=0)
    if not award.salt:
        award.salt = credentials.make_salt()
    if award.badge_class.validity_days:
        award.expires_at = issued_at + dt.timedelta(days=award.badge_class.validity_days)
    try:
        assertion, credential = build_documents(award, signer, issued_at, achievement_type)
    except credentials.CredentialError as exc:
        raise PermanentIssueError(f"the credential could not be built or signed: {exc}") from exc
    png = rendering.render_badge(badge_image_text(award), design=award.badge_class.design, font_path=_font_path())
    baked = baking.bake(
        png,
        {
            baking.KEYWORD_OB2: json.dumps(assertion, ensure_ascii=False, separators=(",", ":")),
            baking.KEYWORD_OB3: json.dumps(credential, ensure_ascii=False, separators=(",", ":")),
        },
    )
    if award.baked_image:
        award.baked_image.delete(save=False)  # a half-finished earlier attempt
    award.baked_image.save(f"{award.public_id}.png", ContentFile(baked), save=False)
    award.assertion = assertion
    award.credential = credential
    award.signing_key = signer.key
    award.recipient_identity = assertion["recipient"]["identity"]
    award.status_list_index = award.pk
    award.status = Award.Status.ISSUED
    award.issued_at = issued_at
    award.failure_reason = ""
    award.attempts += 1


#: What ``_issue`` changes (the batch path writes them in one UPDATE).
_ISSUED_FIELDS = (
    "salt",
    "expires_at",
    "baked_image",
    "assertion",
    "credential",
    "signing_key",
    "recipient_identity",
    "status_list_index",
    "status",
    "issued_at",
    "failure_reason",
    "attempts",
)


def _write_issued(awards: list[Award]) -> None:
    """Write what ``_issue`` set on ``awards``: one statement on PostgreSQL, one per award
    elsewhere (SQLite in development), every value a bind parameter adapted by its field as
    ``save()`` adapts it.

    Django's ``bulk_update`` built a ``CASE`` with a ``WHEN`` per award for every column (240
    expressions for a batch of 20, each resolved and compiled) around the large JSON documents;
    that took 1.4 ms of the worker's CPU per badge, these take 0.14 (docs/benchmarks.md, "Badge
    issuance", session 5).
    """
    if awards:
        if connection.vendor == "postgresql":
            _write_issued_values(awards)
        else:
            _write_issued_each(awards)


def _issued_rows(awards: list[Award]) -> tuple[list[Any], list[list[Any]]]:
    """The columns ``_ISSUED_FIELDS`` (after the primary key) and each award's values for them."""
    pk = Award._meta.get_field("id")
    fields: list[Any] = [pk, *(Award._meta.get_field(name) for name in _ISSUED_FIELDS)]
    rows = [[field.get_db_prep_save(getattr(award, field.attname), connection) for field in fields] for award in awards]
    return fields, rows


def _cast_type(field: Any) -> str:
    """The column's type without a length (``varchar(64)`` -> ``varchar``): an explicit cast to
    ``varchar(n)`` would cut a longer value silently, the assignment to the column refuses it."""
    return re.sub(r"\(.*\)", "", field.db_type(connection))


def _write_issued_values(awards: list[Award]) -> None:
    """PostgreSQL: ``UPDATE … SET column = v.column … FROM (VALUES (…), (…)) AS v WHERE id = v.id``."""
    fields, rows = _issued_rows(awards)
    qn = connection.ops.quote_name
    row = "(" + ", ".join(f"%s::{_cast_type(field)}" for field in fields) + ")"
    sql = (
        f"UPDATE {qn(Award._meta.db_table)} AS t SET "  # noqa: S608 - names from the model, values bound
        + ", ".join(f"{qn(f.column)} = v.{qn(f.column)}" for f in fields[1:])
        + f" FROM (VALUES {', '.join([row] * len(rows))}) AS v({', '.join(qn(f.column) for f in fields)})"
        + f" WHERE t.{qn(fields[0].column)} = v.{qn(fields[0].column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for values in rows for value in values])
        if cursor.rowcount != len(awards):  # the caller holds the rows' locks: cannot happen
            raise RuntimeError(f"the batch UPDATE wrote {cursor.rowcount} of {len(awards)} awards")


def _write_issued_each(awards: list[Award]) -> None:
    """Any database: ``UPDATE … SET column = %s, … WHERE id = %s`` once per award (executemany)."""
    fields, rows = _issued_rows(awards)
    qn = connection.ops.quote_name
    sql = (
        f"UPDATE {qn(Award._meta.db_table)} SET "  # noqa: S608 - names from the model, values bound
        + ", ".join(f"{qn(f.column)} = %s" for f in fields[1:])
        + f" WHERE {qn(fields[0].column)} = %s"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [values[1:] + values[:1] for values in rows])


def _signer(issuer: Any, active_key_id: int | None = None) -> keys.Signer:
    try:
        return keys.signer_for(issuer, active_key_id=active_key_id)
    except keys.SigningKeyMissing as exc:
        raise PermanentIssueError(str(exc)) from exc


def award_ensure_issued(*, award_id: int) -> str:
    """Issue ``award_id`` if it still needs it (``awards_ensure_issued`` for one award).

    Returns what happened, for logs and tests: "issued", "already" (issued or revoked; a second
    worker with the same task waits on the row lock, then sees this), "missing", or "failed"
    (a failure retrying will not heal, recorded on the award for HR).
    """
    outcome = awards_ensure_issued(award_ids=[award_id])
    return next(what for what, count in outcome.items() if count)


def awards_ensure_issued(*, award_ids: list[int]) -> dict[str, int]:
    """Issue every award of ``award_ids`` that still needs it, in one transaction; returns
    how many were issued, already done, missing or failed.

    The batch form of ``award_ensure_issued`` for bulk completions: the same lock-check-produce
    steps per award, but one query to lock them all (in id order, so two overlapping batches
    wait for each other instead of deadlocking; it also reads each issuer's active key, so the
    signer made for it by an earlier batch of this process is reused without a query), one
    signer per issuer, one UPDATE for the batch and one message for the holders' emails. An
    award that cannot be issued for good (``PermanentIssueError``) is marked failed with its
    reason and the others go on; anything else rolls the batch back for the task's retry, which
    then redoes only what is missing.
    """
    outcome = {"issued": 0, "already": 0, "missing": 0, "failed": 0}
    with transaction.atomic():
        awards = list(
            Award.objects.select_for_update(of=("self",))
            .select_related("badge_class", "issuer", "recipient")
            .annotate(active_key_id=keys.active_key_id_of("issuer_id"))  # for the signer cache
            .filter(pk__in=award_ids)
            .order_by("pk")
        )
        outcome["missing"] = len(set(award_ids)) - len(awards)
        signers: dict[int, keys.Signer | PermanentIssueError] = {}
        kinds = achievement_types.achievement_types({a.badge_class_id for a in awards})  # once per batch
        issued: list[Award] = []
        failed: list[Award] = []
        for award in awards:
            if award.status in (Award.Status.ISSUED, Award.Status.REVOKED):
                outcome["already"] += 1
                continue
            try:
                if award.issuer_id not in signers:
                    try:
                        signers[award.issuer_id] = _signer(award.issuer, getattr(award, "active_key_id", None))
                    except PermanentIssueError as exc:
                        signers[award.issuer_id] = exc
                signer = signers[award.issuer_id]
                if isinstance(signer, PermanentIssueError):
                    raise signer
                _issue(award, signer, kinds[award.badge_class_id])
            except PermanentIssueError as exc:
                logger.error("award %s cannot be issued: %s", award.pk, exc)
                award.status, award.failure_reason = Award.Status.FAILED, str(exc)[:2000]
                failed.append(award)
                continue
            issued.append(award)
        if issued:
            _write_issued(issued)
            awards_changed.send(sender=Award, recipient_ids=sorted({a.recipient_id for a in issued}))
            publisher.publication_request(publisher.award_target(a.pk) for a in issued)
            ids = [a.pk for a in issued]
            queueing.after_commit(notifications.awards_notify_enqueue, ids)
        if failed:
            Award.objects.bulk_update(failed, fields=("status", "failure_reason"))
    outcome["issued"], outcome["failed"] = len(issued), len(failed)
    return outcome
