"""One-row queries compiled once, for the public hot paths (share page, verify API).

Django compiles a queryset to SQL on every execution. For the share page and a check by URL
that compilation (``pre_sql_setup``, ``get_select``, ``as_sql`` over three joined tables) cost
more than the rest of the request (docs/benchmarks.md, "Load"), for a query that differs from
one request to the next only in one value (the share token or the public id). A
``PreparedRow`` compiles its ``values_list`` query once per process and database, with a
placeholder for that value, and then only executes it: the same SQL, the same parameters, and
Django's own converters applied to the result (so values come back exactly as ``values_list``
would return them: UUIDs, aware datetimes, decoded JSON).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections
from django.db.models import Field, QuerySet


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
        sql, params, at, converters, names = self._compile(alias)
        connection = connections[alias]
        bound = list(params)
        bound[at] = self._field.get_db_prep_value(value, connection, prepared=False)
        with connection.cursor() as cursor:
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
