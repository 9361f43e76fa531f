"""Small database helpers shared by the apps."""

from __future__ import annotations

from django.db import connection, models


def analyze(*tables: type[models.Model] | str) -> None:
    """``ANALYZE`` these tables (models or table names): after a bulk load, so that the planner
    knows their new size at once instead of when autovacuum (if it runs at all) gets to them."""
    with connection.cursor() as cursor:
        for table in tables:
            name = table if isinstance(table, str) else table._meta.db_table
            cursor.execute(f"ANALYZE {connection.ops.quote_name(name)}")
