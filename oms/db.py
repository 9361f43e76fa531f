"""Small database helpers shared by the apps."""

from __future__ import annotations

import functools
import re
import weakref
from collections.abc import Sequence
from typing import TypeVar

import psycopg
from django.db import DatabaseError, connection, models

M = TypeVar("M", bound=models.Model)


def analyze(*tables: type[models.Model] | str) -> None:
    """``ANALYZE`` these tables (models or table names): after a bulk load, so that the planner
    knows their new size at once instead of when autovacuum (if it runs at all) gets to them."""
    with connection.cursor() as cursor:
        for table in tables:
            name = table if isinstance(table, str) else table._meta.db_table
            cursor.execute(f"ANALYZE {connection.ops.quote_name(name)}")


@functools.cache
def _loading(model: type[models.Model]) -> tuple[tuple[str, ...], tuple[tuple[int, tuple, object], ...]]:
    """The attribute names of ``model``'s concrete fields, and for the fields whose database values
    need converting (a JSONField's text), their index, converters and column expression."""
    fields = model._meta.concrete_fields
    converting = []
    for index, field in enumerate(fields):
        column = field.get_col(model._meta.db_table)
        converters = tuple(connection.ops.get_db_converters(column) + column.get_db_converters(connection))
        if converters:
            converting.append((index, converters, column))
    return tuple(field.attname for field in fields), tuple(converting)


@functools.cache
def model_columns(model: type[models.Model], alias: str) -> str:
    """The model's concrete columns qualified by ``alias``, in field order: the select list of a
    hand-written read whose rows :func:`model_from_row` turns back into instances."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(field.column)}" for field in model._meta.concrete_fields)


def model_width(model: type[models.Model]) -> int:
    """How many columns :func:`model_columns` selects for ``model``."""
    return len(_loading(model)[0])


def model_from_row(model: type[M], row: Sequence, start: int = 0) -> M:
    """The instance of ``model`` whose :func:`model_columns` begin at ``row[start]``, loaded as the ORM
    loads it (the fields' database converters applied), for hot paths that read with plain SQL
    rather than compile a queryset each time."""
    names, converting = _loading(model)
    values = list(row[start:start + len(names)])
    for index, converters, column in converting:
        for converter in converters:
            values[index] = converter(values[index], column, connection)
    return model.from_db(connection.alias, names, values)


_NAMED_PARAMETER = re.compile(r"%\((\w+)\)s")
# The names of the statements prepared in each session (psycopg connection), as the server listed
# them when the session was first used or last found to have lost one (DISCARD ALL, DEALLOCATE).
_prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class PreparedStatement:
    """A statement that a hot path runs on every call, prepared once per database session (``PREPARE``)
    so that the server parses and plans it once, not each time (as the ledger's entry insert and
    inventory's one-row reservation are).

    ``statement`` takes named parameters (``%(name)s``); the server infers their types from where
    they are first used, so give a parameter a cast where its use does not say (``%(ids)s::bigint[]``).
    A prepared statement needs the session to itself: a direct connection or a session-mode pooler,
    as Django's persistent connections assume anyway. A session that lost its statements
    (``DISCARD ALL``) prepares them again after the call that found out; inside a transaction that
    call's error spoils the transaction, and the caller's retry prepares what is missing.
    """

    def __init__(self, name: str, statement: str):
        names: list[str] = []

        def placeholder(match: re.Match) -> str:
            if match.group(1) not in names:
                names.append(match.group(1))
            return f"${names.index(match.group(1)) + 1}"

        self.name = name
        self._prepare = f"PREPARE {name} AS {_NAMED_PARAMETER.sub(placeholder, statement)}"
        self._execute = f"EXECUTE {name} ({', '.join(f'%({parameter})s' for parameter in names)})"

    def execute(self, cursor, parameters: dict) -> None:
        """Run the statement on ``cursor`` (a cursor of Django's default connection), preparing it first
        when this session has not yet."""
        session = connection.connection
        names = _prepared.get(session)
        if names is None:
            with connection.wrap_database_errors:
                names = {row[0] for row in session.execute("SELECT name FROM pg_prepared_statements")}
            _prepared[session] = names
        if self.name not in names:
            with connection.wrap_database_errors:
                session.execute(self._prepare)
            names.add(self.name)
        try:
            cursor.execute(self._execute, parameters)
        except DatabaseError as error:
            if isinstance(error.__cause__, psycopg.errors.InvalidSqlStatementName):
                _prepared.pop(session, None)  # the next call asks the server what is left
            raise
