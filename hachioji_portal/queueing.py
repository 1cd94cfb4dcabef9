"""The dispatch seam of the outboxes: publishing Celery tasks without ever failing the request.

Every piece of background work starts as a row in its app's outbox, written by a service in
its own transaction: a pending ``Award`` (issue it; later, email its holder), an
``OutgoingEmail`` (send it), a ``PublicationRequest`` (publish its target). Each outbox moves
through the same steps, and each step has the same verb everywhere:

* **request**: the service writes the row (``award_request``, ``email_send_on_commit``,
  ``publication_request``) and registers the *enqueue* with :func:`after_commit`, so a
  transaction that rolls back queues nothing;
* **enqueue**: after the commit, :func:`enqueue` publishes the task with the rows' ids,
  ``batch`` ids per message, and stamps ``queued_at`` on the rows the broker took. A broker
  that is down is logged, never raised: the rows stay unstamped;
* **run**: the task (thin, idempotent, its options from :data:`TASK_OPTIONS`) claims each row
  and does the work; a second delivery finds it done;
* **requeue**: celery beat's sweep calls :func:`broker_up`, picks the rows nobody queued (or
  re-queued) for a while with :func:`stale_ids`, and enqueues them again.

The apps name their tasks by dotted path (``"badges.tasks.awards_issue_batch_task"``): a
service never imports its app's task module (which imports the services), so the task module is
imported here, on first use, and only here.

When the broker is down, one failed publish opens a short circuit: for ``BROKER_DOWN_BACKOFF``
seconds further publishes are skipped at once instead of each waiting for connection retries,
so HR marking a hundred completions while Redis is down still gets its page in a second. What
was skipped is not lost: the rows are the outbox, and the sweep queues them.

This module is the lowest layer (``hachioji_portal``): it never imports the apps.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import smtplib
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

logger = logging.getLogger(__name__)

BROKER_DOWN_BACKOFF = 30.0
_lock = threading.Lock()
_down_until = 0.0

# ------------------------------------------------------------------------- task options

#: Failures that heal by themselves: the database restarting, a full disk freed, SMTP hiccups.
TRANSIENT: tuple[type[Exception], ...] = (OperationalError, InterfaceError, OSError, smtplib.SMTPException)
#: Emails wait behind issuing: on Redis, priority 9 is served after the default 0
#: (see ``CELERY_BROKER_TRANSPORT_OPTIONS``).
EMAIL_PRIORITY = 9

_RUN: dict[str, Any] = {
    "bind": True,
    "acks_late": True,  # acknowledged only once done: a worker killed half-way leaves it for another
    "autoretry_for": TRANSIENT,
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
}

#: The options of every task, by kind (``@shared_task(**TASK_OPTIONS["run"])``).
TASK_OPTIONS: dict[str, dict[str, Any]] = {
    # Working through outbox rows (issue awards, publish files): retried with backoff on
    # transient failures.
    "run": {**_RUN, "max_retries": 8},
    # The badge holders' emails: the same, behind issuing.
    "run_email": {**_RUN, "max_retries": 8, "priority": EMAIL_PRIORITY},
    # The staff outbox's emails: behind issuing, five tries (template errors are bugs and
    # are not retried).
    "send_email": {**_RUN, "max_retries": 5, "priority": EMAIL_PRIORITY},
    # Sweeps and housekeeping run by celery beat in badges: a database that is away is retried.
    "sweep": {"acks_late": True, "autoretry_for": (DatabaseError,), "retry_backoff": True, "max_retries": 3},
    # Staff's sweeps and HR's background jobs: acknowledged once done, never retried by Celery
    # (the next sweep, or HR, tries again).
    "once": {"acks_late": True},
}

# ------------------------------------------------------------------------- publishing


def publish(task: Any, *, args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None) -> bool:
    """Queue ``task``; True if the broker took it, False if it is (known to be) down."""
    global _down_until
    if time.monotonic() < _down_until:
        logger.info("broker marked down: not queueing %s%s", task.name, args)
        return False
    try:
        task.apply_async(args=args, kwargs=kwargs or {})
    except Exception:  # kombu OperationalError, redis ConnectionError, socket timeouts
        with _lock:
            _down_until = time.monotonic() + BROKER_DOWN_BACKOFF
        logger.warning("could not queue %s%s; the broker looks down", task.name, args, exc_info=True)
        return False
    return True


def broker_marked_down() -> bool:
    return time.monotonic() < _down_until


def reset() -> None:
    """Forget a broker failure (tests; and the sweep, which runs inside a worker that just
    proved the broker is up)."""
    global _down_until
    with _lock:
        _down_until = 0.0


#: What a sweep calls first: this worker just received a message, so the broker is up again.
broker_up = reset

# ------------------------------------------------------------------------- the outbox steps


def task_named(name: str) -> Any:
    """The Celery task at dotted path ``name`` (its module, its Celery name)."""
    module, _, attr = name.rpartition(".")
    # Imported on first use, not at import time: the task modules import the services that call us.
    return getattr(importlib.import_module(module), attr)


def enqueue(task: str, ids: Sequence[int], *, batch: int | None, outbox: type[Model] | None) -> int:
    """Publish ``task`` for ``ids``; returns how many ids the broker took.

    ``batch=None``: one message per id, the task takes the id. Otherwise ``batch`` ids per
    message, the task takes a list. Stops at the first message the broker refuses (it is down:
    the rest wait for the sweep). ``queued_at`` is stamped on the rows of ``outbox`` the broker
    took, and only on those; ``outbox=None`` for work whose row has no such column (the sweep
    finds it by other fields).
    """
    if not ids:
        return 0
    target = task_named(task)
    messages: list[tuple[Any, list[int]]]  # (what the task takes, the ids it covers)
    if batch is None:
        messages = [(i, [i]) for i in ids]
    else:
        messages = [(chunk, chunk) for chunk in (list(ids[s : s + batch]) for s in range(0, len(ids), batch))]
    queued: list[int] = []
    try:
        for payload, covered in messages:
            if not publish(target, args=(payload,)):
                break
            queued.extend(covered)
    finally:
        if queued and outbox is not None:
            outbox._default_manager.filter(pk__in=queued).update(queued_at=timezone.now())
    return len(queued)


def after_commit(enqueue_step: Callable[..., object], *args: Any, **kwargs: Any) -> None:
    """Run ``enqueue_step(*args, **kwargs)`` once the current transaction commits (never if it
    rolls back: the rows go with it). Robust: an error is logged, the committed work stays."""
    transaction.on_commit(partial(enqueue_step, *args, **kwargs), robust=True)


def stale_ids(
    rows: QuerySet[Any], *, since: str, older_than: dt.timedelta, now: dt.datetime, limit: int = 5000
) -> list[int]:
    """The sweep's pick: ids of ``rows`` written before ``now - older_than`` (``since`` names
    the field) that nobody queued, or queued before that (a lost message), oldest first.

    Stamping ``queued_at`` on what it queues keeps a backlog that workers are still working
    through from being queued again every minute.
    """
    cutoff = now - older_than
    return list(
        rows.filter(**{f"{since}__lt": cutoff})
        .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=cutoff))
        .order_by(since)
        .values_list("pk", flat=True)[:limit]
    )
