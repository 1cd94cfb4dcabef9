"""A grade (成績) is personal data: a badge states it only where its badge class says so
(``BadgeClass.publish_grade``), and public copies of badges issued before say it no more than
they must (badges/grades.py). Issue 12, part 5."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse

from badges import issuing, services
from badges.core import baking
from badges.models import Award, BadgeClass
from courses.services import enrolment_complete
from tests.badges.conftest import baked_bytes
from tests.factories import make_badge_class, make_enrolment, make_started_course

pytestmark = pytest.mark.django_db

GRADE = "成績：優"
LEGACY_NARRATIVE = "「行政法」（中央大学、2025年度）を修了。 成績：優"


def _completed_with_grade(alice, carol, badge_class, capture) -> Award:  # type: ignore[no-untyped-def]
    course = make_started_course(title="行政法", badge_class=badge_class)
    enrolment = make_enrolment(staff=alice, course=course, state="approved")
    with capture(execute=True):
        enrolment_complete(enrolment=enrolment, actor=carol, grade="優")
    award = Award.objects.get(badge_class=badge_class)
    issuing.award_ensure_issued(award_id=award.pk)
    award.refresh_from_db()
    return award


def _public_json(award: Award, name: str = "public:assertion", client: Client | None = None) -> str:
    response = (client or Client()).get(reverse(name, args=[award.public_id]), HTTP_ACCEPT="application/ld+json")
    assert response.status_code == 200
    return response.content.decode()


def test_a_badge_of_a_class_that_does_not_publish_grades_carries_no_grade_anywhere(
    alice, carol, signing_key, enqueued, django_capture_on_commit_callbacks
):
    award = _completed_with_grade(alice, carol, make_badge_class(), django_capture_on_commit_callbacks)
    assert award.status == Award.Status.ISSUED
    assert award.evidence[0]["result"] == "優"  # HR's record keeps it
    for document in (award.assertion, award.credential):
        text = json.dumps(document, ensure_ascii=False)
        assert "「行政法」" in text and "優" not in text
    baked = baking.read_baked(baked_bytes(award))
    assert not any("優" in payload for payload in baked.values())
    for name in ("public:assertion", "public:credential"):
        assert "優" not in _public_json(award, name)


def test_a_class_that_publishes_grades_puts_the_grade_in_its_badges(
    alice, carol, signing_key, enqueued, django_capture_on_commit_callbacks
):
    badge_class = make_badge_class(publish_grade=True)
    award = _completed_with_grade(alice, carol, badge_class, django_capture_on_commit_callbacks)
    assert [e["narrative"] for e in award.assertion["evidence"]] == [
        e["narrative"] for e in award.credential["evidence"]
    ]
    assert award.assertion["evidence"][0]["narrative"].endswith(" " + GRADE)
    assert GRADE in _public_json(award) and GRADE in _public_json(award, "public:credential")


def _legacy_award(alice, badge_class: BadgeClass) -> Award:  # type: ignore[no-untyped-def]
    """An award whose evidence was written before the grade was kept apart (in the narrative)."""
    award, _ = services.award_request(
        recipient=alice,
        badge_class=badge_class,
        source_key="enrolment:701",
        achieved_on=dt.date(2026, 3, 10),
        evidence=[{"name": "行政法", "narrative": LEGACY_NARRATIVE, "genre": "Course", "result": "優"}],
    )
    issuing.award_ensure_issued(award_id=award.pk)
    award.refresh_from_db()
    return award


def test_a_pending_award_written_before_is_issued_without_the_grade(alice, signing_key, enqueued):
    award = _legacy_award(alice, make_badge_class())
    assert award.assertion["evidence"][0]["narrative"] == "「行政法」（中央大学、2025年度）を修了。"
    assert "優" not in json.dumps(award.credential, ensure_ascii=False)


def test_a_hosted_assertion_issued_with_a_grade_is_served_without_it_once_the_class_stops(alice, signing_key, enqueued):
    badge_class = make_badge_class(publish_grade=True)
    award = _legacy_award(alice, badge_class)
    assert GRADE in _public_json(award)
    BadgeClass.objects.filter(pk=badge_class.pk).update(publish_grade=False)
    served = json.loads(_public_json(award))
    assert served["evidence"][0]["narrative"] == "「行政法」（中央大学、2025年度）を修了。"
    assert "優" not in json.dumps(served, ensure_ascii=False)
    # Everything else is as stored (an OB 2.0 hosted assertion is not signed).
    assert {k: v for k, v in served.items() if k != "evidence"} == {
        k: v for k, v in award.assertion.items() if k != "evidence"
    }


def test_a_signed_credential_with_a_grade_goes_only_where_the_baked_image_may_go(
    client, alice, carol, dave, signing_key, enqueued
):
    badge_class = make_badge_class(publish_grade=True)
    award = _legacy_award(alice, badge_class)
    BadgeClass.objects.filter(pk=badge_class.pk).update(publish_grade=False)
    url = reverse("public:credential", args=[award.public_id])
    assert award.visibility == Award.Visibility.PRIVATE
    assert Client().get(url).status_code == 404
    client.force_login(dave)
    assert client.get(url).status_code == 404
    for person in (alice, carol):  # the holder, and HR
        client.force_login(person)
        assert client.get(url).status_code == 200
    services.award_set_visibility(award=award, visibility=Award.Visibility.PUBLIC, by=alice)
    assert Client().get(url).status_code == 200  # the holder shows the badge (and its grade) to anyone


def test_a_credential_without_a_grade_stays_public_for_verifiers(alice, signing_key, enqueued):
    award = _legacy_award(alice, make_badge_class())
    assert award.visibility == Award.Visibility.PRIVATE
    assert "優" not in _public_json(award, "public:credential")
