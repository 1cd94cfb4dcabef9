"""Run a real Celery worker process against the test database and the configured broker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def test_database_url() -> str:
    """The URL of the database the test is using (pytest-django's test_* database)."""
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def worker_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="hachioji_portal.settings",
        DATABASE_URL=test_database_url(),
        REDIS_URL=settings.REDIS_URL,
        CELERY_QUEUE=settings.CELERY_TASK_DEFAULT_QUEUE,
        PORTAL_VAR_DIR=str(tmp_path / "worker-var"),
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        BADGE_SIGNING_KEY_FILE=str(settings.BADGE_SIGNING_KEY_FILE),
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(tmp_path / "mail"),
        PORTAL_BASE_URL=settings.PORTAL_BASE_URL,
        DB_CONN_MAX_AGE="0",
    )
    env.update(extra)
    return env


@contextmanager
def running_worker(
    tmp_path: Path, *, name: str = "w1", concurrency: int = 1, **extra: str
) -> Iterator[subprocess.Popen[bytes]]:
    log = tmp_path / f"worker-{name}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own worker
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "hachioji_portal",
                "worker",
                f"--hostname={name}@%h",
                "--pool=prefork",
                f"--concurrency={concurrency}",
                "--without-mingle",
                "--without-gossip",
                "--loglevel=INFO",
                "-Q",
                settings.CELERY_TASK_DEFAULT_QUEUE,
            ],
            cwd=ROOT,
            env=worker_env(tmp_path, **extra),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while b"ready." not in log.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the worker did not start:\n" + log.read_text(errors="replace")[-3000:])
            time.sleep(0.2)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for(condition, timeout: float = 60.0, interval: float = 0.25) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False


def sent_emails(tmp_path: Path) -> list[str]:
    """Emails the worker wrote with Django's file backend (several may share one file)."""
    folder = tmp_path / "mail"
    if not folder.exists():
        return []
    messages: list[str] = []
    for path in sorted(folder.glob("*")):
        text = path.read_text(encoding="utf-8", errors="replace")
        messages.extend(part for part in text.split("-" * 79) if "Message-ID:" in part)
    return messages
