"""GET /health: is this instance able to do its work? Says which part is down, never why."""

from __future__ import annotations

import logging

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def _database() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def _broker() -> bool:
    from hachioji_portal.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return True


def _signing_key() -> bool:
    from badges import keys

    keys.signer_for(keys.default_issuer())
    return True


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    checks = {}
    for name, check in (("database", _database), ("broker", _broker), ("signing_key", _signing_key)):
        try:
            checks[name] = "ok" if check() else "failing"
        except Exception:
            # The details go to the log, never to the (possibly public) response.
            logger.warning("health check %s failed", name, exc_info=True)
            checks[name] = "failing"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "failing", "checks": checks}, status=200 if healthy else 503)
