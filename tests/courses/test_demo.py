from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from badges.models import Award
from courses.models import Course, Enrolment, EnrolmentState, Programme

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_catalogue_and_enrolments_in_every_state_and_seeds_only_once(
    client, award_enqueued, django_capture_on_commit_callbacks
):
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

    # Each page has something to show.
    from staff.models import StaffMember

    client.force_login(StaffMember.objects.get(email="staff@demo.hachioji.test"))
    assert len(client.get(reverse("courses:my_learning")).context["in_progress"]) >= 4
    assert client.get(reverse("courses:catalogue"), {"q": "行政"}).context["page"].paginator.count >= 2
    client.force_login(StaffMember.objects.get(email="head@demo.hachioji.test"))
    assert len(client.get(reverse("courses:approvals")).context["awaiting"]) >= 2
