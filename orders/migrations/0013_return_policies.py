from django.db import migrations

# Every channel gets 30 days unless the admin says otherwise; these rows make the defaults visible.
DEFAULTS = {"phone": 30, "web": 30, "store": 30, "pos": 30, "marketplace": 30}


def seed(apps, schema_editor):
    ReturnPolicy = apps.get_model("orders", "ReturnPolicy")
    ReturnPolicy.objects.bulk_create([ReturnPolicy(channel=channel, window_days=days)
                                      for channel, days in DEFAULTS.items()], ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("orders", "0012_returns")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
