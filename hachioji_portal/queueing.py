"""Publishing Celery tasks from web requests without ever failing the request.

When the broker is down, one failed publish opens a short circuit: for ``BROKER_DOWN_BACKOFF``
seconds further publishes are skipped at once instead of each waiting for connection retries,
so HR marking a hundred completions while Redis is down still gets its page in a second. What
was skipped is not lost: the award rows are the outbox, and the periodic sweep queues them.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

logger = logging.getLogger(__name__)

BROKER_DOWN_BACKOFF = 30.0
_lock = threading.Lock()
_down_until = 0.0


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
