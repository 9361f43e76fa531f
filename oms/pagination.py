"""Keyset pages, newest first, for long lists (orders, a customer's history, stock movements).

A page is found by a cursor on ``(timestamp, id)`` of the row at its edge, never by OFFSET and
never with a COUNT: each page is one range scan of an index on ``(timestamp desc, id desc)``
(with the list's filters in front), so the ten-thousandth page costs what the first does.
The cursor is opaque to the user: URL-safe base64 of ``<ISO timestamp>|<id>``. A cursor that
cannot be read gives the first page rather than an error.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone


def encode_cursor(moment: dt.datetime, pk: int) -> str:
    """The cursor of the row at ``(moment, pk)``."""
    raw = f"{moment.isoformat()}|{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[dt.datetime, int] | None:
    """The ``(timestamp, id)`` a cursor points at, or None for no cursor or one that cannot be read."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment_text, pk = raw.rsplit("|", 1)
        moment = dt.datetime.fromisoformat(moment_text)
        if timezone.is_naive(moment):
            return None
        return moment, int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


@dataclass
class KeysetPage:
    rows: list
    next_cursor: str | None  # to older rows
    previous_cursor: str | None  # back to newer rows


def keyset_page(rows: QuerySet, *, key: str, after: str | None, before: str | None, size: int,
                newest_first: Sequence | None = None, oldest_first: Sequence | None = None) -> KeysetPage:
    """One page of ``rows`` newest first by ``(key, id)``: ``after`` goes on to older rows,
    ``before`` back to newer ones (at most one of them is read; ``before`` wins).

    ``key`` names a non-null timestamp field. ``newest_first`` and ``oldest_first`` are the
    orderings (default ``-key, -pk`` and ``key, pk``); give them when the index is declared
    otherwise (``NULLS LAST``, say), so that the page is a scan of that index. ``key <= x``
    bounds the range scan and the OR only settles the ties at ``x``.
    """
    newest_first = tuple(newest_first or (f"-{key}", "-pk"))
    oldest_first = tuple(oldest_first or (key, "pk"))

    def cursor_of(row) -> str:
        return encode_cursor(getattr(row, key), row.pk)

    older_than, newer_than = decode_cursor(after), decode_cursor(before)
    if newer_than is not None:
        moment, pk = newer_than
        page = list(rows.filter(**{f"{key}__gte": moment}).filter(Q(**{f"{key}__gt": moment}) | Q(pk__gt=pk))
                    .order_by(*oldest_first)[: size + 1])
        has_newer = len(page) > size
        page = list(reversed(page[:size]))
        return KeysetPage(rows=page, next_cursor=cursor_of(page[-1]) if page else None,
                          previous_cursor=cursor_of(page[0]) if page and has_newer else None)
    if older_than is not None:
        moment, pk = older_than
        rows = rows.filter(**{f"{key}__lte": moment}).filter(Q(**{f"{key}__lt": moment}) | Q(pk__lt=pk))
    page = list(rows.order_by(*newest_first)[: size + 1])
    has_older = len(page) > size
    page = page[:size]
    return KeysetPage(rows=page, next_cursor=cursor_of(page[-1]) if page and has_older else None,
                      previous_cursor=cursor_of(page[0]) if page and older_than is not None else None)
