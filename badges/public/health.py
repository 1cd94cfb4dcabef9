"""GET /health of the public deployment (``PORTAL_URLCONF_MODE=public``): can it verify?

It has no database, broker or signing key: it needs the published tree (this portal's keys in
``.verify/keys.json``, the register of trusted issuers) and the cache (rate limits, the cap on
checks running at once). Says which part is down, never why.
"""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .verification import facts

logger = logging.getLogger(__name__)


def _cache() -> bool:
    cache.set("health:public", "ok", 10)
    return cache.get("health:public") == "ok"


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    checks = {}
    for name, check in (("keys", facts.keys_readable), ("register", facts.register_readable), ("cache", _cache)):
        try:
            checks[name] = "ok" if check() else "failing"
        except Exception:
            logger.warning("public health check %s failed", name, exc_info=True)
            checks[name] = "failing"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "failing", "checks": checks}, status=200 if healthy else 503)
