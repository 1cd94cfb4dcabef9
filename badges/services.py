"""Writes for Open Badges. Other apps (courses) call ``award_request``; workers call
``award_ensure_issued``; HR's admin calls ``award_revoke`` and ``award_reissue``."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from staff.models import StaffMember

from .models import Award, BadgeClass

logger = logging.getLogger(__name__)


def award_enqueue(award_id: int) -> bool:
    """Queue the issuing task; a broker that is down is logged, never raised.

    The pending award row is the outbox: the periodic sweep queues it again later.
    """
    from .tasks import award_issue_task

    try:
        award_issue_task.apply_async(args=[award_id])
    except Exception:  # kombu.exceptions.OperationalError, redis errors, socket timeouts
        logger.warning("Could not queue award %s; the sweep will retry", award_id, exc_info=True)
        return False
    Award.objects.filter(pk=award_id).update(queued_at=timezone.now())
    return True


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
    transaction.on_commit(lambda: award_enqueue(award.pk), robust=True)
    return award, True


def awards_requeue_stale(*, older_than: dt.timedelta, now: dt.datetime, limit: int = 5000) -> int:
    """Queue pending awards that nobody queued (or re-queued) for ``older_than``.

    ``queued_at`` is stamped on each, so a backlog that workers are still working through is
    not queued a second time every minute.
    """
    from django.db.models import Q

    cutoff = now - older_than
    stale = list(
        Award.objects.filter(status=Award.Status.PENDING, requested_at__lt=cutoff)
        .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=cutoff))
        .order_by("requested_at")
        .values_list("pk", flat=True)[:limit]
    )
    queued = 0
    for award_id in stale:
        if not award_enqueue(award_id):  # stamps queued_at
            break  # the broker is still down: try again at the next sweep
        queued += 1
    # Holders whose email was never sent (issued while the broker was down).
    from .notifications import award_notify_enqueue

    for award_id in Award.objects.filter(
        status=Award.Status.ISSUED, notified_at__isnull=True, issued_at__lt=cutoff
    ).values_list("pk", flat=True)[:limit]:
        award_notify_enqueue(award_id)
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
        logger.info("award %s revoked by %s: %s", award.pk, getattr(by, "pk", None), reason)
        from .notifications import award_revoked_notify_enqueue

        transaction.on_commit(lambda: award_revoked_notify_enqueue(award.pk), robust=True)
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
    transaction.on_commit(lambda: award_enqueue(new.pk), robust=True)
    return new


def award_requeue(*, award: Award) -> bool:
    """HR's "try again" for a failed award."""
    updated = Award.objects.filter(pk=award.pk, status=Award.Status.FAILED).update(
        status=Award.Status.PENDING, failure_reason=""
    )
    if updated:
        transaction.on_commit(lambda: award_enqueue(award.pk), robust=True)
    return bool(updated)
