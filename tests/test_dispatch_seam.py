"""The dispatch seam of the outboxes (hachioji_portal/queueing.py): tasks are published in
batches through the real broker (Redis), ``queued_at`` is stamped only on what the broker took,
a broker that is down loses nothing, and the sweep queues what was left."""

from __future__ import annotations

import base64
import datetime as dt
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.db import transaction
from django.utils import timezone

from hachioji_portal import queueing
from staff.emails import SEND_BATCH_TASK, SEND_TASK, emails_requeue_stale
from staff.models import OutgoingEmail
from tests.factories import make_staff

pytestmark = [pytest.mark.redis]


def queued_messages(queue: str) -> list[tuple[str, Any]]:
    """(task name, first argument) of every message waiting in ``queue``, oldest first, all
    priorities (Kombu keeps one Redis list per priority step)."""
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    found = []
    for key in [queue, *(f"{queue}\x06\x16{p}" for p in (3, 6, 9))]:
        for raw in reversed(client.lrange(key, 0, -1)):  # Kombu pushes on the left
            message = json.loads(raw)
            args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
            found.append((message["headers"]["task"], args[0]))
    return found


def emails(n: int) -> list[int]:
    person = make_staff()
    return [OutgoingEmail.objects.create(to=person, template="course-completed", context={}).pk for _ in range(n)]


class Broker:
    """This process's Celery app, pointed at a port where no broker listens until ``back()``."""

    def __init__(self) -> None:
        from hachioji_portal.celery import app

        self.app = app
        self.saved = app.conf.broker_url
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.nowhere = f"redis://127.0.0.1:{s.getsockname()[1]}/0"

    def use(self, url: str) -> None:
        self.app.conf.broker_url = url
        self.app._pool = None  # Celery caches its connection and producer pools per broker URL
        self.app.amqp._producer_pool = None

    def back(self) -> None:
        self.use(self.saved)


@pytest.fixture
def broker_down() -> Iterator[Broker]:
    broker = Broker()
    broker.use(broker.nowhere)
    yield broker
    broker.back()


def test_ids_are_published_in_batches_and_each_row_the_broker_took_is_stamped(db, private_queue):
    ids = emails(5)
    assert queueing.enqueue(SEND_BATCH_TASK, ids, batch=2, outbox=OutgoingEmail) == 5
    assert queued_messages(private_queue) == [
        (SEND_BATCH_TASK, ids[0:2]),
        (SEND_BATCH_TASK, ids[2:4]),
        (SEND_BATCH_TASK, ids[4:5]),
    ]
    assert OutgoingEmail.objects.filter(pk__in=ids, queued_at__isnull=False).count() == 5


def test_a_task_that_takes_one_id_gets_one_message_per_id(db, private_queue):
    ids = emails(2)
    assert queueing.enqueue(SEND_TASK, ids, batch=None, outbox=OutgoingEmail) == 2
    assert queued_messages(private_queue) == [(SEND_TASK, ids[0]), (SEND_TASK, ids[1])]


def test_nothing_to_queue_publishes_nothing(db, private_queue, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert queueing.enqueue(SEND_BATCH_TASK, [], batch=2, outbox=OutgoingEmail) == 0
    assert queued_messages(private_queue) == []


def test_the_enqueue_runs_after_the_commit_and_never_after_a_rollback(db, django_capture_on_commit_callbacks):
    done: list[list[int]] = []
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            queueing.after_commit(done.append, [1])
            raise RuntimeError("the decision is rolled back")
        assert done == []
        with transaction.atomic():
            queueing.after_commit(done.append, [2])
        assert done == []  # not yet: the test's own transaction is still open
    assert len(callbacks) == 1
    assert done == [[2]]


def test_with_the_broker_down_nothing_is_stamped_nothing_is_lost_and_the_sweep_queues_it(
    db, private_queue, broker_down, caplog
):
    ids = emails(3)
    assert queueing.enqueue(SEND_BATCH_TASK, ids, batch=2, outbox=OutgoingEmail) == 0
    assert queueing.enqueue(SEND_TASK, ids, batch=None, outbox=OutgoingEmail) == 0
    # One publish found the broker down; every later one was skipped at once (the circuit).
    assert sum("the broker looks down" in r.getMessage() for r in caplog.records) == 1
    assert OutgoingEmail.objects.filter(pk__in=ids, queued_at__isnull=True).count() == 3
    later = timezone.now() + dt.timedelta(minutes=3)
    assert queueing.stale_ids(
        OutgoingEmail.objects.filter(sent_at__isnull=True),
        since="created_at",
        older_than=dt.timedelta(minutes=2),
        now=later,
    ) == sorted(ids)


def test_once_the_broker_is_back_the_sweep_queues_what_was_left_once(db, private_queue, broker_down):
    ids = emails(3)
    assert queueing.enqueue(SEND_BATCH_TASK, ids, batch=2, outbox=OutgoingEmail) == 0
    OutgoingEmail.objects.filter(pk__in=ids).update(created_at=timezone.now() - dt.timedelta(minutes=10))
    broker_down.back()
    queueing.broker_up()  # what every sweep task does first
    assert emails_requeue_stale(older_than=dt.timedelta(minutes=2), now=timezone.now()) == 3
    assert [args for _task, args in queued_messages(private_queue)] == [ids]  # one message (EMAIL_BATCH)
    assert OutgoingEmail.objects.filter(pk__in=ids, queued_at__isnull=True).count() == 0
    # Stamped: the next minute's sweep leaves them to the worker that has them.
    assert emails_requeue_stale(older_than=dt.timedelta(minutes=2), now=timezone.now()) == 0


def test_a_row_queued_long_ago_and_still_waiting_is_queued_again(db):
    ids = emails(2)
    now = timezone.now()
    OutgoingEmail.objects.filter(pk__in=ids).update(created_at=now - dt.timedelta(minutes=10))
    OutgoingEmail.objects.filter(pk=ids[0]).update(queued_at=now - dt.timedelta(minutes=5))  # the message was lost
    OutgoingEmail.objects.filter(pk=ids[1]).update(queued_at=now - dt.timedelta(seconds=30))  # a worker has it
    stale = queueing.stale_ids(
        OutgoingEmail.objects.all(), since="created_at", older_than=dt.timedelta(minutes=2), now=now
    )
    assert stale == [ids[0]]


def test_every_task_takes_its_options_from_the_one_dict():
    from badges import tasks as badge_tasks
    from staff import tasks as staff_tasks

    kinds = {
        badge_tasks.award_issue_task: "run",
        badge_tasks.awards_issue_batch_task: "run",
        badge_tasks.publications_publish_task: "run",
        badge_tasks.awards_notify_batch_task: "run_email",
        badge_tasks.awards_sweep_task: "sweep",
        badge_tasks.publications_sweep_task: "sweep",
        badge_tasks.awards_expiry_remind_task: "sweep",
        badge_tasks.obapi_tokens_clear_task: "sweep",
        staff_tasks.send_email_task: "send_email",
        staff_tasks.send_emails_task: "send_email",
        staff_tasks.emails_sweep_task: "once",
        staff_tasks.jobs_sweep_task: "once",
        staff_tasks.background_job_task: "once",
    }
    for task, kind in kinds.items():
        options = queueing.TASK_OPTIONS[kind]
        for name in ("acks_late", "max_retries", "priority", "retry_backoff"):
            if name in options:
                assert getattr(task, name) == options[name], (task.name, name)
        assert tuple(getattr(task, "autoretry_for", ())) == tuple(options.get("autoretry_for", ())), task.name
    # Emails wait behind issuing on Redis.
    assert staff_tasks.send_emails_task.priority == badge_tasks.awards_notify_batch_task.priority == 9
    assert badge_tasks.awards_issue_batch_task.priority is None
