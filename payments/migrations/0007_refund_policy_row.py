"""The refund policy's one row (the admin edits its approval threshold)."""

from decimal import Decimal

from django.db import migrations


def create_policy(apps, schema_editor):
    apps.get_model("payments", "RefundPolicy").objects.get_or_create(
        pk=1, defaults={"approval_threshold": Decimal("100.00")})


class Migration(migrations.Migration):
    dependencies = [("payments", "0006_refunds")]

    operations = [migrations.RunPython(create_policy, migrations.RunPython.noop)]
