"""The enrolment's own admin page: the decisions possible from its state, as buttons next to the
history, each a POST to the service the list action calls (issue 13)."""

from __future__ import annotations

import re

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.urls import reverse

from courses.models import Enrolment
from tests.factories import make_course, make_enrolment, make_staff, make_started_course, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def hr_client(client, carol):  # type: ignore[no-untyped-def]
    client.force_login(carol)
    return client


def _page(client, enrolment):  # type: ignore[no-untyped-def]
    response = client.get(reverse("admin:courses_enrolment_change", args=[enrolment.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _decide(client, enrolment, decision, expected_state=None, **fields):  # type: ignore[no-untyped-def]
    data = {"expected_state": expected_state or enrolment.state}
    data.update({f"{decision}-{name}": value for name, value in fields.items()})
    return client.post(reverse("admin:courses_enrolment_decide", args=[enrolment.pk, decision]), data)


def _forms(html: str) -> list[str]:
    return re.findall(r'<form method="post" action="[^"]*/decide/(\w+)/"', html)


def _messages(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_page_offers_exactly_the_decisions_possible_from_each_state(hr_client, alice):
    expected = {
        "requested": ["reject"],
        "recommended": ["approve", "reject"],
        "waitlisted": ["approve", "reject"],
        "approved": ["reject", "complete", "not_completed"],
        "completed": ["complete"],  # a correction of the result
        "not_completed": ["complete"],  # a late grade report
        "rejected": [],
        "withdrawn": [],
    }
    for state, decisions in expected.items():
        enrolment = make_enrolment(staff=alice, course=make_course(), state=state)
        html = _page(hr_client, enrolment)
        assert _forms(html) == decisions, state
        assert 'name="_save"' not in html  # every field is read-only: no 保存 that saves nothing


def test_the_decisions_sit_after_the_history_and_carry_csrf_and_the_state_shown(hr_client, alice):
    enrolment = make_enrolment(staff=alice, course=make_course(), state="recommended")
    html = _page(hr_client, enrolment)
    assert html.index('id="events-group"') < html.index('id="decisions"')
    form = html[html.index('id="decisions"') :]
    assert form.count('name="csrfmiddlewaretoken"') == 2
    assert form.count('name="expected_state" value="recommended"') == 2


def test_hr_approves_from_the_page_and_the_history_and_admin_log_show_it(hr_client, alice, carol):
    enrolment = make_enrolment(staff=alice, course=make_course(), state="recommended")
    response = _decide(hr_client, enrolment, "approve", comment="予算確保済み")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:courses_enrolment_change", args=[enrolment.pk])
    assert _messages(response) == ["承認しました。"]
    enrolment.refresh_from_db()
    assert enrolment.state == "approved"
    last = enrolment.events.last()
    assert (last.from_state, last.to_state, last.actor, last.comment) == (
        "recommended",
        "approved",
        carol,
        "予算確保済み",
    )
    entry = LogEntry.objects.get(user=carol)
    assert (entry.object_id, entry.action_flag) == (str(enrolment.pk), 2)


def test_approving_a_full_course_puts_the_request_on_the_waiting_list_and_says_so(hr_client, alice, dave):
    course = make_course(capacity=1)
    make_enrolment(staff=dave, course=course, state="approved")
    enrolment = make_enrolment(staff=alice, course=course, state="recommended")
    response = _decide(hr_client, enrolment, "approve")
    assert _messages(response) == ["定員に達しているため、キャンセル待ちにしました。"]
    assert Enrolment.objects.get(pk=enrolment.pk).state == "waitlisted"


def test_rejecting_needs_a_reason_and_records_it(hr_client, alice):
    enrolment = make_enrolment(staff=alice, course=make_course(), state="recommended")
    response = _decide(hr_client, enrolment, "reject", reason="")
    assert Enrolment.objects.get(pk=enrolment.pk).state == "recommended"
    assert _messages(response) == ["このフィールドは必須です。"]
    _decide(hr_client, enrolment, "reject", reason="定員の都合により次期に")
    enrolment.refresh_from_db()
    assert (enrolment.state, enrolment.events.last().comment) == ("rejected", "定員の都合により次期に")


def test_marking_completed_and_not_completed_from_the_page(hr_client, alice, dave, enqueued):
    course = make_started_course()
    done = make_enrolment(staff=alice, course=course, state="approved")
    missed = make_enrolment(staff=dave, course=course, state="approved")
    response = _decide(hr_client, done, "complete", completed_on=today().isoformat(), grade="優", result_note="")
    assert response.status_code == 302
    done.refresh_from_db()
    assert (done.state, done.grade, done.completed_on) == ("completed", "優", today())
    _decide(hr_client, missed, "not_completed", comment="試験欠席")
    missed.refresh_from_db()
    assert (missed.state, missed.events.last().comment) == ("not_completed", "試験欠席")


def test_a_stale_page_changes_nothing_and_says_what_happened(hr_client, alice):
    enrolment = make_enrolment(staff=alice, course=make_course(), state="recommended")
    Enrolment.objects.filter(pk=enrolment.pk).update(state="withdrawn")  # the person withdrew meanwhile
    events = enrolment.events.count()
    response = _decide(hr_client, enrolment, "approve", expected_state="recommended")
    assert response.status_code == 302
    [message] = _messages(response)
    assert "このページを開いている間に受講の状態が変わりました" in message and "「取下げ」" in message
    assert Enrolment.objects.get(pk=enrolment.pk).state == "withdrawn"
    assert enrolment.events.count() == events
    assert not LogEntry.objects.exists()


def test_a_refused_transition_is_a_clear_message_not_an_error_page(hr_client, alice):
    enrolment = make_enrolment(staff=alice, course=make_course(), state="rejected")
    response = _decide(hr_client, enrolment, "approve")
    assert response.status_code == 302
    assert _messages(response) == [
        "承認できるのは所属長推薦済みまたはキャンセル待ちの申込だけです。この申込は「不承認」です。"
    ]


def test_only_post_with_the_change_permission_and_the_hr_role_decides(client, alice, carol):
    enrolment = make_enrolment(staff=alice, course=make_course(), state="recommended")
    url = reverse("admin:courses_enrolment_decide", args=[enrolment.pk, "approve"])
    client.force_login(carol)
    assert client.get(url).status_code == 405
    assert client.post(reverse("admin:courses_enrolment_decide", args=[enrolment.pk, "delete"])).status_code == 404
    # An admin user without the HR role (and so without the permission) is refused.
    clerk = make_staff(is_staff=True, mfa=True)
    client.force_login(clerk)
    assert client.post(url, {"expected_state": "recommended"}).status_code == 403
    client.force_login(alice)  # not an admin user at all: the admin's sign-in page
    assert client.post(url, {"expected_state": "recommended"}).status_code == 302
    assert Enrolment.objects.get(pk=enrolment.pk).state == "recommended"


def test_the_post_is_csrf_protected(alice, carol):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(carol)
    enrolment = make_enrolment(staff=alice, course=make_course(), state="recommended")
    url = reverse("admin:courses_enrolment_decide", args=[enrolment.pk, "approve"])
    assert csrf_client.post(url, {"expected_state": "recommended"}).status_code == 403
    assert Enrolment.objects.get(pk=enrolment.pk).state == "recommended"


def test_bulk_actions_write_admin_log_entries_too(hr_client, alice, dave, carol):
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

    enrolments = [make_enrolment(staff=p, course=make_course(), state="recommended") for p in (alice, dave)]
    hr_client.post(
        reverse("admin:courses_enrolment_changelist"),
        {"action": "approve", ACTION_CHECKBOX_NAME: [e.pk for e in enrolments]},
    )
    logged = LogEntry.objects.filter(user=carol).values_list("object_id", flat=True)
    assert sorted(logged) == sorted(str(e.pk) for e in enrolments)


@pytest.mark.parametrize("model", ["course", "skill", "enrolment"])
def test_export_file_names_carry_the_japan_date_not_the_utc_one(rf, carol, monkeypatch, model):
    """00:30 on 1 April in Hachioji is still 31 March in UTC: the file is dated 1 April."""
    import datetime as dt

    from django.contrib import admin

    from staff.formats import RosterCSV

    moment = dt.datetime(2026, 3, 31, 15, 30, tzinfo=dt.UTC)
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment)  # the clock, as HR's would read
    monkeypatch.setattr("import_export.mixins.now", lambda: moment)  # the library's own reading
    model_admin = next(a for m, a in admin.site._registry.items() if m._meta.model_name == model)
    request = rf.get("/")
    request.user = carol
    name = model_admin.get_export_filename(request, model_admin.model.objects.none(), RosterCSV())
    assert name.endswith("-2026-04-01.csv"), name
