"""Approvals in parallel never put a course over capacity (PostgreSQL: real row locks)."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection

from courses.models import Enrolment
from courses.services import EnrolmentError, enrolment_approve
from tests.factories import make_course, make_enrolment, make_staff

CAPACITY = 3
PEOPLE = 12


@pytest.mark.postgres
# serialized_rollback: the flush after this test must not wipe the roles and permissions that the
# data migrations created (later tests rely on them).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_approvals_never_exceed_capacity(carol):
    course = make_course(capacity=CAPACITY)
    enrolments = [make_enrolment(staff=make_staff(), course=course, state="recommended") for _ in range(PEOPLE)]
    barrier = threading.Barrier(PEOPLE)
    errors: list[BaseException] = []

    def approve(enrolment: Enrolment) -> None:
        try:
            barrier.wait(timeout=10)  # every thread reaches the lock at the same moment
            enrolment_approve(enrolment=enrolment, actor=carol)
        except EnrolmentError as exc:  # pragma: no cover - would be a bug
            errors.append(exc)
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)
        finally:
            connection.close()  # each thread has its own connection: close it

    threads = [threading.Thread(target=approve, args=(e,)) for e in enrolments]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    close_old_connections()

    assert errors == []
    states = list(Enrolment.objects.filter(course=course).values_list("state", flat=True))
    assert states.count("approved") == CAPACITY
    assert states.count("waitlisted") == PEOPLE - CAPACITY
    # Every approval was recorded once.
    assert sum(e.events.filter(to_state__in=["approved", "waitlisted"]).count() for e in enrolments) == PEOPLE
