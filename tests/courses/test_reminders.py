"""Reminder emails before a course starts (to the staff member) and before an application
deadline (to the head of section, about requests still awaiting them): who gets which, once,
in their language, and nobody who turned reminders off (issue 13; courses/reminders.py).

Emails go through the outbox and are delivered by the task's own function here
(tests/courses/conftest.py), so ``mail.outbox`` holds what a worker would send. The Japanese
texts checked here are in docs/_pending_translations/reminders.po until the lead merges it
into locale/ja.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.db import close_old_connections, connection
from django.urls import reverse
from django.utils import timezone

from courses.models import Enrolment, EnrolmentReminder
from courses.reminders import application_deadline_remind, course_start_remind, reminders_send
from courses.tasks import enrolment_reminders_task
from staff.models import OutgoingEmail
from tests.factories import make_course, make_enrolment, make_provider, make_staff

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 10)
JST = dt.timezone(dt.timedelta(hours=9))
YESTERDAY = dt.datetime(2026, 6, 9, 10, 0, tzinfo=JST)


def _to(address: str) -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if m.to == [address]]


def _course(*, starts_in: int = 60, closes_in: int = 20, **fields):  # type: ignore[no-untyped-def]
    fields.setdefault(
        "provider", make_provider(name="中央大学法学部 通信教育課程", name_en="Chuo University, Faculty of Law")
    )
    return make_course(
        starts_on=TODAY + dt.timedelta(days=starts_in),
        ends_on=TODAY + dt.timedelta(days=starts_in + 90),
        application_opens_on=TODAY - dt.timedelta(days=30),
        application_closes_on=TODAY + dt.timedelta(days=closes_in),
        **fields,
    )


def _requested_yesterday(**fields):  # type: ignore[no-untyped-def]
    return make_enrolment(requested_at=YESTERDAY, **fields)


# --- Before the course starts -----------------------------------------------------------------


def test_staff_are_reminded_once_a_week_before_their_approved_course_starts(alice, django_capture_on_commit_callbacks):
    course = _course(code="CHUO-GYOSEI", title="行政法", title_en="Administrative Law", starts_in=7)
    enrolment = make_enrolment(staff=alice, course=course, state="approved")
    with django_capture_on_commit_callbacks(execute=True):
        assert course_start_remind(today=TODAY, days=7) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert course_start_remind(today=TODAY, days=7) == 0  # the second run of the day
        assert course_start_remind(today=TODAY + dt.timedelta(days=1), days=7) == 0  # the next day
    (email,) = _to(alice.email)
    assert email.subject == "[八王子市 学習ポータル] 2026年6月17日 に講座が始まります: 行政法"
    assert "承認された講座「行政法」（CHUO-GYOSEI）は 2026年6月17日 に始まります。" in email.body
    assert "実施機関: 中央大学法学部 通信教育課程" in email.body
    assert "日程: 2026年6月17日 ～ 2026年9月15日" in email.body
    assert f"/courses/my-learning/{enrolment.pk}/calendar.ics" in email.body
    assert "/courses/CHUO-GYOSEI/" in email.body
    assert "/me/profile/" in email.body  # where to turn reminders off
    html = email.alternatives[0][0]
    assert f"/courses/my-learning/{enrolment.pk}/calendar.ics" in html and "カレンダーに追加 (.ics)" in html
    reminder = EnrolmentReminder.objects.get()
    assert (reminder.enrolment_id, reminder.kind, reminder.emails) == (enrolment.pk, "course_start", 1)


def test_the_start_reminder_is_in_english_for_staff_who_read_the_portal_in_english(
    department, django_capture_on_commit_callbacks
):
    reader = make_staff(email="en@city.test", department=department, preferred_language="en")
    course = _course(code="CHUO-GYOSEI", title="行政法", title_en="Administrative Law", starts_in=3)
    make_enrolment(staff=reader, course=course, state="approved")
    with django_capture_on_commit_callbacks(execute=True):
        course_start_remind(today=TODAY, days=7)
    (email,) = _to(reader.email)
    assert email.subject.endswith("Your course starts on June 13, 2026: Administrative Law")
    assert "your approved course “Administrative Law” (CHUO-GYOSEI) starts on June 13, 2026." in email.body
    assert "Provider: Chuo University, Faculty of Law" in email.body
    assert email.extra_headers["Content-Language"] == "en"


def test_only_approved_courses_starting_within_the_days_are_reminded(alice, department):
    soon = _course(starts_in=2)
    make_enrolment(staff=alice, course=soon, state="approved")
    make_enrolment(staff=alice, course=_course(starts_in=8), state="approved")  # not yet
    make_enrolment(staff=alice, course=_course(starts_in=-1), state="approved")  # started yesterday
    make_enrolment(staff=alice, course=_course(starts_in=0), state="approved")  # starts today: still
    for state in ("requested", "recommended", "waitlisted", "withdrawn", "rejected", "completed"):
        make_enrolment(staff=make_staff(department=department), course=soon, state=state)
    left = make_staff(department=department)
    make_enrolment(staff=left, course=soon, state="approved")
    type(left).objects.filter(pk=left.pk).update(is_active=False)  # left the city
    assert course_start_remind(today=TODAY, days=7) == 2
    assert set(OutgoingEmail.objects.values_list("to", "template")) == {(alice.pk, "course-starting")}
    assert OutgoingEmail.objects.count() == 2


def test_the_number_of_days_is_a_setting(alice, settings):
    make_enrolment(staff=alice, course=_course(starts_in=10), state="approved")
    settings.PORTAL_COURSE_START_REMINDER_DAYS = 7
    assert reminders_send(today=TODAY)["course_start"] == 0
    settings.PORTAL_COURSE_START_REMINDER_DAYS = 14
    assert reminders_send(today=TODAY)["course_start"] == 1


# --- Before the application deadline -------------------------------------------------------------


def test_heads_are_reminded_once_of_requests_still_awaiting_them_before_the_deadline(
    alice, bob, department, django_capture_on_commit_callbacks
):
    course = _course(code="CHUO-KENPO", title="憲法", title_en="Constitutional Law", closes_in=3)
    other = make_staff(department=department, family_name="田中", given_name="次郎")
    late = make_staff(department=department, family_name="伊藤", given_name="三郎")
    decided = make_staff(department=department, family_name="小林", given_name="四郎")
    first = _requested_yesterday(staff=alice, course=course)
    second = _requested_yesterday(staff=other, course=course)
    # Requested today: bob was emailed about it a moment ago.
    make_enrolment(staff=late, course=course, requested_at=dt.datetime(2026, 6, 10, 9, 0, tzinfo=JST))
    make_enrolment(staff=decided, course=course, state="recommended", requested_at=YESTERDAY)
    with django_capture_on_commit_callbacks(execute=True):
        assert application_deadline_remind(today=TODAY, days=3) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert application_deadline_remind(today=TODAY, days=3) == 0
    (email,) = _to(bob.email)
    assert email.subject == ("[八王子市 学習ポータル] 2026年6月13日 申込締切: 推薦待ちの申込が 2 件あります（憲法）")
    assert "「憲法」（CHUO-KENPO）の申込は 2026年6月13日 に締め切られます。" in email.body
    assert "- 山田 花子" in email.body and "- 田中 次郎" in email.body
    assert "伊藤" not in email.body and "小林" not in email.body
    assert "/courses/approvals/" in email.body
    assert _to(alice.email) == []  # the staff member is not emailed: the head is the one to act
    assert set(EnrolmentReminder.objects.values_list("enrolment", "kind")) == {
        (first.pk, "application_deadline"),
        (second.pk, "application_deadline"),
    }
    # The request made today is reminded the next day, if the deadline is still ahead.
    with django_capture_on_commit_callbacks(execute=True):
        assert application_deadline_remind(today=TODAY + dt.timedelta(days=1), days=3) == 1
    assert "伊藤 三郎" in _to(bob.email)[1].body


def test_a_head_gets_one_email_per_course_in_their_language(alice, department, django_capture_on_commit_callbacks):
    from staff.services import department_set_heads

    head = make_staff(department=department, preferred_language="en", email="head-en@city.test")
    department_set_heads(department=department, heads=[head])
    kenpo = _course(code="CHUO-KENPO", title="憲法", title_en="Constitutional Law", closes_in=0)
    gyosei = _course(code="CHUO-GYOSEI", title="行政法", closes_in=2)
    _requested_yesterday(staff=alice, course=kenpo)
    _requested_yesterday(staff=alice, course=gyosei)
    with django_capture_on_commit_callbacks(execute=True):
        assert application_deadline_remind(today=TODAY, days=3) == 2
    subjects = sorted(m.subject for m in _to(head.email))
    assert subjects == [
        "[Hachioji learning portal] Applications close on June 10, 2026: "
        "1 request awaits your recommendation (Constitutional Law)",
        # No English title: the Japanese one, as written.
        "[Hachioji learning portal] Applications close on June 12, 2026: 1 request awaits your recommendation (行政法)",
    ]


def test_no_deadline_reminder_when_the_deadline_is_further_away_or_past(alice, bob):
    _requested_yesterday(staff=alice, course=_course(closes_in=4))
    _requested_yesterday(staff=alice, course=_course(closes_in=-1))
    assert application_deadline_remind(today=TODAY, days=3) == 0
    assert not EnrolmentReminder.objects.exists()


# --- Opting out -----------------------------------------------------------------------------------


def test_turning_reminders_off_stops_both_kinds(alice, bob, settings):
    settings.PORTAL_COURSE_START_REMINDER_DAYS = 7
    settings.PORTAL_APPLICATION_DEADLINE_REMINDER_DAYS = 3
    make_enrolment(staff=alice, course=_course(starts_in=5), state="approved")
    _requested_yesterday(staff=alice, course=_course(closes_in=1))
    type(alice).objects.filter(pk__in=[alice.pk, bob.pk]).update(email_reminders=False)
    assert reminders_send(today=TODAY) == {"course_start": 0, "application_deadline": 0}
    assert not OutgoingEmail.objects.exists()
    # alice turns them back on before her course starts: her reminder comes after all.
    type(alice).objects.filter(pk=alice.pk).update(email_reminders=True)
    assert reminders_send(today=TODAY + dt.timedelta(days=1))["course_start"] == 1
    assert list(OutgoingEmail.objects.values_list("to", flat=True)) == [alice.pk]


def test_the_profile_switch_turns_reminders_off_and_on(client, alice):
    client.force_login(alice)
    page = client.get(reverse("staff:profile")).content.decode()
    assert 'name="email_reminders" id="id_email_reminders" checked' in page
    response = client.post(reverse("staff:reminders_set"), {})  # an unticked box sends nothing
    assert response.status_code == 302 and response["Location"] == reverse("staff:profile")
    alice.refresh_from_db()
    assert alice.email_reminders is False
    page = client.get(reverse("staff:profile")).content.decode()
    assert 'id="id_email_reminders" aria-describedby' in page  # not checked any more
    client.post(reverse("staff:reminders_set"), {"email_reminders": "on"})
    alice.refresh_from_db()
    assert alice.email_reminders is True


def test_the_profile_switch_needs_a_signed_in_post(client, alice):
    assert client.post(reverse("staff:reminders_set"), {}).status_code == 302  # to sign in
    client.force_login(alice)
    assert client.get(reverse("staff:reminders_set")).status_code == 405
    alice.refresh_from_db()
    assert alice.email_reminders is True


# --- The beat task --------------------------------------------------------------------------------


def test_beat_runs_the_reminders_daily_and_a_second_run_sends_nothing(alice, bob):
    from celery.schedules import crontab

    entry = django_settings.CELERY_BEAT_SCHEDULE["enrolment-reminders"]
    assert entry["task"] == enrolment_reminders_task.name
    assert entry["schedule"] == crontab(hour=7, minute=30)
    today = timezone.localdate()
    starting = make_course(starts_on=today + dt.timedelta(days=2), ends_on=today + dt.timedelta(days=30))
    make_enrolment(staff=alice, course=starting, state="approved")
    closing = make_course(application_closes_on=today + dt.timedelta(days=1))
    make_enrolment(staff=alice, course=closing, requested_at=timezone.now() - dt.timedelta(days=2))
    assert enrolment_reminders_task() == {"course_start": 1, "application_deadline": 1}
    assert enrolment_reminders_task() == {"course_start": 0, "application_deadline": 0}
    assert sorted(OutgoingEmail.objects.values_list("template", flat=True)) == [
        "application-deadline",
        "course-starting",
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_runs_at_the_same_moment_write_each_reminder_once(alice, bob, department):
    others = [make_staff(department=department) for _ in range(3)]
    for person in [alice, *others]:
        make_enrolment(staff=person, course=_course(starts_in=3), state="approved")
    course = _course(closes_in=1)
    for person in [alice, *others]:
        _requested_yesterday(staff=person, course=course)
    runs = 4
    barrier = threading.Barrier(runs)
    written: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            written.append(reminders_send(today=TODAY))
        except BaseException as exc:  # pragma: no cover - would be a bug
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    close_old_connections()
    assert errors == []
    assert sum(w["course_start"] for w in written) == 4
    assert OutgoingEmail.objects.filter(template="course-starting").count() == 4
    # bob's reminder lists all four requests, whichever run wrote it, and there is one.
    assert sum(w["application_deadline"] for w in written) == 1
    (deadline,) = OutgoingEmail.objects.filter(template="application-deadline")
    assert deadline.to_id == bob.pk and deadline.context["count"] == 4
    assert Enrolment.objects.filter(reminders__isnull=False).distinct().count() == 8
