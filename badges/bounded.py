"""Bounded checks of untrusted input: a time limit and a cap on how many run at once.

Checking a badge someone hands us (the public verify page and API, the learning portfolio's
upload) canonicalises their JSON-LD, and that costs whatever the document makes it cost.
Three layers keep such checks from taking the web workers the staff portal needs:

1. **Work limits** inside canonicalisation (``badges.core.jsonld.WorkLimits``): blank nodes,
   node-map comparisons and Hash N-Degree Quads work are counted and a document over them is
   refused with the code ``too_complex`` within milliseconds. This is what stops the known
   attacks (identical nested objects: docs/benchmarks.md, "Adversarial verification").
2. **A deadline** (``BADGE_VERIFY_TIME_LIMIT`` seconds, default 2): checked cooperatively
   while expanding, building the node map and canonicalising (``jsonld.time_limit``), for
   whatever slips past the work limits. Past it the check ends as ``too_complex`` too. Python
   cannot stop a thread from outside, and a signal-based alarm works only in the main thread
   (not under gunicorn's threaded workers or runserver), so the checks are cooperative; the
   parts not covered (PNG chunks, JSON parsing) are bounded by size limits before they run.
3. **A cap on concurrent checks** (``BADGE_VERIFY_CONCURRENCY`` per scope, default 1): slots
   are keys in the shared cache (Redis in production, so the cap holds across gunicorn worker
   processes and hosts), taken with an atomic add (``SET NX EX``). A check that finds every
   slot taken is answered at once with ``busy`` (HTTP 503 with ``Retry-After``) instead of
   waiting: a waiting request would hold a worker just the same. The public check and the
   portfolio have a scope each, so strangers hammering the public API cannot keep staff from
   adding badges; at most 2 × ``BADGE_VERIFY_CONCURRENCY`` workers check untrusted input at
   any moment, which must stay below gunicorn's ``--workers`` (docs/operations.md).

A slot's key expires by itself (``_slot_ttl``) so that a worker killed mid-check cannot keep it.
If the cache cannot be reached, checks run uncounted (still under 1 and 2) rather than failing.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from django.conf import settings
from django.core.cache import cache

from .core import jsonld

logger = logging.getLogger(__name__)

DEFAULT_TIME_LIMIT: Final = 2.0
DEFAULT_CONCURRENCY: Final = 1

PUBLIC: Final = "verify"
PORTFOLIO: Final = "portfolio"


class Busy(Exception):
    """Every slot for untrusted checks in this scope is taken; ask again shortly."""

    code = "busy"


def time_limit_seconds() -> float:
    return float(getattr(settings, "BADGE_VERIFY_TIME_LIMIT", DEFAULT_TIME_LIMIT))


def concurrency() -> int:
    return max(1, int(getattr(settings, "BADGE_VERIFY_CONCURRENCY", DEFAULT_CONCURRENCY)))


def retry_after_seconds() -> int:
    """What to put in Retry-After: a slot frees within one time limit at the latest."""
    return max(1, math.ceil(time_limit_seconds()))


def _slot_ttl() -> int:
    # Far longer than any check may run (the deadline), short enough that a slot left by a
    # killed worker comes back soon.
    return max(10, math.ceil(5 * time_limit_seconds()))


def _slot_key(scope: str, number: int) -> str:
    return f"untrusted-check:{scope}:{number}"


def _acquire(scope: str, token: str) -> str | None:
    """Take a free slot; its key, or None if the cache is unreachable. Raises :class:`Busy`."""
    try:
        for number in range(concurrency()):
            key = _slot_key(scope, number)
            if cache.add(key, token, _slot_ttl()):
                return key
    except Exception:  # the cache is down: do not make checks fail with it
        logger.warning("untrusted check: cache unavailable, running without the concurrency cap", exc_info=True)
        return None
    raise Busy(scope)


def _release(key: str, token: str) -> None:
    try:
        # Only our own slot: if ours expired and someone else took it, leave theirs (the
        # small window between get and delete is harmless: at worst one slot frees early).
        if cache.get(key) == token:
            cache.delete(key)
    except Exception:
        logger.warning("untrusted check: cache unavailable, slot %s left to expire", key, exc_info=True)


@contextmanager
def untrusted_check(scope: str = PUBLIC) -> Iterator[None]:
    """Run the body as a bounded check of untrusted input: in a slot of ``scope`` (or raise
    :class:`Busy` at once) and under the time limit."""
    token = uuid.uuid4().hex
    key = _acquire(scope, token)
    try:
        with jsonld.time_limit(time_limit_seconds()):
            yield
    finally:
        if key is not None:
            _release(key, token)
