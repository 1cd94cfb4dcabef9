"""Writes for Open Badges. Other apps (courses) call ``award_request``; workers call
``award_ensure_issued``; HR's admin calls ``award_revoke`` and ``award_reissue``."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import IntegrityError, transaction

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
