"""Faults while issuing: a worker process killed half-way, the same task twice at once."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import time

import psycopg
import pytest
from django.db import connection, transaction

from badges import services
from badges.models import Award
from tests.worker import running_worker, sent_emails, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


class RowLock:
    """Hold a row lock from another connection, so the worker's task waits inside the issuing."""

    def __init__(self, award_id: int) -> None:
        db = connection.settings_dict
        self.conn = psycopg.connect(
            host=db["HOST"] or "127.0.0.1",
            port=db["PORT"] or 5432,
            user=db["USER"] or "postgres",
            password=db["PASSWORD"] or None,
            dbname=db["NAME"],
        )
        self.conn.execute("BEGIN")
        self.conn.execute("SELECT id FROM badges_award WHERE id = %s FOR UPDATE", (award_id,))

    def waiting_backends(self) -> int:
        with psycopg.connect(
            **{k: v for k, v in self.conn.info.get_parameters().items() if k in ("host", "port", "user", "dbname")}
        ) as other:
            row = other.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%badges_award%'"
            ).fetchone()
        return int(row[0]) if row else 0

    def release(self) -> None:
        self.conn.rollback()
        self.conn.close()


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout  # noqa: S603, S607
    return [int(p) for p in out.split()]


def _pending_award(alice, badge_class, key: str) -> Award:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        award, _ = services.award_request(
            recipient=alice, badge_class=badge_class, source_key=key, achieved_on=dt.date(2026, 4, 1)
        )
    return award


def test_a_worker_process_killed_half_way_is_redelivered_and_issues_once(
    alice, badge_class, signing_key, private_queue, tmp_path, monkeypatch
):
    monkeypatch.setattr("badges.services.award_enqueue", lambda award_id: True)  # we publish by hand below
    award = _pending_award(alice, badge_class, "enrolment:601")
    from badges.tasks import award_issue_task

    lock = RowLock(award.pk)
    try:
        with running_worker(tmp_path, concurrency=1) as worker:
            award_issue_task.apply_async(args=[award.pk])
            # The task is now inside award_ensure_issued, waiting for the row lock.
            assert wait_for(lambda: lock.waiting_backends() >= 1, timeout=30)
            children = _children(worker.pid)
            assert children, "the prefork worker has a child process"
            for child in children:
                os.kill(child, signal.SIGKILL)
            time.sleep(1)
            lock.release()
            # acks_late + reject_on_worker_lost: the message goes back to the queue and a new
            # child process issues the award.
            assert wait_for(lambda: Award.objects.get(pk=award.pk).status == Award.Status.ISSUED, timeout=60)
            assert wait_for(lambda: len(sent_emails(tmp_path)) >= 1, timeout=30)
            time.sleep(2)
    finally:
        if not lock.conn.closed:
            lock.release()
    award.refresh_from_db()
    assert award.attempts == 1
    assert Award.objects.filter(source_key="enrolment:601").count() == 1
    assert len(sent_emails(tmp_path)) == 1
    assert "WorkerLostError" in (tmp_path / "worker-w1.log").read_text()


def test_the_same_task_at_the_same_moment_on_two_workers_gives_one_award(
    alice, badge_class, signing_key, private_queue, tmp_path, monkeypatch
):
    monkeypatch.setattr("badges.services.award_enqueue", lambda award_id: True)
    award = _pending_award(alice, badge_class, "enrolment:602")
    from badges.tasks import award_issue_task

    lock = RowLock(award.pk)
    try:
        with running_worker(tmp_path, name="a"), running_worker(tmp_path, name="b"):
            award_issue_task.apply_async(args=[award.pk])
            award_issue_task.apply_async(args=[award.pk])
            # Both workers are now waiting on the same row: release them together.
            assert wait_for(lambda: lock.waiting_backends() >= 2, timeout=30)
            lock.release()
            assert wait_for(lambda: Award.objects.get(pk=award.pk).status == Award.Status.ISSUED, timeout=60)
            assert wait_for(lambda: len(sent_emails(tmp_path)) >= 1, timeout=30)
            time.sleep(2)
    finally:
        if not lock.conn.closed:
            lock.release()
    logs = (tmp_path / "worker-a.log").read_text() + (tmp_path / "worker-b.log").read_text()
    results = [line for line in logs.splitlines() if "award_issue_task" in line and "succeeded" in line]
    # Both deliveries ran: one issued the badge, the other found it issued.
    assert len(results) == 2
    assert sum("'issued'" in line for line in results) == 1
    assert sum("'already'" in line for line in results) == 1
    award.refresh_from_db()
    assert award.attempts == 1
    assert len(sent_emails(tmp_path)) == 1
