"""Every list page runs the same number of queries whatever the amount of data."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    make_badge_class,
    make_course,
    make_enrolment,
    make_programme,
    make_provider,
    make_skill,
    make_staff,
    role_query,
)

pytestmark = pytest.mark.django_db

STATES = ["requested", "recommended", "approved", "waitlisted", "completed", "not_completed", "rejected", "withdrawn"]


def _grow(n: int, *, learner, head_department) -> None:  # type: ignore[no-untyped-def]
    """Add ``n`` courses (with skills, badges, programmes) and enrolments in every state."""
    provider = make_provider()
    skills = [make_skill() for _ in range(3)]
    courses = [
        make_course(
            provider=provider,
            title=f"行政法 第{i}部",
            skills={skills[i % 3]: 1, skills[(i + 1) % 3]: 2},
            badge_class=make_badge_class() if i % 3 != 2 else None,  # completed ones too (i % 8 == 4)
            capacity=30,
        )
        for i in range(n)
    ]
    make_programme(courses=courses[:2], badge_class=make_badge_class())
    for i, course in enumerate(courses):
        make_enrolment(staff=learner, course=course, state=STATES[i % len(STATES)])
        colleague = make_staff(department=head_department)
        make_enrolment(staff=colleague, course=course, state=STATES[(i + 3) % len(STATES)])


def _count(client, url: str) -> int:  # type: ignore[no-untyped-def]
    client.get(url)  # warm the per-process caches (content types, permissions) first
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def _assert_constant(client, urls: Callable[[], list[str]], grow: Callable[[int], None], django_assert_num_queries):  # type: ignore[no-untyped-def]
    grow(2)
    small = {url: _count(client, url) for url in urls()}
    grow(30)
    for url in urls():
        with django_assert_num_queries(small[url]):
            assert client.get(url).status_code == 200
        assert small[url] <= 16, (url, small[url])


def test_staff_pages_run_a_constant_number_of_queries(client, alice, department, django_assert_num_queries):
    client.force_login(alice)

    def urls() -> list[str]:
        catalogue = reverse("courses:catalogue")
        return [
            catalogue,
            catalogue + "?q=行政&open_now=on&sort=deadline",
            catalogue + "?page=2",
            reverse("courses:detail", args=[alice.enrolments.order_by("pk").first().course.code]),
            reverse("courses:my_learning"),
        ]

    _assert_constant(
        client, urls, lambda n: _grow(n, learner=alice, head_department=department), django_assert_num_queries
    )


def test_the_staff_pages_run_these_many_queries(client, alice, department):
    """Signed in: the session row, then the person with their roles in one query (staff/auth_backends.py)."""
    client.force_login(alice)
    _grow(8, learner=alice, head_department=department)
    catalogue = reverse("courses:catalogue")
    course = reverse("courses:detail", args=[alice.enrolments.order_by("pk").first().course.code])
    # catalogue: providers and skills of the form, count, the page with each card's skills
    # course page: course, its skills, its programmes and their courses, the person's enrolment and its history
    # my learning: enrolments, their history, waiting-list places, badges
    for url, expected in ((catalogue, 6), (course, 8), (reverse("courses:my_learning"), 6)):
        expected += role_query()
        client.get(url)  # warm the per-process caches
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        assert len(ctx.captured_queries) == expected, (url, [q["sql"][:90] for q in ctx.captured_queries])


def test_the_approvals_page_runs_a_constant_number_of_queries(
    client, alice, bob, department, django_assert_num_queries
):
    client.force_login(bob)
    _assert_constant(
        client,
        lambda: [reverse("courses:approvals")],
        lambda n: _grow(n, learner=alice, head_department=department),
        django_assert_num_queries,
    )


def test_hr_admin_lists_run_a_constant_number_of_queries(client, alice, carol, department, django_assert_num_queries):
    client.force_login(carol)

    def urls() -> list[str]:
        enrolments = reverse("admin:courses_enrolment_changelist")
        return [
            enrolments,
            enrolments + "?state=awaiting_hr",
            reverse("admin:courses_course_changelist"),
            reverse("admin:courses_programme_changelist"),
        ]

    _assert_constant(
        client, urls, lambda n: _grow(n, learner=alice, head_department=department), django_assert_num_queries
    )


def test_the_enrolment_change_page_runs_a_constant_number_of_queries(
    client, alice, carol, department, django_assert_num_queries
):
    from courses.models import Enrolment

    client.force_login(carol)
    _grow(2, learner=alice, head_department=department)
    enrolment = Enrolment.objects.order_by("pk").first()
    url = reverse("admin:courses_enrolment_change", args=[enrolment.pk])
    small = _count(client, url)
    for _ in range(10):
        make_enrolment(staff=make_staff(), course=enrolment.course)
    with django_assert_num_queries(small):
        client.get(url)
