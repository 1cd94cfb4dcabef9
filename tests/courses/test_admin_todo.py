"""HR's to-do on the admin index: what waits, how many, each linking to its filtered list; and
「最近行った操作」 lists what HR did through the services (issue 13)."""

from __future__ import annotations

import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from badges import services as badge_services
from badges.models import Award, ExternalBadge
from tests.badges.conftest import bake_ob3, external_credential
from tests.factories import make_badge_class, make_course, make_enrolment, make_staff

pytestmark = pytest.mark.django_db


def _todo(html: str) -> dict[str, tuple[str, int]]:
    """key → (link, count) as the page shows them."""
    section = html[html.index('id="hr-todo"') :].split("</ul>")[0]
    rows = re.findall(
        r'<li class="todo-(\w+)">\s*<a href="([^"]+)">[^<]+</a>\s*<span class="todo-count[^"]*" data-count="(\d+)">',
        section,
    )
    return {key: (url.replace("&amp;", "&"), int(count)) for key, url, count in rows}


@pytest.fixture
def waiting(alice, dave, bob):  # type: ignore[no-untyped-def]
    """Two requests awaiting HR (one recommended, one waiting), one not yet; one failed badge;
    one external badge to confirm."""
    course = make_course()
    make_enrolment(staff=alice, course=course, state="recommended")
    make_enrolment(staff=dave, course=make_course(), state="waitlisted")
    make_enrolment(staff=bob, course=course, state="requested")
    badge = make_badge_class()
    failed, _ = badge_services.award_request(
        recipient=alice, badge_class=badge, source_key="enrolment:1", achieved_on=course.starts_on
    )
    Award.objects.filter(pk=failed.pk).update(status=Award.Status.FAILED)
    badge_services.award_request(
        recipient=dave, badge_class=badge, source_key="enrolment:2", achieved_on=course.starts_on
    )
    badge_services.external_badge_add(holder=alice, data=bake_ob3(external_credential(email=alice.email)))


def test_the_index_shows_hr_what_waits_with_numbers_that_match_the_linked_lists(client, carol, waiting):
    client.force_login(carol)
    html = client.get(reverse("admin:index")).content.decode()
    todo = _todo(html)
    assert {key: count for key, (_url, count) in todo.items()} == {
        "awaiting_hr": 2,
        "failed_awards": 1,
        "external_to_confirm": 1,
    }
    assert "人事課の対応待ち" in html and "2 件" in html
    for _key, (url, count) in todo.items():
        listed = client.get(url)
        assert listed.status_code == 200, url
        assert listed.context["cl"].result_count == count, url
    assert ExternalBadge.objects.count() == 1


def test_someone_who_may_view_none_of_the_lists_sees_no_to_do(client, waiting):
    clerk = make_staff(is_staff=True, mfa=True)
    client.force_login(clerk)
    assert 'id="hr-todo"' not in client.get(reverse("admin:index")).content.decode()


def test_recent_actions_list_what_hr_did_through_the_services(client, carol, alice):
    enrolment = make_enrolment(staff=alice, course=make_course(), state="recommended")
    client.force_login(carol)
    before = client.get(reverse("admin:index")).content.decode()
    assert "利用不可" in before  # nothing done yet
    client.post(
        reverse("admin:courses_enrolment_changelist"), {"action": "approve", ACTION_CHECKBOX_NAME: [enrolment.pk]}
    )
    after = client.get(reverse("admin:index")).content.decode()
    recent = after[after.index('id="recent-actions-module"') :]
    assert "利用不可" not in recent
    assert reverse("admin:courses_enrolment_change", args=[enrolment.pk]) in recent
    assert str(enrolment) in recent
