"""HR (training desk) is emailed when a head of section recommends, or once a day with a digest
(issue 13). Emails go through the outbox and, in these tests, are delivered by the task's own
function (tests/courses/conftest.py), so ``mail.outbox`` holds what a worker would send.

The Japanese texts checked here are in docs/_pending_translations/heads.po until the lead
merges it into locale/ja.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.db import close_old_connections, connection
from django.urls import reverse
from django.utils import timezone

from courses.models import Enrolment
from courses.notifications import hr_digest_send
from courses.services import enrolment_recommend, enrolments_bulk_recommend
from courses.tasks import hr_digest_task
from staff.models import OutgoingEmail
from tests.factories import make_course, make_enrolment, make_staff

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
JST = dt.timezone(dt.timedelta(hours=9))


@pytest.fixture
def course(db):  # type: ignore[no-untyped-def]
    return make_course(code="CHUO-GYOSEI", title="行政法", title_en="Administrative Law")


@pytest.fixture
def hr_en(db):  # type: ignore[no-untyped-def]
    """A second HR member, who reads the portal in English."""
    return make_staff(email="hr-en@city.test", role="hr", preferred_language="en")


def _to(address: str) -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if m.to == [address]]


def test_hr_is_emailed_in_their_language_when_a_head_recommends(
    client, alice, bob, carol, hr_en, course, django_capture_on_commit_callbacks
):
    enrolment = make_enrolment(staff=alice, course=course)
    client.force_login(bob)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("courses:decide", args=[enrolment.pk]), {"decision": "recommend", "comment": "ぜひ"})
    (ja,) = _to(carol.email)
    assert ja.subject == "[八王子市 学習ポータル] 所属長推薦済み・人事課の判断待ち: 山田 花子 さん「行政法」"
    assert "所属長の 佐藤 一郎 さんが次の申込（1 件）を推薦しました。" in ja.body
    assert "- 山田 花子 (福祉政策課): 行政法 (CHUO-GYOSEI)" in ja.body
    assert "ぜひ" in ja.body
    assert "/admin/courses/enrolment/?state=recommended" in ja.body
    (en,) = _to(hr_en.email)
    assert en.subject.endswith("Recommended, awaiting HR: 山田 花子, Administrative Law")
    assert "佐藤 一郎, head of section, recommended this request." in en.body
    assert en.extra_headers["Content-Language"] == "en"
    # alice hears from the portal as before; bob (who acted) gets nothing.
    assert len(_to(alice.email)) == 1 and _to(bob.email) == []


def test_only_active_hr_members_are_emailed(alice, bob, carol, course, django_capture_on_commit_callbacks):
    left = make_staff(email="left@city.test", role="hr")
    type(left).objects.filter(pk=left.pk).update(is_active=False)  # left the city, still in the group
    make_staff(email="someone@city.test")  # not HR
    with django_capture_on_commit_callbacks(execute=True):
        enrolment_recommend(enrolment=make_enrolment(staff=alice, course=course), actor=bob)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([alice.email, carol.email])


def test_a_refused_recommendation_tells_hr_nothing(alice, bob, carol, course, django_capture_on_commit_callbacks):
    enrolment = make_enrolment(staff=alice, course=course, state="recommended")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Exception, match="推薦できるのは"):
        enrolment_recommend(enrolment=enrolment, actor=bob)
    assert OutgoingEmail.objects.filter(to=carol).count() == 0


def test_a_bulk_recommendation_sends_hr_one_email_listing_every_request(
    alice, bob, carol, department, course, django_capture_on_commit_callbacks
):
    other = make_staff(department=department, family_name="田中", given_name="次郎")
    enrolments = [make_enrolment(staff=alice, course=course), make_enrolment(staff=other, course=course)]
    with django_capture_on_commit_callbacks(execute=True):
        enrolments_bulk_recommend(enrolments=enrolments, actor=bob, comment="二人とも")
    (email,) = _to(carol.email)
    assert email.subject.endswith("佐藤 一郎 さんが 2 件の申込を推薦しました（人事課の判断待ち）")
    assert "- 山田 花子 (福祉政策課): 行政法 (CHUO-GYOSEI)" in email.body
    assert "- 田中 次郎 (福祉政策課): 行政法 (CHUO-GYOSEI)" in email.body
    assert "二人とも" in email.body
    assert "<li>田中 次郎 (福祉政策課): 行政法 (CHUO-GYOSEI)</li>" in email.alternatives[0][0]


@pytest.mark.parametrize("mode", ["daily", "off"])
def test_no_email_per_recommendation_unless_hr_chose_each(
    mode, alice, bob, carol, course, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_HR_NOTIFY = mode
    with django_capture_on_commit_callbacks(execute=True):
        enrolment_recommend(enrolment=make_enrolment(staff=alice, course=course), actor=bob)
    assert _to(carol.email) == []
    assert len(_to(alice.email)) == 1


# --- The daily digest ------------------------------------------------------------------------


@pytest.fixture
def awaiting(alice, department, course):  # type: ignore[no-untyped-def]
    """Two requests awaiting HR (one recommended three days ago), and some that do not."""
    waited = make_enrolment(staff=alice, course=course, state="recommended")
    Enrolment.objects.filter(pk=waited.pk).update(recommended_at=dt.datetime(2026, 6, 7, 15, 0, tzinfo=JST))
    other = make_staff(department=department, family_name="田中", given_name="次郎")
    fresh = make_enrolment(staff=other, course=make_course(title="憲法"), state="recommended")
    Enrolment.objects.filter(pk=fresh.pk).update(recommended_at=dt.datetime(2026, 6, 10, 7, 0, tzinfo=JST))
    make_enrolment(staff=other, course=course)  # still with the head
    make_enrolment(staff=make_staff(), course=make_course(), state="approved")  # decided
    make_enrolment(staff=make_staff(), course=make_course(), state="waitlisted")  # moves up by itself
    return [waited, fresh]


NINE_AM = dt.datetime(2026, 6, 10, 9, 0, tzinfo=JST)


def test_the_daily_digest_lists_the_requests_awaiting_hr(
    carol, hr_en, awaiting, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_HR_NOTIFY = "daily"
    with django_capture_on_commit_callbacks(execute=True):
        assert hr_digest_send(now=NINE_AM) == 2
    (ja,) = _to(carol.email)
    assert ja.subject == "[八王子市 学習ポータル] 2026年6月10日: 人事課の判断待ちの推薦済み申込 2 件"
    body = ja.body
    assert "所属長が推薦した 2 件の申込が人事課の判断" in body
    # Longest waiting first, with how long.
    assert body.index("山田 花子") < body.index("田中 次郎")
    assert "- 山田 花子 (福祉政策課): 行政法 (CHUO-GYOSEI), 推薦から 3 日" in body
    assert "- 田中 次郎 (福祉政策課): 憲法" in body and ", 本日推薦" in body
    assert "/admin/courses/enrolment/?state=recommended" in body
    (en,) = _to(hr_en.email)
    assert en.subject.endswith("June 10, 2026: 2 recommended requests await HR")
    assert "Administrative Law (CHUO-GYOSEI), recommended 3 days ago" in en.body


def test_the_digest_is_sent_once_a_day_however_often_it_runs(carol, awaiting, settings):
    settings.PORTAL_HR_NOTIFY = "daily"
    assert hr_digest_send(now=NINE_AM) == 1
    assert hr_digest_send(now=NINE_AM + dt.timedelta(hours=1)) == 0
    assert hr_digest_send(now=NINE_AM + dt.timedelta(hours=14, minutes=59)) == 0  # 23:59 the same day
    assert OutgoingEmail.objects.filter(to=carol, template="hr-digest").count() == 1
    assert hr_digest_send(now=NINE_AM + dt.timedelta(days=1)) == 1  # the next day, again
    assert OutgoingEmail.objects.filter(to=carol, template="hr-digest").count() == 2


def test_the_digest_waits_for_its_hour_and_for_something_to_report(carol, settings, awaiting):
    settings.PORTAL_HR_NOTIFY = "daily"
    settings.PORTAL_HR_DIGEST_HOUR = 8
    assert hr_digest_send(now=NINE_AM.replace(hour=7, minute=59)) == 0
    Enrolment.objects.filter(state="recommended").update(state="approved")
    assert hr_digest_send(now=NINE_AM) == 0  # nothing awaits HR: no email
    assert not OutgoingEmail.objects.filter(template="hr-digest").exists()


def test_no_digest_unless_hr_chose_daily(carol, awaiting, settings):
    for mode in ("each", "off"):
        settings.PORTAL_HR_NOTIFY = mode
        assert hr_digest_send(now=NINE_AM) == 0
    assert not OutgoingEmail.objects.filter(template="hr-digest").exists()


def test_beat_runs_the_digest_task_hourly_and_the_task_sends_it(carol, awaiting, settings):
    entry = django_settings.CELERY_BEAT_SCHEDULE["hr-daily-digest"]
    assert (entry["task"], entry["schedule"]) == (hr_digest_task.name, 3600.0)
    settings.PORTAL_HR_NOTIFY = "daily"
    settings.PORTAL_HR_DIGEST_HOUR = 0  # due whatever the time of this test run
    assert hr_digest_task() == 1
    assert hr_digest_task() == 0
    email = OutgoingEmail.objects.get(template="hr-digest")
    assert email.context["day"] == timezone.localdate().isoformat()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_digest_runs_at_the_same_moment_send_one_digest(carol, hr_en, awaiting, settings):
    settings.PORTAL_HR_NOTIFY = "daily"
    runs = 6
    barrier = threading.Barrier(runs)
    written: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            written.append(hr_digest_send(now=NINE_AM))
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
    assert sum(written) == 2  # one per HR member, whichever run wrote it
    assert OutgoingEmail.objects.filter(template="hr-digest").count() == 2


def test_a_mistyped_notify_setting_stops_the_portal_from_starting(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(PORTAL_HR_NOTIFY="weekly", PORTAL_VAR_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "PORTAL_HR_NOTIFY must be each, daily or off, not 'weekly'" in result.stderr
