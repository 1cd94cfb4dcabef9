"""Writes for Open Badges. Other apps (courses) call ``award_request``; workers call
``award_ensure_issued``; HR's admin calls ``award_revoke`` and ``award_reissue``; holders
change who sees a badge (``award_set_visibility``, ``award_share_link_renew``) and add badges
from elsewhere to their portfolio (``external_badge_add``), which HR confirms or rejects."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from hachioji_portal import queueing
from staff.emails import email_send_on_commit
from staff.models import StaffMember

from . import notifications, publisher, selectors, trust
from .core import baking
from .models import Award, BadgeClass, ExternalBadge, TrustedIssuer, TrustedIssuerIdentifier
from .public import verification
from .signals import awards_changed, external_badges_changed

logger = logging.getLogger(__name__)


#: The issuing task of one award, and of a batch (``hachioji_portal.queueing`` imports them).
ISSUE_TASK = "badges.tasks.award_issue_task"
ISSUE_BATCH_TASK = "badges.tasks.awards_issue_batch_task"


def award_enqueue(award_id: int) -> bool:
    """Queue the issuing task and stamp ``queued_at``; a broker that is down is logged, never
    raised.

    The pending award row is the outbox: the periodic sweep queues it again later.
    """
    return queueing.enqueue(ISSUE_TASK, [award_id], batch=None, outbox=Award) == 1


@transaction.atomic
def award_request(
    *,
    recipient: StaffMember,
    badge_class: BadgeClass,
    source_key: str,
    achieved_on: dt.date,
    evidence: list[dict[str, Any]] | None = None,
) -> tuple[Award, bool]:
    """Ask for a badge for one completion; returns (award, created).

    Idempotent: a second request for the same ``source_key`` returns the existing award and
    queues nothing. The issuing task is queued after the transaction commits.
    """
    existing = Award.objects.filter(source_key=source_key, is_current=True).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            award = Award.objects.create(
                recipient=recipient,
                badge_class=badge_class,
                issuer=badge_class.issuer,
                source_key=source_key,
                achieved_on=achieved_on,
                evidence=evidence or [],
                language=recipient.preferred_language or "ja",
            )
    except IntegrityError:
        # Another transaction requested the same completion at the same moment.
        return Award.objects.get(source_key=source_key, is_current=True), False
    queueing.after_commit(award_enqueue, award.pk)
    return award, True


#: Awards per issuing message when many are requested at once (a bulk completion by HR).
ISSUE_BATCH = 20


def awards_enqueue_many(award_ids: list[int]) -> int:
    """Queue the issuing of many awards, ``ISSUE_BATCH`` per message, and stamp ``queued_at``
    on those the broker took; returns how many were queued. Like ``award_enqueue``, a broker
    that is down is logged, never raised, and the sweep queues the rest later."""
    return queueing.enqueue(ISSUE_BATCH_TASK, award_ids, batch=ISSUE_BATCH, outbox=Award)


@dataclass(frozen=True)
class AwardRequest:
    """One completion's badge, as ``award_request`` takes it."""

    recipient: StaffMember
    badge_class: BadgeClass
    source_key: str
    achieved_on: dt.date
    evidence: list[dict[str, Any]]


@transaction.atomic
def awards_request_many(requests: list[AwardRequest]) -> list[Award]:
    """``award_request`` for many completions at once; returns the awards created.

    Idempotent in the same way: a source key that already has its award is skipped. One query
    finds those, one INSERT writes the rest, and after the commit their issuing is queued in
    batches (``awards_issue_batch_task``). If another transaction requested one of the same
    completions meanwhile (the unique constraint says so), each is requested on its own.
    """
    keys = [r.source_key for r in requests]
    existing = set(Award.objects.filter(source_key__in=keys, is_current=True).values_list("source_key", flat=True))
    fresh: dict[str, AwardRequest] = {}
    for r in requests:
        if r.source_key not in existing:
            fresh.setdefault(r.source_key, r)
    if not fresh:
        return []
    rows = [
        Award(
            recipient=r.recipient,
            badge_class=r.badge_class,
            issuer_id=r.badge_class.issuer_id,
            source_key=r.source_key,
            achieved_on=r.achieved_on,
            evidence=r.evidence,
            language=r.recipient.preferred_language or "ja",
        )
        for r in fresh.values()
    ]
    try:
        with transaction.atomic():
            created = Award.objects.bulk_create(rows)
    except IntegrityError:
        created = []
        for r in fresh.values():
            award, was_created = award_request(
                recipient=r.recipient,
                badge_class=r.badge_class,
                source_key=r.source_key,
                achieved_on=r.achieved_on,
                evidence=r.evidence,
            )
            if was_created:
                created.append(award)
        return created  # each queued itself after the commit
    ids = [a.pk for a in created]
    queueing.after_commit(awards_enqueue_many, ids)
    return created


def awards_requeue_stale(*, older_than: dt.timedelta, now: dt.datetime, limit: int = 5000) -> int:
    """The sweep: queue pending awards that nobody queued (or re-queued) for ``older_than``,
    and the emails of holders who were never told (issued while the broker was down).

    ``queued_at`` is stamped on each, so a backlog that workers are still working through is
    not queued a second time every minute.
    """
    cutoff = now - older_than
    pending = Award.objects.filter(status=Award.Status.PENDING)
    stale = queueing.stale_ids(pending, since="requested_at", older_than=older_than, now=now, limit=limit)
    queued = awards_enqueue_many(stale)  # stamps queued_at; stops if the broker is still down
    notifications.awards_notify_enqueue(  # by module: tests replace it there
        list(
            Award.objects.issued()
            .filter(notified_at__isnull=True, issued_at__lt=cutoff)
            .values_list("pk", flat=True)[:limit]
        )
    )
    return queued


@transaction.atomic
def award_revoke(*, award: Award, reason: str, by: StaffMember | None = None) -> bool:
    """Revoke an award. The hosted JSON answers 410 and the status list bit is set at once.

    Returns False if it was already revoked. The holder is told by email after commit.
    """
    reason = reason.strip()
    if not reason:
        raise ValueError("a revocation needs a reason")
    changed = (
        Award.objects.filter(pk=award.pk)
        .exclude(status=Award.Status.REVOKED)
        .update(status=Award.Status.REVOKED, revoked_at=timezone.now(), revocation_reason=reason)
    )
    award.refresh_from_db()
    if changed:
        awards_changed.send(sender=Award, recipient_ids=[award.recipient_id])
        publisher.publication_request([publisher.award_target(award.pk)])
        logger.info("award %s revoked by %s: %s", award.pk, getattr(by, "pk", None), reason)
        email_send_on_commit(
            to=award.recipient,
            template="badge-revoked",
            context={"badge_name": notifications.badge_name_for(award), "reason": award.revocation_reason},
        )
    return bool(changed)


@transaction.atomic
def award_reissue(*, award: Award, reason: str, by: StaffMember | None = None) -> Award:
    """Re-issue after a correction: the old award is revoked and linked to a new pending one."""
    old = Award.objects.select_for_update().get(pk=award.pk)
    if not old.is_current:
        raise ValueError("this award was already re-issued")
    award_revoke(award=old, reason=reason, by=by)
    Award.objects.filter(pk=old.pk).update(is_current=False)
    new = Award.objects.create(
        recipient=old.recipient,
        badge_class=old.badge_class,
        issuer=old.badge_class.issuer,
        source_key=old.source_key,
        achieved_on=old.achieved_on,
        evidence=old.evidence,
        language=old.recipient.preferred_language or "ja",
        supersedes=old,
    )
    queueing.after_commit(award_enqueue, new.pk)
    return new


def award_requeue(*, award: Award) -> bool:
    """HR's "try again" for a failed award."""
    updated = Award.objects.filter(pk=award.pk, status=Award.Status.FAILED).update(
        status=Award.Status.PENDING, failure_reason=""
    )
    if updated:
        queueing.after_commit(award_enqueue, award.pk)
    return bool(updated)


# ---------------------------------------------------------------------- sharing


@transaction.atomic
def award_set_visibility(*, award: Award, visibility: str, by: StaffMember) -> bool:
    """Who may see a badge: only the holder, city staff, or anyone with the share link.

    Takes effect at once: the share page and the baked image check it on every request.
    Returns False if nothing changed.
    """
    if visibility not in Award.Visibility.values:
        raise ValueError(f"unknown visibility {visibility!r}")
    changed = Award.objects.filter(pk=award.pk).exclude(visibility=visibility).update(visibility=visibility)
    award.refresh_from_db(fields=["visibility"])
    if changed:
        logger.info("award %s visibility set to %s by %s", award.pk, visibility, by.pk)
        publisher.publication_request([publisher.award_target(award.pk)])
    return bool(changed)


@transaction.atomic
def award_share_link_renew(*, award: Award, by: StaffMember) -> uuid.UUID:
    """Withdraw the current share link (it answers 404 from now on) and issue a new one."""
    token = uuid.uuid4()
    old = Award.objects.select_for_update().values_list("share_token", flat=True).get(pk=award.pk)
    Award.objects.filter(pk=award.pk).update(share_token=token)
    award.refresh_from_db(fields=["share_token"])
    publisher.publication_request([publisher.share_target(old), publisher.award_target(award.pk)])
    logger.info("award %s share link renewed by %s", award.pk, by.pk)
    return token


# ---------------------------------------------------------- the learning portfolio


class ExternalBadgeRefused(Exception):
    """The badge cannot be added; ``code`` is a verification message code, ``report`` the check."""

    def __init__(self, code: str, report: verification.Report | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.report = report


# Results that say the badge is not genuine (or was withdrawn by its issuer): refused.
# Expired and "cannot be checked here" badges are kept, marked as such, for HR to judge.
_REFUSED = (verification.ERROR, verification.INVALID, verification.REVOKED)


@transaction.atomic
def external_badge_add(
    *, holder: StaffMember, data: bytes, filename: str = "", now: dt.datetime | None = None
) -> ExternalBadge:
    """Verify a badge earned elsewhere and add it to ``holder``'s portfolio, keeping the file.

    1. Verify it (the holder's email is checked against the hashed recipient, for HR to see).
    2. Refuse it if it cannot be read, is not genuine, is revoked, was issued by this portal
       (it is in "My badges" already) or is already in the portfolio.
    3. Record what it says and the verification result, and store the original bytes.
    """
    now = now or timezone.now()
    report = verification.verify_bytes(data, email=holder.email, now=now)
    if report.status in _REFUSED:
        raise ExternalBadgeRefused(report.code, report)
    if report.is_own:
        raise ExternalBadgeRefused("own_badge", report)
    main = report.main
    if main is None:  # cannot happen: a report that is not an error has findings
        raise ExternalBadgeRefused("unreadable", report)
    digest = hashlib.sha256(data).hexdigest()
    mine = ExternalBadge.objects.filter(holder=holder).exclude(status=ExternalBadge.Status.REJECTED)
    same = Q(file_sha256=digest)
    if main.credential_id:
        same |= Q(credential_id=main.credential_id, issuer_id=main.issuer_id)
    if mine.filter(same).exists():
        raise ExternalBadgeRefused("duplicate", report)
    is_png = data.startswith(baking.PNG_SIGNATURE)
    badge = ExternalBadge(
        holder=holder,
        original_name=filename[:200],
        original_kind=ExternalBadge.Kind.PNG if is_png else ExternalBadge.Kind.JSON,
        file_sha256=digest,
        standard=main.standard,
        credential_id=main.credential_id,
        issuer_name=main.issuer_name,
        issuer_id=main.issuer_id,
        issuer_url=main.issuer_url,
        achievement_name=main.achievement_name,
        achievement_description=main.achievement_description,
        skills=list(main.skills),
        issued_on=timezone.localdate(main.issued_at) if main.issued_at else None,
        expires_at=main.expires_at,
        verification_status=report.status,
        verification_code=report.code,
        verification=report.to_dict(messages=False),
        recipient_match=report.recipient_match,
        checked_at=report.checked_at,
    )
    badge.original_file.save("original", ContentFile(data), save=False)
    badge.save()
    logger.info("external badge %s added by %s (%s)", badge.pk, holder.pk, report.code)
    return badge


class ConfirmationNeedsReason(Exception):
    """The badge has warnings (``selectors.external_badge_warnings``): HR confirms it only with
    an explicit decision and a reason, which the record keeps."""

    def __init__(self, warnings: list[str]) -> None:
        super().__init__(", ".join(warnings))
        self.warnings = warnings


@transaction.atomic
def external_badge_confirm(
    *,
    badge: ExternalBadge,
    by: StaffMember,
    hours: Decimal | None = None,
    recognised_as: str | None = None,
    note: str | None = None,
    exception_reason: str | None = None,
) -> bool:
    """HR recognises the badge: it counts in the training record from now on.

    A badge from an issuer that is not in the register (checked against the register as it is
    now), or issued to someone other than the holder, is confirmed only with
    ``exception_reason``; otherwise ``ConfirmationNeedsReason`` is raised and nothing changes.
    The warnings and the reason are kept on the record. ``hours``, ``recognised_as`` and
    ``note`` replace the stored values when given. Returns False if it was already confirmed.
    """
    locked = ExternalBadge.objects.select_for_update().get(pk=badge.pk)
    warnings = selectors.external_badge_warnings(locked)
    reason = (exception_reason or "").strip()
    if warnings and not reason and locked.status != ExternalBadge.Status.CONFIRMED:
        raise ConfirmationNeedsReason(warnings)
    fields: dict[str, Any] = {
        "status": ExternalBadge.Status.CONFIRMED,
        "confirmed_by": by,
        "confirmed_at": timezone.now(),
        "exceptions": warnings,
        "exception_reason": reason if warnings else "",
    }
    if hours is not None:
        fields["hours"] = hours
    if recognised_as is not None:
        fields["recognised_as"] = recognised_as.strip()
    if note is not None:
        fields["hr_note"] = note.strip()
    changed = ExternalBadge.objects.filter(pk=badge.pk).exclude(status=ExternalBadge.Status.CONFIRMED).update(**fields)
    badge.refresh_from_db()
    if changed:
        logger.info("external badge %s confirmed by %s (warnings: %s)", badge.pk, by.pk, ",".join(warnings) or "none")
        external_badges_changed.send(sender=ExternalBadge, holder_ids=[badge.holder_id])
    return bool(changed)


@transaction.atomic
def external_badge_reject(*, badge: ExternalBadge, by: StaffMember, note: str) -> bool:
    """HR does not recognise the badge (the note tells the holder why). False if already rejected."""
    note = note.strip()
    if not note:
        raise ValueError("a rejection needs a note")
    changed = (
        ExternalBadge.objects.filter(pk=badge.pk)
        .exclude(status=ExternalBadge.Status.REJECTED)
        .update(status=ExternalBadge.Status.REJECTED, confirmed_by=by, confirmed_at=timezone.now(), hr_note=note)
    )
    badge.refresh_from_db()
    if changed:
        logger.info("external badge %s rejected by %s", badge.pk, by.pk)
        external_badges_changed.send(sender=ExternalBadge, holder_ids=[badge.holder_id])
    return bool(changed)


@transaction.atomic
def external_badge_remove(*, badge: ExternalBadge, by: StaffMember) -> None:
    """The holder takes back a badge HR has not confirmed (a confirmed one is part of the record)."""
    locked = ExternalBadge.objects.select_for_update().get(pk=badge.pk)
    if locked.status == ExternalBadge.Status.CONFIRMED:
        raise ValueError("a confirmed badge is part of the training record; ask HR to remove it")
    file_name = locked.original_file.name
    storage = locked.original_file.storage
    locked.delete()
    transaction.on_commit(lambda: storage.delete(file_name), robust=True)
    logger.info("external badge %s removed by %s", badge.pk, by.pk)


# ------------------------------------------------------------- corrections before signing


@transaction.atomic
def award_correct_pending(
    *,
    award: Award,
    recipient: StaffMember,
    badge_class: BadgeClass,
    achieved_on: dt.date,
    evidence: list[dict[str, Any]],
    by: StaffMember,
) -> bool:
    """HR corrects an award that is not signed yet (pending or failed). A signed award (issued
    or revoked) never changes: it is revoked and re-issued (``award_reissue``). Returns False,
    changing nothing, if the award was signed meanwhile (the worker may sign it at any moment)."""
    changed = Award.objects.filter(
        pk=award.pk, status__in=[Award.Status.PENDING, Award.Status.FAILED], credential__isnull=True
    ).update(
        recipient=recipient,
        badge_class=badge_class,
        issuer=badge_class.issuer,
        achieved_on=achieved_on,
        evidence=evidence,
    )
    award.refresh_from_db()
    if changed:
        logger.info("pending award %s corrected by %s", award.pk, by.pk)
    return bool(changed)


# ------------------------------------------------------------- the register of trusted issuers


@dataclass(frozen=True)
class RegisterImportResult:
    created: list[TrustedIssuer]
    updated: list[TrustedIssuer]
    unchanged: int


def _log_register_change(*, by: StaffMember, entry: TrustedIssuer, added: bool, message: str) -> None:
    """The admin history of the entry: an import is a change like any other."""
    LogEntry.objects.log_actions(
        user_id=by.pk,
        queryset=[entry],
        action_flag=ADDITION if added else CHANGE,
        change_message=message,
        single_object=True,
    )


@transaction.atomic
def trusted_issuers_import(*, data: bytes, by: StaffMember, source: str = "") -> RegisterImportResult:
    """Take in a register file another city or university shared (``trust.register_export``).

    All or nothing: the whole file is checked first (``trust.RegisterFileError`` lists every
    problem). An entry whose identifiers are already registered updates that entry (names,
    kind, dates, reason; identifiers it lacks are added); others are added, with ``by`` as who
    added them. This portal's own identifiers are left out, and so is this portal's own entry.
    Every entry added or changed gets a line in its admin history.
    """
    entries = trust.parse_register_file(data)
    existing = {
        (i.kind, i.value): i.issuer
        for i in TrustedIssuerIdentifier.objects.select_related("issuer").select_for_update()
    }
    created: list[TrustedIssuer] = []
    updated: list[TrustedIssuer] = []
    unchanged = 0
    where = source[:100] or "-"
    for entry in entries:
        keys = {(k, v) for k, v, _note in entry.identifiers}
        owners = {existing[key].pk: existing[key] for key in keys if key in existing}
        if len(owners) > 1:
            raise trust.RegisterFileError(
                [
                    gettext("%(name)s: its identifiers belong to %(n)d different registered issuers")
                    % {"name": entry.name, "n": len(owners)}
                ]
            )
        values = {
            "name": entry.name,
            "name_en": entry.name_en,
            "kind": entry.kind,
            "url": entry.url,
            "valid_from": entry.valid_from,
            "valid_until": entry.valid_until,
        }
        if owners:
            row = next(iter(owners.values()))
            if row.is_this_portal:
                unchanged += 1  # never rename or re-date this portal from someone else's file
                continue
            changes = [name for name, value in values.items() if getattr(row, name) != value]
            missing = [i for i in entry.identifiers if (i[0], i[1]) not in existing]
            if not changes and not missing:
                unchanged += 1
                continue
            for name in changes:
                setattr(row, name, values[name])
            if changes:
                row.reason = f"{row.reason}\n{entry.reason}".strip() if entry.reason not in row.reason else row.reason
            row.full_clean()
            row.save()
            for kind, value, note in missing:
                TrustedIssuerIdentifier.objects.create(issuer=row, kind=kind, value=value, note=note)
            what = ", ".join([*changes, *(v for _k, v, _n in missing)])
            _log_register_change(
                by=by,
                entry=row,
                added=False,
                message=gettext("Changed by importing the register file %(file)s: %(what)s")
                % {"file": where, "what": what},
            )
            updated.append(row)
            continue
        row = TrustedIssuer(**values, reason=entry.reason or "-", added_by=by)
        row.full_clean()
        row.save()
        for kind, value, note in entry.identifiers:
            TrustedIssuerIdentifier.objects.create(issuer=row, kind=kind, value=value, note=note)
            existing[(kind, value)] = row
        _log_register_change(
            by=by,
            entry=row,
            added=True,
            message=gettext("Added by importing the register file %(file)s") % {"file": where},
        )
        created.append(row)
    logger.info(
        "register import by %s (%s): %d added, %d changed, %d unchanged",
        by.pk,
        where,
        len(created),
        len(updated),
        unchanged,
    )
    return RegisterImportResult(created=created, updated=updated, unchanged=unchanged)
