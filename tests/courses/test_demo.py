from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from badges.models import Award
from courses.models import Course, Enrolment, EnrolmentState, Programme

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_catalogue_and_enrolments_in_every_state_and_seeds_only_once(
    client, enqueued, django_capture_on_commit_callbacks, settings
):
    settings.DEBUG = True  # as `make run`: with DEBUG=0 seed_demo refuses (tests/staff/test_seed_demo.py)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())
    counts = (Course.objects.count(), Programme.objects.count(), Enrolment.objects.count(), Award.objects.count())
    assert set(Enrolment.objects.values_list("state", flat=True)) == set(EnrolmentState.values)
    assert Course.objects.filter(code="CHUO-LAW-2026-GYOSEI", title="行政法").exists()
    assert Award.objects.filter(source_key__startswith="programme:").count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())
    assert (
        Course.objects.count(),
        Programme.objects.count(),
        Enrolment.objects.count(),
        Award.objects.count(),
    ) == counts
    # The human-capital report's table was kept while the demo was written (courses/learning.py).
    from courses.learning import learning_years_drift

    assert learning_years_drift() == []

    # Each page has something to show.
    from staff.models import StaffMember

    client.force_login(StaffMember.objects.get(email="staff@demo.hachioji.test"))
    assert len(client.get(reverse("courses:my_learning")).context["in_progress"]) >= 4
    assert client.get(reverse("courses:catalogue"), {"q": "行政"}).context["page"].paginator.count >= 2
    client.force_login(StaffMember.objects.get(email="head@demo.hachioji.test"))
    assert len(client.get(reverse("courses:approvals")).context["awaiting"]) >= 2


def test_demo_terms_follow_the_fiscal_year_and_the_course_dates():
    import datetime as dt

    from courses.demo import term_for

    # Seeded in December 2026: a course from January to February 2027 is the second half of FY2026.
    assert term_for(dt.date(2027, 1, 14), dt.date(2027, 2, 13)) == "2026年度 後期"
    assert term_for(dt.date(2026, 5, 1), dt.date(2026, 7, 31)) == "2026年度 前期"
    assert term_for(dt.date(2027, 1, 14), dt.date(2027, 7, 13)) == "2026年度 通年"
    assert term_for(dt.date(2026, 10, 1), dt.date(2027, 3, 31)) == "2026年度 後期"
