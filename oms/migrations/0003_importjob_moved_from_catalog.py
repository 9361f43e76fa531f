"""ImportJob moves from catalog to oms with its table and data.

The model is adopted in the migration state as it stood in catalog (its table is
catalog_importjob), then the table is renamed to oms_importjob, and the content type (with its
permissions) follows the model. catalog's 0004 then drops the model from catalog's state only.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="oms", model="importjob").exists():
        ContentType.objects.filter(app_label="catalog", model="importjob").update(app_label="oms")


def move_content_type_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="catalog", model="importjob").exists():
        ContentType.objects.filter(app_label="oms", model="importjob").update(app_label="catalog")


class Migration(migrations.Migration):

    dependencies = [
        ("oms", "0002_roles"),
        ("catalog", "0003_sku_style_indexes_without_pattern_copies"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ImportJob",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(choices=[("skus", "Styles and SKUs"), ("prices", "Prices"), ("vendor_items", "Vendor items"), ("stock_counts", "Stock counts")], max_length=20, verbose_name="kind")),
                        ("status", models.CharField(choices=[("validating", "Checking"), ("ready", "Ready to commit"), ("invalid", "Has errors"), ("committing", "Importing"), ("done", "Imported"), ("failed", "Failed, nothing written")], default="validating", max_length=20, verbose_name="status")),
                        ("file_name", models.CharField(max_length=255, verbose_name="file name")),
                        ("file_format", models.CharField(max_length=10, verbose_name="file format")),
                        ("file_size", models.PositiveIntegerField(verbose_name="file size (bytes)")),
                        ("content", models.BinaryField(verbose_name="file content")),
                        ("language", models.CharField(default="en", help_text="The uploader's language: messages are written in it.", max_length=10, verbose_name="language")),
                        ("total_rows", models.PositiveIntegerField(default=0, verbose_name="rows")),
                        ("processed_rows", models.PositiveIntegerField(default=0, verbose_name="rows processed")),
                        ("result", models.JSONField(blank=True, default=dict, verbose_name="result")),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        ("committed_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
                        ("created_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "verbose_name": "import job",
                        "verbose_name_plural": "import jobs",
                        "ordering": ["-created_at", "-pk"],
                        "db_table": "catalog_importjob",
                        "indexes": [models.Index(fields=["kind", "-created_at"], name="import_job_kind_recent")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="importjob", table=None),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
