"""One-row queries compiled once, for the public hot paths (share page, verify API).

Django compiles a queryset to SQL on every execution. For the share page and a check by URL
that compilation (``pre_sql_setup``, ``get_select``, ``as_sql`` over three joined tables) cost
more than the rest of the request (docs/benchmarks.md, "Load"), for a query that differs from
one request to the next only in one value (the share token or the public id). A
``PreparedRow`` compiles its ``values_list`` query once per process and database, with a
placeholder for that value, and then only executes it: the same SQL, the same parameters, and
Django's own converters applied to the result (so values come back exactly as ``values_list``
would return them: UUIDs, aware datetimes, decoded JSON).

On PostgreSQL (psycopg 3) the statement is also prepared on the server, once per connection:
Django binds parameters on the client by default, so PostgreSQL parsed and planned the
three-join query on every request, 0.32 ms of its CPU against 0.06 ms for executing a
prepared one (docs/benchmarks.md, "Load"). The cursor is still Django's cursor
wrapper (errors translated, queries logged and counted as any other).

``BADGE_PREPARED_QUERIES = False`` (settings) runs the same querysets through the ORM instead:
this module leans on Django's compiler and PostgreSQL backend internals, and a framework
upgrade that breaks it must not take the public pages down.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.db.models import Field, QuerySet

try:
    from django.db.backends.postgresql.psycopg_any import is_psycopg3
except ImportError:  # no PostgreSQL driver installed
    is_psycopg3 = False

if is_psycopg3:
    from django.db.backends.postgresql.base import TIMESTAMPTZ_OID, ServerBindingCursor
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg.pq import Format

    class _PreparingCursor(ServerBindingCursor):
        """Binds on the server and keeps the statement prepared on the connection."""

        def execute(
            self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
        ) -> Any:
            return super().execute(query, params, prepare=True if prepare is None else prepare, binary=binary)


_ONLY_WHEN_ASKED = 2**62


def _cursor(connection: BaseDatabaseWrapper) -> CursorWrapper:
    """``connection.cursor()``, with a preparing cursor inside on PostgreSQL (psycopg 3).

    As ``BaseDatabaseWrapper._cursor`` and the PostgreSQL backend's ``create_cursor`` do, with
    only the cursor class changed."""
    if connection.vendor != "postgresql" or not is_psycopg3:
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        if connection.connection.prepare_threshold is None:
            # Django turns psycopg's preparing off (for connection poolers in transaction
            # mode, which this deployment has none of: docs/operations.md). Django's own
            # cursors bind on the client and never prepare whatever this says; with it set so
            # high, nothing is ever prepared automatically, only this cursor's statements.
            connection.connection.prepare_threshold = _ONLY_WHEN_ASKED
        raw = _PreparingCursor(connection.connection)
        tzloader = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
        if connection.timezone != tzloader.timezone:
            register_tzloader(connection.timezone, raw)
        return connection._prepare_cursor(raw)


class PreparedRow:
    """``build(value)`` makes the one-row ``values_list`` queryset; ``fetch(value)`` runs it."""

    def __init__(self, build: Callable[[Any], QuerySet[Any]], *, field: Field[Any, Any], placeholder: Any) -> None:
        self._build = build
        self._field = field
        self._placeholder = placeholder
        self._compiled: dict[tuple[str, str], tuple[str, tuple[Any, ...], int, dict[int, Any], list[str]]] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str) -> tuple[str, tuple[Any, ...], int, dict[int, Any], list[str]]:
        connection = connections[alias]
        key = (alias, connection.vendor)
        found = self._compiled.get(key)
        if found is not None:
            return found
        queryset = self._build(self._placeholder).using(alias)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        placeholder = self._field.get_db_prep_value(self._placeholder, connection, prepared=False)
        positions = [i for i, p in enumerate(params) if p == placeholder]
        if len(positions) != 1:  # the value must be the query's only parameter equal to it
            raise ValueError(f"placeholder found {len(positions)} times in {params!r}")
        converters = compiler.get_converters([expression for expression, _sql, _alias in compiler.select])
        names = [*queryset.query.values_select, *queryset.query.annotation_select]
        found = (sql, tuple(params), positions[0], converters, names)
        with self._lock:
            self._compiled[key] = found
        return found

    def fetch(self, value: Any, *, alias: str) -> dict[str, Any] | None:
        """The row for ``value`` as {field name: value}, or None."""
        if not settings.BADGE_PREPARED_QUERIES:
            return self._fetch_with_the_orm(value, alias=alias)
        sql, params, at, converters, names = self._compile(alias)
        connection = connections[alias]
        bound = list(params)
        bound[at] = self._field.get_db_prep_value(value, connection, prepared=False)
        with _cursor(connection) as cursor:
            cursor.execute(sql, bound)
            row = cursor.fetchone()
        if row is None:
            return None
        values = list(row)
        # As SQLCompiler.apply_converters, with this thread's connection (not the compiling one).
        for position, (functions, expression) in converters.items():
            for convert in functions:
                values[position] = convert(values[position], expression, connection)
        return dict(zip(names, values, strict=True))

    def _fetch_with_the_orm(self, value: Any, *, alias: str) -> dict[str, Any] | None:
        """The same row the plain way: the queryset built, compiled and run for this value."""
        queryset = self._build(value).using(alias)
        rows = list(queryset)
        if not rows:
            return None
        names = [*queryset.query.values_select, *queryset.query.annotation_select]
        return dict(zip(names, rows[0], strict=True))
