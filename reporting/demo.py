"""Demo step: the rollups built from the demo's orders, so the dashboard shows them at once."""

from __future__ import annotations

from django.db import connection

from reporting.rollups.engine import rollups_rebuild


def seed_reporting(*, stdout, options: dict) -> None:
    if connection.in_atomic_block:  # run inside a caller's transaction: the first beat fold builds them
        stdout.write("Rollups: left to the first fold (inside a transaction).\n")
        return
    written = rollups_rebuild()
    stdout.write(f"Rollups rebuilt: {sum(written.values()):,} rows in {len(written)} tables.\n")
