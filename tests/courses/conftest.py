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

    monkeypatch.setattr("badges.services.award_enqueue", record)
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

    monkeypatch.setattr("staff.emails.email_dispatch", dispatch)
    return calls
