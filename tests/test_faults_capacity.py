"""200 staff asking for the last 30 seats at the same moment, and HR approving in parallel:
never more than capacity, nobody lost or doubled, the rest waitlisted and promoted in order."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from courses.models import Enrolment
from courses.services import EnrolmentError, enrolment_approve, enrolment_recommend, enrolment_reject, enrolment_request
from staff.services import department_set_heads
from tests.factories import make_course, make_department, make_enrolment, make_staff

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CAPACITY, TAKEN, PEOPLE = 40, 10, 200
THREADS = 40  # PostgreSQL's default max_connections is 100: 40 at once, 5 people each


def _in_parallel(work: list[Callable[[], None]], threads: int) -> list[BaseException]:
    """Run ``work`` on ``threads`` threads that all start at the same moment."""
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []
    slices = [work[i::threads] for i in range(threads)]

    def run(items: list[Callable[[], None]]) -> None:
        try:
            barrier.wait(timeout=30)
            for item in items:
                item()
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    pool = [threading.Thread(target=run, args=(s,)) for s in slices]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=120)
    close_old_connections()
    return errors


def test_two_hundred_requests_for_the_last_thirty_seats(carol):
    section = make_department(code="5010", name="保健総務課", level="section")
    head = make_staff(department=section, grade="kacho")
    department_set_heads(department=section, heads=[head])
    course = make_course(code="BOSAI-9", title="防災リーダー研修", capacity=CAPACITY)
    for _ in range(TAKEN):
        make_enrolment(staff=make_staff(department=section), course=course, state="approved")
    people = [make_staff(department=section) for _ in range(PEOPLE)]
    today = timezone.localdate()
    refused: list[str] = []

    def ask(person):  # type: ignore[no-untyped-def]
        def go() -> None:
            enrolment_request(
                staff=person, course=course, use_type="self_development", reason="地域防災のため", today=today
            )
            try:  # the same person double-submits at once: refused, never doubled
                enrolment_request(staff=person, course=course, use_type="self_development", reason="再送", today=today)
            except EnrolmentError as exc:
                refused.append(exc.message)

        return go

    assert _in_parallel([ask(p) for p in people], THREADS) == []
    requested = list(Enrolment.objects.filter(course=course, state="requested").order_by("pk"))
    assert len(requested) == PEOPLE and len(refused) == PEOPLE
    assert Enrolment.objects.filter(course=course).count() == PEOPLE + TAKEN

    # The head recommends them one by one (the waiting-list order is the recommendation order).
    order = []
    for enrolment in requested:
        enrolment_recommend(enrolment=enrolment, actor=head)
        order.append(enrolment.pk)

    # HR approves all 200 in parallel: 8 HR sessions at once.
    approvals = [lambda e=e: enrolment_approve(enrolment=e, actor=carol) for e in requested]
    assert _in_parallel(approvals, 8) == []

    states = dict(Enrolment.objects.filter(course=course).values_list("pk", "state"))
    approved = [pk for pk, s in states.items() if s == "approved"]
    waitlisted = [pk for pk, s in states.items() if s == "waitlisted"]
    assert len(approved) == CAPACITY, "the course went over capacity"
    assert len(waitlisted) == PEOPLE + TAKEN - CAPACITY
    assert all(
        Enrolment.objects.get(pk=pk).events.filter(to_state__in=["approved", "waitlisted"]).count() == 1 for pk in order
    ), "every decision recorded exactly once"

    # Seats that free up go to the waiting list in recommendation order.
    expected_next = [pk for pk in order if pk in set(waitlisted)][:3]
    for pk in approved[:3]:
        enrolment_reject(enrolment=Enrolment.objects.get(pk=pk), actor=carol, reason="所属の都合により辞退")
    promoted = set(Enrolment.objects.filter(pk__in=waitlisted, state="approved").values_list("pk", flat=True))
    assert promoted == set(expected_next)
    assert Enrolment.objects.filter(course=course, state="approved").count() == CAPACITY
