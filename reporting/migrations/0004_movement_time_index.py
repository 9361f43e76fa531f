"""The index the movement journal report pages by: stock movements by time, newest first.

Created here, like the rollups' indexes (0002), because only the report needs it.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0003_report_framework"),
        ("inventory", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS reporting_movement_recent ON inventory_stockmovement (created_at, id)",
            "DROP INDEX IF EXISTS reporting_movement_recent",
        ),
    ]
