"""Small database helpers shared by the apps."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TypeVar

from django.db import connection, models

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
