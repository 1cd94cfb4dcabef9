"""Database sessions read with one fixed SQL statement.

Django's ``db`` session engine loads the session row through the ORM on every request that
touches the session (every signed-in page), building and compiling the same query each time.
This engine is that engine with only the read replaced by a plain ``SELECT`` of the one column
``load()`` uses; writes, expiry, ``flush()`` at sign-out and ``cycle_key()`` at sign-in are
Django's own. Nothing is cached: a deleted (signed-out) or expired session is gone on the next
request, as before. Set ``SESSION_ENGINE = "hachioji_portal.sessions"``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Any:
        key = self.session_key
        if not key:
            self._session_key = None
            return None
        model = self.model
        using = router.db_for_read(model)
        connection = connections[using]
        quote = connection.ops.quote_name
        sql = (
            f"SELECT {quote('session_data')} FROM {quote(model._meta.db_table)} "  # noqa: S608 - quoted names
            f"WHERE {quote('session_key')} = %s AND {quote('expire_date')} > %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [key, timezone.now()])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return model(session_key=key, session_data=row[0])
