"""Badges issued in one batch (a bulk completion's worker task) keep the skill holdings, badge
spans and award uses exactly as a full rebuild computes them, with one refresh per batch."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from badges import issuing
from badges.models import Award
from courses.holdings import award_uses_rebuild, skill_holdings_rebuild
from courses.models import AwardUse, SkillBadgeSpan, SkillHolding
from courses.services import enrolment_complete
from tests.factories import make_badge_class, make_enrolment, make_programme, make_skill, make_started_course

pytestmark = pytest.mark.django_db


def _tables() -> tuple[set[tuple[Any, ...]], ...]:
    return (
        set(
            SkillHolding.objects.values_list(
                "staff_id", "skill_id", "level", "completed_on", "badge_since", "badge_until"
            )
        ),
        set(
            SkillBadgeSpan.objects.values_list(
                "staff_id", "skill_id", "level", "valid_from", "valid_until", "completed_on"
            )
        ),
        set(AwardUse.objects.values_list("award_id", "recipient_id", "issued_at", "kind")),
    )


def test_holdings_after_one_batch_equal_a_rebuild(alice, bob, dave, carol, signing_key, enqueued):
    data, law = make_skill(code="DATA"), make_skill(code="LAW")
    began = timezone.localdate() - dt.timedelta(days=60)
    data2 = make_started_course(
        skills={data: 2, law: 1}, badge_class=make_badge_class(validity_days=30), starts_on=began
    )
    data3 = make_started_course(skills={data: 3}, badge_class=make_badge_class(), starts_on=began)
    law2 = make_started_course(skills={law: 2}, starts_on=began)
    make_programme(courses=[data2, law2], badge_class=make_badge_class())
    days_ago = iter(range(40, 0, -3))
    for person, courses in ((alice, [data2, law2]), (bob, [data3]), (dave, [data2, data3, law2])):
        for course in courses:
            enrolment = make_enrolment(staff=person, course=course, state="approved")
            day = timezone.localdate() - dt.timedelta(days=next(days_ago))
            enrolment_complete(enrolment=enrolment, actor=carol, completed_on=day)
    pending = list(Award.objects.filter(status="pending").values_list("pk", flat=True))
    assert len(pending) == 6  # alice: DATA2, programme; bob: DATA3; dave: DATA2, DATA3, programme
    with CaptureQueriesContext(connection) as queries:
        assert issuing.awards_ensure_issued(award_ids=pending)["issued"] == 6
    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('DELETE FROM "courses_skillholding"')]
    assert len(deletes) == 1  # one refresh for the batch's three people, not one per award
    kept = _tables()
    assert all(kept) and {row[0] for row in kept[0]} == {alice.pk, bob.pk, dave.pk}
    skill_holdings_rebuild()
    award_uses_rebuild()
    assert _tables() == kept
