"""Course tests never reach a broker: award and email dispatch are recorded instead.

Emails are still delivered: the recorded dispatch runs the Celery task's function directly,
so ``django.core.mail.outbox`` holds what a worker would have sent.
"""

from __future__ import annotations

from typing import Any

import pytest

from staff.tasks import send_email_task
from tests.courses.insight_helpers import City, build_city


@pytest.fixture(autouse=True)
def _awards_recorded(enqueued: list[int]) -> None:
    """Every course test records the awards queued (the ``enqueued`` fixture) instead of
    reaching a broker."""


@pytest.fixture
def city(alice, bob, carol, dave, department) -> City:  # type: ignore[no-untyped-def]
    """The HR insight tests' city (tests/courses/insight_helpers.py: who holds what, and why)."""
    return build_city(alice=alice, bob=bob, dave=dave, department=department)


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
