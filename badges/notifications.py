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
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from hachioji_portal import queueing
from staff import emails as staff_emails

from . import links
from .models import Award

logger = logging.getLogger(__name__)


#: The holders' emails of a batch of awards (``hachioji_portal.queueing`` imports it).
NOTIFY_BATCH_TASK = "badges.tasks.awards_notify_batch_task"
#: Awards per message: one issuing batch's holders (``services.ISSUE_BATCH``) go together.
NOTIFY_BATCH = 20


def awards_notify_enqueue(award_ids: list[int]) -> None:
    """Queue the holders' emails of many awards, ``NOTIFY_BATCH`` per message. Nothing is
    stamped: the sweep finds the holders not told yet by ``notified_at``."""
    queueing.enqueue(NOTIFY_BATCH_TASK, award_ids, batch=NOTIFY_BATCH, outbox=None)


def award_notify_holder(*, award_id: int) -> str:
    claimed = Award.objects.issued().filter(pk=award_id, notified_at__isnull=True).update(notified_at=timezone.now())
    if not claimed:
        return "already"
    award = Award.objects.select_related("badge_class", "issuer", "recipient").get(pk=award_id)
    try:
        with award.baked_image.open("rb") as handle:
            image = handle.read()
        message = staff_emails.render_templated_email(
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
            staff_emails.send_templated_email(  # by module: tests replace it there
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
