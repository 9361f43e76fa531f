"""Files kept in PostgreSQL as ordered chunks (GL export batches, report exports).

A file belongs to an owner row (a batch, an export); its chunk model has a foreign key to the owner,
a ``sequence`` and ``data`` (bytes), unique on (owner, sequence). :func:`chunks_store` writes the
file once, about ``STORED_CHUNK_SIZE`` bytes a row; :class:`ChunkedFile` reads it back a chunk at a
time (for ``FileResponse``), so neither side holds the whole file in memory.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable

import psycopg
from django.db import connection, models

STORED_CHUNK_SIZE = 1024 * 1024  # bytes per stored piece of a file


def chunks_store(*, model: type[models.Model], owner_field: str, owner_id: int,
                 chunks: Iterable[bytes]) -> tuple[int, str]:
    """Store the file made of ``chunks`` for ``owner_id`` (replacing what an interrupted attempt left):
    (size, sha256). Each stored chunk is committed on its own unless a transaction is open."""
    model.objects.filter(**{f"{owner_field}_id": owner_id}).delete()
    digest, size, sequence = hashlib.sha256(), 0, 0
    pending = io.BytesIO()
    for chunk in chunks:
        pending.write(chunk)
        if pending.tell() >= STORED_CHUNK_SIZE:
            data = pending.getvalue()
            _store_chunk(model, owner_field, owner_id, sequence, data)
            digest.update(data)
            size, sequence = size + len(data), sequence + 1
            pending = io.BytesIO()
    data = pending.getvalue()
    if data or not sequence:
        _store_chunk(model, owner_field, owner_id, sequence, data)
        digest.update(data)
        size += len(data)
    return size, digest.hexdigest()


def _store_chunk(model: type[models.Model], owner_field: str, owner_id: int, sequence: int, data: bytes) -> None:
    """One piece of the file, sent as a binary parameter: Django's cursors bind on the client,
    which would spell a megabyte of bytes out as two megabytes of hex text."""
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.get_field(owner_field).column)
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(f"INSERT INTO {table} ({column}, sequence, data) VALUES (%s, %s, %b)",
                       [owner_id, sequence, data])


class ChunkedFile(io.RawIOBase):
    """A stored file, read back from its chunks one at a time."""

    def __init__(self, *, model: type[models.Model], owner_field: str, owner_id: int, name: str) -> None:
        self.model, self.owner_field, self.owner_id = model, owner_field, owner_id
        self.name = name
        self.sequence = 0
        self.buffer = b""
        self.finished = False

    def readable(self) -> bool:
        return True

    def _next_chunk(self) -> bytes | None:
        data = (self.model.objects.filter(**{f"{self.owner_field}_id": self.owner_id}, sequence=self.sequence)
                .values_list("data", flat=True).first())
        if data is None:
            return None
        self.sequence += 1
        return bytes(data)

    def read(self, size: int = -1) -> bytes:
        while not self.finished and (size < 0 or len(self.buffer) < size):
            data = self._next_chunk()
            if data is None:
                self.finished = True
            else:
                self.buffer += data
        if size < 0:
            size = len(self.buffer)
        result, self.buffer = self.buffer[:size], self.buffer[size:]
        return result

    def readinto(self, target) -> int:
        data = self.read(len(target))
        target[:len(data)] = data
        return len(data)
