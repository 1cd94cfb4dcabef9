"""Redis down while HR marks 100 enrolments completed: every decision is saved, HR sees no
error page, and once Redis is back the sweep issues every badge exactly once."""

from __future__ import annotations

import socket
import subprocess
import uuid
from collections.abc import Iterator

import pytest
from django.utils import timezone

from badges.models import Award
from courses.models import Enrolment
from staff.models import OutgoingEmail
from tests.factories import make_badge_class, make_enrolment, make_staff, make_started_course
from tests.worker import running_worker, sent_emails, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateRedis:
    """A Redis server of this test's own, so that stopping it disturbs nothing else."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],  # noqa: S607
            stdout=subprocess.DEVNULL,
        )
        assert wait_for(self._answers, timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@pytest.fixture
def private_redis(settings) -> Iterator[PrivateRedis]:  # type: ignore[no-untyped-def]
    """Point this process's Celery app at a private Redis (and a private queue)."""
    from hachioji_portal.celery import app

    redis = PrivateRedis()
    saved = (app.conf.broker_url, app.conf.task_default_queue, settings.REDIS_URL)
    queue = f"test-{uuid.uuid4().hex[:8]}"

    def use(url: str) -> None:
        app.conf.broker_url = url
        app._pool = None  # Celery caches its connection and producer pools per broker URL
        app.amqp._producer_pool = None

    use(redis.url)
    app.conf.task_default_queue = queue
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    settings.REDIS_URL = redis.url
    yield redis
    redis.stop()
    use(saved[0])
    app.conf.task_default_queue = saved[1]


def test_completions_made_while_redis_is_down_are_saved_and_issued_once_it_is_back(
    client, carol, signing_key, private_redis, tmp_path, caplog
):
    badge = make_badge_class(name="防災リーダー研修 修了")
    course = make_started_course(code="BOSAI-1", title="防災リーダー研修", badge_class=badge, capacity=200)
    learners = [make_staff() for _ in range(100)]
    enrolments = [make_enrolment(staff=person, course=course, state="approved") for person in learners]

    # Redis is down (never started): HR marks all 100 completed in one bulk action.
    client.force_login(carol)
    response = client.post(
        "/admin/courses/enrolment/",
        {
            "action": "mark_completed",
            "_selected_action": [e.pk for e in enrolments],
            "apply": "1",
            "completed_on": timezone.localdate().isoformat(),
            "grade": "修了",
            "result_note": "",
        },
    )
    assert response.status_code == 302, response.content[:500]
    # One publish (the first batch of awards) found the broker down; the rest (award and
    # email batches) were skipped at once instead of each waiting for connection retries.
    assert sum("the broker looks down" in r.getMessage() for r in caplog.records) == 1
    assert Enrolment.objects.filter(pk__in=[e.pk for e in enrolments], state="completed").count() == 100
    assert Award.objects.filter(status=Award.Status.PENDING).count() == 100

    # Redis is back; a worker runs, and the sweep (celery beat's job) queues what was missed.
    private_redis.start()
    with running_worker(tmp_path, REDIS_URL=private_redis.url, CELERY_QUEUE=_queue()):
        from hachioji_portal import queueing

        queueing.reset()
        from badges.services import awards_requeue_stale

        assert awards_requeue_stale(older_than=timezone.timedelta(0), now=timezone.now()) == 100
        assert wait_for(lambda: Award.objects.filter(status=Award.Status.ISSUED).count() == 100, timeout=240)
        assert wait_for(lambda: Award.objects.filter(notified_at__isnull=False).count() == 100, timeout=120)
        # The completion emails waited in the outbox; the email sweep sends each once.
        from staff.emails import emails_requeue_stale

        unsent = OutgoingEmail.objects.filter(sent_at__isnull=True).count()
        assert unsent == 100
        assert emails_requeue_stale(older_than=timezone.timedelta(0), now=timezone.now()) == 100
        assert wait_for(lambda: not OutgoingEmail.objects.filter(sent_at__isnull=True).exists(), timeout=120)
        # A second sweep of either kind finds nothing to do.
        assert awards_requeue_stale(older_than=timezone.timedelta(0), now=timezone.now()) == 0
        assert emails_requeue_stale(older_than=timezone.timedelta(0), now=timezone.now()) == 0
    assert Award.objects.count() == 100
    assert set(Award.objects.values_list("attempts", flat=True)) == {1}
    assert set(OutgoingEmail.objects.values_list("attempts", flat=True)) == {1}
    assert wait_for(lambda: len(sent_emails(tmp_path)) == 200, timeout=10)  # 100 badge + 100 completion emails


def _queue() -> str:
    from hachioji_portal.celery import app

    return str(app.conf.task_default_queue)
