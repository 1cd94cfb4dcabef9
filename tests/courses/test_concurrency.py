"""Services in parallel (PostgreSQL: real row and advisory locks): approvals never put a course over
capacity, and two withdrawals that seat each other never deadlock."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from courses.models import Enrolment
from courses.services import EnrolmentError, enrolment_approve, enrolment_withdraw
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


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_withdrawals_that_seat_each_other_both_finish(monkeypatch):  # type: ignore[no-untyped-def]
    """Ann holds a seat on course X and waits for course Y; Ben the other way round. Both withdraw
    at the same moment: each withdrawal seats the other person, so each transaction changes both
    people's learning years (courses.learning). They lock them in id order, once, at the end of
    the service: the second transaction waits for the first rather than deadlocking.

    The spy holds each transaction just after its first lock on people until the other has taken
    its own (or 1.5 s have passed): locked per transition (Ann then Ben, Ben then Ann), the two
    would now wait on each other and PostgreSQL would abort one ("deadlock detected")."""
    from courses import learning

    ann, ben = make_staff(), make_staff()
    x = make_course(capacity=1, starts_on=timezone.localdate() + dt.timedelta(days=30))
    y = make_course(capacity=1, starts_on=timezone.localdate() + dt.timedelta(days=30))
    ann_x = make_enrolment(staff=ann, course=x, state="approved")
    ben_x = make_enrolment(staff=ben, course=x, state="waitlisted")
    ben_y = make_enrolment(staff=ben, course=y, state="approved")
    ann_y = make_enrolment(staff=ann, course=y, state="waitlisted")
    learning.learning_years_refresh(staff_ids=[ann.pk, ben.pk])

    barrier = threading.Barrier(2)
    first_lock_done = threading.local()
    real_lock_people = learning._lock_people

    def lock_people_then_meet(cursor, ids):  # type: ignore[no-untyped-def]
        real_lock_people(cursor, ids)
        if not getattr(first_lock_done, "value", False):
            first_lock_done.value = True
            try:
                barrier.wait(timeout=1.5)
            except threading.BrokenBarrierError:
                pass  # the other transaction is waiting for our locks: go on and commit

    monkeypatch.setattr(learning, "_lock_people", lock_people_then_meet)
    errors: list[BaseException] = []

    def withdraw(enrolment: Enrolment, person) -> None:  # type: ignore[no-untyped-def]
        try:
            enrolment_withdraw(enrolment=enrolment, actor=person)
        except BaseException as exc:  # pragma: no cover - would be the deadlock
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=withdraw, args=(ann_x, ann)),
        threading.Thread(target=withdraw, args=(ben_y, ben)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    close_old_connections()

    assert errors == []
    states = {
        (e.staff_id, e.course_id): e.state
        for e in Enrolment.objects.filter(pk__in=[ann_x.pk, ben_x.pk, ann_y.pk, ben_y.pk])
    }
    assert states == {
        (ann.pk, x.pk): "withdrawn",
        (ben.pk, x.pk): "approved",
        (ben.pk, y.pk): "withdrawn",
        (ann.pk, y.pk): "approved",
    }
    assert learning.learning_years_drift([ann.pk, ben.pk]) == []
