"""PostgreSQL restarted while a worker runs: the worker recovers without a restart by hand.

In CI (nothing else uses the server) the test restarts the PostgreSQL cluster for real. On a
developer's machine, where other test runs share the server, it does what a restart does to
the worker instead: every connection of the test database except the test's own is cut.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import pytest
from django.db import connection, transaction

from badges import services
from badges.models import Award
from tests.worker import running_worker, wait_for

# alone: in CI the restart cuts every connection to the server, so `make test` runs this module
# on its own, before the parallel run of the others.
pytestmark = [
    pytest.mark.alone,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]
REAL_RESTART = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _restart_postgres() -> None:
    connection.close()
    if REAL_RESTART:
        version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]
        subprocess.run(  # noqa: S603
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],  # noqa: S607
            check=True,
            capture_output=True,
            timeout=120,
        )
        assert wait_for(
            lambda: subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"], check=False).returncode == 0,  # noqa: S607
            timeout=60,
        )
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        connection.close()


def _request(alice, badge_class, key: str) -> Award:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        award, _ = services.award_request(
            recipient=alice, badge_class=badge_class, source_key=key, achieved_on=dt.date(2026, 4, 1)
        )
    return award


def test_the_worker_recovers_from_a_database_restart_in_the_middle_of_a_task(
    alice, badge_class, signing_key, private_queue, tmp_path, monkeypatch
):
    from badges.tasks import award_issue_task
    from tests.badges.test_worker_faults import RowLock

    monkeypatch.setattr("badges.services.award_enqueue", lambda award_id: True)  # published by hand below
    # Persistent connections, as in production (DB_CONN_MAX_AGE defaults to 60 s).
    with running_worker(tmp_path, DB_CONN_MAX_AGE="60"):
        award = _request(alice, badge_class, "enrolment:801")
        lock = RowLock(award.pk)
        award_issue_task.apply_async(args=[award.pk])
        # The worker is inside its transaction, waiting for the row: now the database goes away.
        assert wait_for(lambda: lock.waiting_backends() >= 1, timeout=30)
        _restart_postgres()
        if not lock.conn.closed:
            try:
                lock.release()
            except Exception:  # noqa: S110 - the restart already closed it
                pass
        # The task fails with a connection error, retries with backoff, and issues the award.
        assert wait_for(lambda: Award.objects.get(pk=award.pk).status == Award.Status.ISSUED, timeout=120)
        later = _request(alice, badge_class, "enrolment:802")
        award_issue_task.apply_async(args=[later.pk])
        assert wait_for(lambda: Award.objects.get(pk=later.pk).status == Award.Status.ISSUED, timeout=60)
    award.refresh_from_db()
    assert award.attempts == 1
    log = (tmp_path / "worker-w1.log").read_text()
    assert "Retry in" in log, "the interrupted task was retried by Celery, not by hand"
