"""ImportJob now belongs to oms (oms 0003 adopted its table and data): drop it from catalog's state only."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0003_sku_style_indexes_without_pattern_copies"),
        ("oms", "0003_importjob_moved_from_catalog"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ImportJob")],
            database_operations=[],
        ),
    ]
