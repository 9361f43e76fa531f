"""Indexes on the order tables that the rollups' buckets are recomputed by (reporting.rollups).

Created here rather than in the orders app, whose models do not need them: the shipments of an
hour or day by when they shipped, and the events that move an order to shipped or into a return
by when they happened. Both are partial and small.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0001_rollups"),
        ("orders", "0011_merge_fulfillment"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS reporting_shipment_shipped_at ON orders_shipment (shipped_at) "
            "WHERE shipped_at IS NOT NULL",
            "DROP INDEX IF EXISTS reporting_shipment_shipped_at",
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS reporting_orderevent_status_time ON orders_orderevent (created_at) "
            "WHERE to_status IN ('shipped', 'return_requested', 'returned')",
            "DROP INDEX IF EXISTS reporting_orderevent_status_time",
        ),
    ]
