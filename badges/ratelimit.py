"""Per-client rate limits for the public tree (verify page and API, OB API registration).

A fixed window of one minute per client address (behind ``PORTAL_TRUSTED_PROXY_COUNT``
proxies, the address they saw), counted in the shared cache so that every web worker counts
together. ``clock`` gives the time in seconds; tests replace it instead of waiting for the next
minute.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest

WINDOW_SECONDS = 60

clock: Callable[[], float] = time.time


def client_address(request: HttpRequest) -> str:
    """The client's address; behind N trusted proxies, the Nth address from the right of
    X-Forwarded-For (the leftmost entries are whatever the client claims)."""
    proxies = int(getattr(settings, "PORTAL_TRUSTED_PROXY_COUNT", 0))
    if proxies:
        hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return str(request.META.get("REMOTE_ADDR", ""))


def rate_limited(request: HttpRequest, scope: str = "verify") -> bool:
    """Fixed-window counter in the shared cache: at most BADGE_VERIFY_RATE_LIMIT per minute."""
    limit = int(getattr(settings, "BADGE_VERIFY_RATE_LIMIT", 30))
    window = int(clock() // WINDOW_SECONDS)
    who = hashlib.sha256(client_address(request).encode()).hexdigest()[:32]
    key = f"ratelimit:{scope}:{who}:{window}"
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        # One round trip: INCR creates the counter at 1 if it is missing, EXPIRE (sent in the
        # same pipeline) lets it go two windows later. Django's incr() needs two (EXISTS, INCR)
        # and a first check two more (SET NX, then INCR). The value is a plain integer, as
        # Django's Redis serializer stores ints, so cache.get() reads the same counter.
        full_key = backend.make_and_validate_key(key)
        pipe = backend._cache.get_client(full_key, write=True).pipeline(transaction=False)
        pipe.incr(full_key)
        pipe.expire(full_key, WINDOW_SECONDS * 2)
        count = int(pipe.execute()[0])
        return count > limit
    # Other caches (the file-based one of `make run`, tests): incr first, two operations once
    # the window's counter exists.
    try:
        count = cache.incr(key)
    except ValueError:  # the first check in this window
        if cache.add(key, 1, WINDOW_SECONDS * 2):
            count = 1
        else:  # another process added it in between
            try:
                count = cache.incr(key)
            except ValueError:  # and it expired at once: count this one only
                cache.set(key, 1, WINDOW_SECONDS * 2)
                count = 1
    return count > limit
