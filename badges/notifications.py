"""Tell the holder that a badge was issued or revoked (email, in the holder's language).

The claim on ``notified_at`` makes the email at-most-once per award even when the task is
delivered twice; a send that fails releases the claim so that the retry sends it.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from .models import Award

logger = logging.getLogger(__name__)


def award_notify_enqueue(award_id: int) -> None:
    from .tasks import award_notify_task

    try:
        award_notify_task.apply_async(args=[award_id])
    except Exception:
        logger.warning("Could not queue the email for award %s; the sweep will retry", award_id, exc_info=True)


def award_notify_holder(*, award_id: int) -> str:
    from staff.emails import render_templated_email

    from . import links

    claimed = Award.objects.filter(pk=award_id, status=Award.Status.ISSUED, notified_at__isnull=True).update(
        notified_at=timezone.now()
    )
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
                "badge_name": _badge_name(award),
                "issuer_name": award.issuer.name,
                "expires_at": award.expires_at,
                "award_url": links.absolute(f"/badges/{award.public_id}/"),
            },
        )
        message.attach(f"badge-{award.public_id}.png", image, "image/png")
        message.send()
    except Exception:
        with transaction.atomic():
            Award.objects.filter(pk=award_id).update(notified_at=None)
        raise
    return "sent"


def award_revoked_notify_enqueue(award_id: int) -> None:
    from .tasks import award_revoked_notify_task

    try:
        award_revoked_notify_task.apply_async(args=[award_id])
    except Exception:
        logger.warning("Could not queue the revocation email for award %s", award_id, exc_info=True)


def award_revoked_notify_holder(*, award_id: int) -> str:
    from staff.emails import send_templated_email

    award = Award.objects.select_related("badge_class", "recipient").get(pk=award_id)
    send_templated_email(
        to=award.recipient,
        template="badge-revoked",
        context={"badge_name": _badge_name(award), "reason": award.revocation_reason},
    )
    return "sent"


def _badge_name(award: Award) -> str:
    if award.recipient.preferred_language == "en" and award.badge_class.name_en:
        return award.badge_class.name_en
    return award.badge_class.name
