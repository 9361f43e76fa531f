"""Keyset pages over a report's SQL: rows in a stable order, each with an opaque ``_cursor``.

A report query is an inner ``SELECT`` whose sort columns are never NULL (the query coalesces
them). A page is that query filtered to the rows after the cursor's values and cut with
``LIMIT``: no OFFSET, no COUNT. The cursor is URL-safe base64 of the JSON of the last row's
sort values, each with its SQL type, so the comparison is typed and a forged cursor can only
move the page, never change the query (values are parameters). The report framework carries a
cursor as JSON (a list of ``[type, text]`` pairs); the base64 text of that list is accepted too.
A cursor that cannot be read gives the first page. Unlike ``reporting.reports.base.keyset_sql``,
the sort columns may run in different directions (newest day first, then person by name).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from django.db import connections, transaction

from reporting.db import reporting_alias

REPORT_WORK_MEM = "64MB"
_TYPES = {"numeric": Decimal, "bigint": int, "text": str, "date": dt.date.fromisoformat,
          "timestamptz": dt.datetime.fromisoformat, "timestamp": dt.datetime.fromisoformat}


def _sql_type(value) -> str:
    if isinstance(value, bool):
        raise TypeError("a boolean is not a sort key")
    if isinstance(value, int):
        return "bigint"
    if isinstance(value, Decimal):
        return "numeric"
    if isinstance(value, dt.datetime):
        return "timestamp" if value.tzinfo is None else "timestamptz"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, str):
        return "text"
    raise TypeError(f"cannot page on {type(value).__name__}")


def encode_cursor(values: Sequence) -> list[list[str]]:
    return [[_sql_type(value), value.isoformat() if hasattr(value, "isoformat") else str(value)]
            for value in values]


def decode_cursor(cursor: list | str | None, width: int) -> list | None:
    """The typed values a cursor holds, or None when there is none or it cannot be read."""
    if not cursor:
        return None
    try:
        items = cursor
        if isinstance(cursor, str):
            items = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(items, list) or len(items) != width:
            return None
        values = []
        for sql_type, text in items:
            values.append((sql_type, _TYPES[sql_type](text)))
        return values
    except (ValueError, TypeError, KeyError, InvalidOperation, binascii.Error, UnicodeDecodeError):
        return None


def keyset_rows(sql: str, params: Sequence, *, order: Sequence[tuple[str, bool]], after: list | str | None,
                limit: int, using: str | None = None) -> list[dict]:
    """The rows of ``sql`` after the cursor ``after`` in ``order`` ((column, descending) pairs,
    the last one unique), at most ``limit`` of them, as dicts with a ``_cursor`` each."""
    columns = [column for column, _descending in order]
    where, extra = "", []
    values = decode_cursor(after, len(order))
    if values is not None:
        # (a, b, c) after (x, y, z): a beyond x, or a = x and b beyond y, or ...
        alternatives = []
        for position, (column, descending) in enumerate(order):
            parts = [f"r.{earlier} = %s::{values[index][0]}" for index, earlier in enumerate(columns[:position])]
            parts.append(f"r.{column} {'<' if descending else '>'} %s::{values[position][0]}")
            alternatives.append("(" + " AND ".join(parts) + ")")
            extra += [value for _type, value in values[:position + 1]]
        where = "WHERE " + " OR ".join(alternatives)
    order_by = ", ".join(f"r.{column} {'DESC' if descending else 'ASC'}" for column, descending in order)
    query = f"SELECT * FROM ({sql}) r {where} ORDER BY {order_by} LIMIT %s"
    alias = using or reporting_alias()
    with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
        # A report sorts and groups a few hundred thousand rows: in memory rather than on disk.
        cursor.execute(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
        cursor.execute(query, [*params, *extra, limit])
        names = [column.name for column in cursor.description]
        rows = [dict(zip(names, row)) for row in cursor.fetchall()]
    for row in rows:
        row["_cursor"] = encode_cursor([row[column] for column in columns])
    return rows
