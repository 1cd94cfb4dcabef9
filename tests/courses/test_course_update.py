"""What follows an edit of a course or a programme is one rule (``course_update`` /
``programme_update``), whichever way the edit came: HR's admin form or the catalogue import.

The import used to save the course and stop there: raising a course's capacity from 1 to 2 by
import left the waiting person waitlisted (issue 16, §1)."""

from __future__ import annotations

from typing import Any

import pytest
import tablib
from django.urls import reverse

from badges.models import BadgeClass
from courses.models import Course, EnrolmentEvent, SkillHolding
from courses.resources import CourseResource
from courses.services import course_update, enrolment_complete, programme_update
from staff.formats import RosterCSV
from tests.factories import (
    make_award,
    make_badge_class,
    make_course,
    make_enrolment,
    make_programme,
    make_skill,
    make_started_course,
)

pytestmark = pytest.mark.django_db


def _import_courses(edit: dict[str, Any], *, dry_run: bool = False) -> Any:
    """HR downloads the catalogue, changes the columns in ``edit`` on every row, uploads it back."""
    exported = CourseResource().export()
    for column, value in edit.items():
        index = exported.headers.index(CourseResource.COLUMNS[column])
        exported = tablib.Dataset(
            *[(*row[:index], value, *row[index + 1 :]) for row in exported], headers=exported.headers
        )
    uploaded = RosterCSV().create_dataset(exported.export("csv").encode("utf-8"))
    result = CourseResource().import_data(uploaded, dry_run=dry_run)
    assert not result.has_errors() and not result.has_validation_errors(), [
        (r.errors, r.validation_error) for r in result.rows
    ]
    return result


def _holdings(person: Any) -> dict[str, int]:
    best: dict[str, int] = {}
    for code, level in SkillHolding.objects.filter(staff=person).values_list("skill__code", "level"):
        best[code] = max(level, best.get(code, 0))
    return best


# --- The catalogue import --------------------------------------------------------------------


def test_raising_capacity_from_1_to_2_by_import_seats_the_waiting_person(alice, dave):
    course = make_course(capacity=1)
    make_enrolment(staff=dave, course=course, state="approved")
    waiting = make_enrolment(staff=alice, course=course, state="waitlisted")

    _import_courses({"capacity": 2})

    waiting.refresh_from_db()
    assert Course.objects.get().capacity == 2
    assert waiting.state == "approved"
    assert EnrolmentEvent.objects.filter(enrolment=waiting, to_state="approved").count() == 1


def test_a_dry_run_of_that_import_seats_no_one(alice, dave):
    course = make_course(capacity=1)
    make_enrolment(staff=dave, course=course, state="approved")
    waiting = make_enrolment(staff=alice, course=course, state="waitlisted")

    _import_courses({"capacity": 2}, dry_run=True)

    waiting.refresh_from_db()
    assert (Course.objects.get().capacity, waiting.state) == (1, "waitlisted")


def test_an_import_that_changes_something_else_leaves_the_waiting_list_alone(alice, dave):
    # A free seat with someone waiting is HR's to give (the admin action); only a new capacity gives it.
    course = make_course(capacity=1)
    waiting = make_enrolment(staff=alice, course=course, state="waitlisted")

    _import_courses({"title": "新しい講座名"})

    waiting.refresh_from_db()
    assert (Course.objects.get().title, waiting.state) == ("新しい講座名", "waitlisted")


def test_new_skills_by_import_reach_the_badge_and_the_people_who_completed_the_course(alice, carol):
    data = make_skill(code="DATA")
    make_skill(code="LAW")
    course = make_started_course(skills={data: 1}, badge_class=make_badge_class())
    enrolment_complete(enrolment=make_enrolment(staff=alice, course=course, state="approved"), actor=carol)

    _import_courses({"skills": "DATA:2|LAW:1"})

    assert _holdings(alice) == {"DATA": 2, "LAW": 1}
    alignments = BadgeClass.objects.get(pk=course.badge_class_id).alignments
    assert [a["targetCode"] for a in alignments] == ["DATA", "LAW"]


# --- HR's admin form -------------------------------------------------------------------------


def test_raising_capacity_in_the_admin_seats_the_waiting_person_and_says_so(client, carol, alice, dave):
    course = make_course(capacity=1)
    make_enrolment(staff=dave, course=course, state="approved")
    waiting = make_enrolment(staff=alice, course=course, state="waitlisted")
    client.force_login(carol)
    url = reverse("admin:courses_course_change", args=[course.pk])
    form = client.get(url).context["adminform"].form
    post = {k: ("" if v is None else v) for k, v in form.initial.items() if k != "skills"}
    post.update(
        {
            "capacity": 2,
            "provider": course.provider_id,
            "badge_class": "",
            "course_skills-TOTAL_FORMS": "0",
            "course_skills-INITIAL_FORMS": "0",
        }
    )
    for key in ("starts_on", "ends_on", "application_opens_on", "application_closes_on"):
        post[key] = getattr(course, key).isoformat()
    for flag in ("for_self_development", "for_promotion", "is_published"):
        if not post.get(flag):
            post.pop(flag, None)

    response = client.post(url, post, follow=True)

    waiting.refresh_from_db()
    assert waiting.state == "approved"
    assert "1 人がキャンセル待ちから受講決定になりました。" in [str(m) for m in response.context["messages"]]


def test_adding_a_course_to_a_programme_in_the_admin_gives_its_badge_holders_the_new_skill(
    client, carol, alice, signing_key
):
    data, law = make_skill(code="DATA"), make_skill(code="LAW")
    first = make_started_course(skills={data: 1})
    programme = make_programme(courses=[first], badge_class=make_badge_class())
    make_award(recipient=alice, badge_class=programme.badge_class)
    programme_update(programme=programme, changed=["courses"])
    assert _holdings(alice) == {"DATA": 1}
    second = make_started_course(skills={law: 2})
    client.force_login(carol)
    url = reverse("admin:courses_programme_change", args=[programme.pk])
    form = client.get(url).context["adminform"].form
    post = {k: v for k, v in form.initial.items() if v is not None and k != "courses"}
    post.update({"courses": [first.pk, second.pk], "badge_class": programme.badge_class_id})
    if not post.get("is_published"):
        post.pop("is_published", None)

    response = client.post(url, post)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert _holdings(alice) == {"DATA": 1, "LAW": 2}
    alignments = BadgeClass.objects.get(pk=programme.badge_class_id).alignments
    assert [a["targetCode"] for a in alignments] == ["DATA", "LAW"]


# --- The services themselves -----------------------------------------------------------------


def test_course_update_gives_seats_only_when_the_capacity_changed(alice, dave):
    course = make_course(capacity=1)
    waiting = make_enrolment(staff=alice, course=course, state="waitlisted")
    assert course_update(course=course, changed=["title"]) == []
    assert course_update(course=course, changed=["capacity"]) == [waiting]
