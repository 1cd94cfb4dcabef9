"""Tell the holder that a badge was issued, revoked or is about to expire (email, in the
holder's language).

The claim on ``notified_at`` makes the email at-most-once per award even when the task is
delivered twice; a send that fails releases the claim so that the retry sends it.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib

from django.db import transaction
from django.utils import timezone

from .models import Award

logger = logging.getLogger(__name__)


def awards_notify_enqueue(award_ids: list[int]) -> None:
    """Queue the holders' emails of many awards, ``ISSUE_BATCH`` per message."""
    from hachioji_portal.queueing import publish

    from .services import ISSUE_BATCH
    from .tasks import awards_notify_batch_task

    for start in range(0, len(award_ids), ISSUE_BATCH):
        if not publish(awards_notify_batch_task, args=(list(award_ids[start : start + ISSUE_BATCH]),)):
            return  # the broker is down: the sweep sends them later


def award_notify_holder(*, award_id: int) -> str:
    from staff.emails import render_templated_email

    from . import links

    claimed = Award.objects.issued().filter(pk=award_id, notified_at__isnull=True).update(notified_at=timezone.now())
    if not claimed:
        return "already"
    award = Award.objects.select_related("badge_class", "issuer", "recipient").get(pk=award_id)
    try:
        with award.baked_image.open("rb") as handle:
            image = handle.read()
        message = render_templated_email(
            to=award.recipient,
            template="badge-issued",
            context={
                "badge_name": badge_name_for(award),
                "issuer_name": award.issuer.name,
                "expires_at": award.expires_at,
                "award_url": links.award_page_url(award.public_id),
            },
        )
        message.attach(f"badge-{award.public_id}.png", image, "image/png")
        message.send()
    except Exception:
        with transaction.atomic():
            Award.objects.filter(pk=award_id).update(notified_at=None)
        raise
    return "sent"


def badge_name_for(award: Award) -> str:
    """The badge's name in its holder's language."""
    if award.recipient.preferred_language == "en" and award.badge_class.name_en:
        return award.badge_class.name_en
    return award.badge_class.name


def awards_remind_expiring(*, now: dt.datetime, days: int, limit: int = 2000) -> int:
    """Email holders whose badge expires within ``days``, once per award; returns emails sent.

    1. Pick issued, current awards expiring in (now, now + days] that were never reminded,
       leaving out those whose holder already holds a later copy of the same badge (renewed).
    2. Claim each with a conditional update of ``reminded_at``, so two beat runs (or a
       duplicate task) send one email.
    3. Send in the holder's language with a link to the course that renews the badge; a
       failed send releases the claim so that the next run tries again.
    """
    from django.db.models import Exists, OuterRef, Q

    from staff.emails import send_templated_email

    from . import links

    renewed = (
        Award.objects.issued()
        .filter(
            recipient=OuterRef("recipient"),
            badge_class=OuterRef("badge_class"),
            is_current=True,
        )
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=OuterRef("expires_at")))
    )
    due = (
        Award.objects.issued()
        .filter(
            is_current=True,
            reminded_at__isnull=True,
            expires_at__gt=now,
            expires_at__lte=now + dt.timedelta(days=days),
        )
        .exclude(Exists(renewed))
        .order_by("expires_at")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for award_id in list(due):
        if not Award.objects.filter(pk=award_id, reminded_at__isnull=True).update(reminded_at=now):
            continue
        award = Award.objects.select_related("badge_class", "recipient").get(pk=award_id)
        try:
            send_templated_email(
                to=award.recipient,
                template="badge-expiring",
                context={
                    "badge_name": badge_name_for(award),
                    "expires_on": timezone.localdate(award.expires_at).isoformat(),
                    "renewal_url": award.badge_class.renewal_url,
                    "award_url": links.award_page_url(award.public_id),
                },
            )
        except (OSError, smtplib.SMTPException):
            # The mail server is away: release the claim, the next run tries again.
            Award.objects.filter(pk=award_id).update(reminded_at=None)
            logger.warning("Could not send the expiry reminder for award %s", award_id, exc_info=True)
            continue
        except BaseException:
            Award.objects.filter(pk=award_id).update(reminded_at=None)
            raise
        sent += 1
    return sent
