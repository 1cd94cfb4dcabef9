"""HR marks many enrolments completed in one bulk action; a real worker on Redis and PostgreSQL
issues every badge in batches, before it sends any email (even emails queued earlier), and each
email goes once."""

from __future__ import annotations

import json

import pytest
from django.db.models import Max, Min

from badges.core import baking, credentials
from badges.models import Award
from courses.models import Enrolment
from courses.services import enrolments_bulk_complete
from staff.models import OutgoingEmail
from tests.factories import make_badge_class, make_enrolment, make_staff, make_started_course, today
from tests.worker import running_worker, sent_emails, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

N = 45


def test_a_bulk_completion_is_issued_in_batches_before_any_email_and_each_email_goes_once(
    carol, signing_key, private_queue, tmp_path
):
    lecture, course = make_started_course(), make_started_course(badge_class=make_badge_class())
    people = [make_staff(family_name="渡邉", given_name=f"﨑子{i}") for i in range(N)]
    for person in people:
        make_enrolment(staff=person, course=lecture, state="approved")
        make_enrolment(staff=person, course=course, state="approved")
    # Everything is queued before the worker starts, emails first: the lecture's "completed"
    # emails (no badge), then the course's issuing batches and its "completed" emails.
    for queued_first in (lecture, course):
        outcome = enrolments_bulk_complete(
            enrolments=list(Enrolment.objects.filter(course=queued_first)), actor=carol, completed_on=today()
        )
        assert len(outcome.done) == N
    assert Award.objects.filter(status=Award.Status.PENDING, queued_at__isnull=False).count() == N
    with running_worker(tmp_path):
        assert wait_for(lambda: Award.objects.filter(status=Award.Status.ISSUED).count() == N, timeout=120)
        assert wait_for(lambda: len(sent_emails(tmp_path)) >= 3 * N, timeout=120)
        assert wait_for(lambda: not OutgoingEmail.objects.filter(sent_at__isnull=True).exists(), timeout=30)
    awards = Award.objects.filter(status=Award.Status.ISSUED)
    last_issued = awards.aggregate(last=Max("issued_at"))["last"]
    first_mail = min(
        awards.aggregate(first=Min("notified_at"))["first"],
        OutgoingEmail.objects.aggregate(first=Min("sent_at"))["first"],
    )
    # issued_at is kept to the second, so "before" allows the same second.
    assert last_issued <= first_mail.replace(microsecond=0), "an email went out while badges were still waiting"
    assert len(sent_emails(tmp_path)) == 3 * N, "two 'completed' and one 'badge issued' email per person"
    assert awards.filter(notified_at__isnull=False).count() == N
    assert OutgoingEmail.objects.filter(outcome="sent").count() == 2 * N
    for award in awards.order_by("?")[:5]:
        with award.baked_image.open("rb") as handle:
            chunks = baking.read_baked(handle.read())
        assert credentials.verify_credential(json.loads(chunks[baking.KEYWORD_OB3])).valid
