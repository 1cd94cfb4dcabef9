"""Celery tasks: thin wrappers that take ids and call one service."""

from __future__ import annotations

from celery import shared_task


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=5,
)
def award_issue_task(self: object, award_id: int) -> str:
    from .issuing import award_ensure_issued

    return award_ensure_issued(award_id=award_id)
