"""Course tests never reach a broker: award and email dispatch are recorded instead.

Emails are still delivered: the recorded dispatch runs the Celery task's function directly,
so ``django.core.mail.outbox`` holds what a worker would have sent.
"""

from __future__ import annotations

from typing import Any

import pytest

from staff.tasks import send_email_task


@pytest.fixture(autouse=True)
def award_enqueued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []

    def record(award_id: int) -> bool:
        calls.append(award_id)
        return True

    def record_many(award_ids: list[int]) -> int:
        calls.extend(award_ids)
        return len(award_ids)

    monkeypatch.setattr("badges.services.award_enqueue", record)
    monkeypatch.setattr("badges.services.awards_enqueue_many", record_many)
    return calls


@pytest.fixture(autouse=True)
def emails_dispatched(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, str, dict[str, Any]]]:
    calls: list[tuple[int, str, dict[str, Any]]] = []

    def dispatch(email_id: int) -> bool:
        from staff.models import OutgoingEmail

        email = OutgoingEmail.objects.get(pk=email_id)
        calls.append((email.to_id, email.template, email.context))
        send_email_task(email_id)  # the task's body, run here
        return True

    def dispatch_many(email_ids: list[int]) -> int:
        for email_id in email_ids:
            dispatch(email_id)
        return len(email_ids)

    monkeypatch.setattr("staff.emails.email_dispatch", dispatch)
    monkeypatch.setattr("staff.emails.emails_dispatch", dispatch_many)
    return calls
