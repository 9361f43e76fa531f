"""Only the indexes that queries use on catalog_sku and catalog_style.

* The unique ``code`` and ``barcode`` of SKUs and ``code`` of styles become UniqueConstraints:
  with ``unique=True`` Django also built a varchar_pattern_ops copy of each (``…_like``), for
  ``LIKE 'prefix%'``, which no query runs. Equality, ``ORDER BY code`` and the import's
  ``ON CONFLICT (code)`` use the unique indexes, which are rebuilt under their new names.
* ``style_category`` replaces ``db_index=True`` on Style.category, again without the ``_like`` copy.
* The SKU's style index goes: ``sku_style_code`` (style_id, code) serves every lookup by style.
* The SKU's personalization template index becomes partial (templated SKUs only).

The two foreign keys only lose their index: the database operations drop it by name, so that the
constraints stay as they are instead of being dropped and validated again over every SKU.
"""

import django.db.models.deletion
from django.db import migrations, models

SKU_STYLE_INDEX = "catalog_sku_style_id_86b6b435"
SKU_TEMPLATE_INDEX = "catalog_sku_personalization_template_id_b73a35ae"


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0002_importjob'),
    ]

    operations = [
        migrations.AlterField(
            model_name='sku',
            name='barcode',
            field=models.CharField(blank=True, max_length=40, null=True, verbose_name='barcode'),
        ),
        migrations.AlterField(
            model_name='sku',
            name='code',
            field=models.CharField(max_length=40, verbose_name='SKU code'),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='sku',
                    name='personalization_template',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='skus', to='catalog.personalizationtemplate'),
                ),
                migrations.AlterField(
                    model_name='sku',
                    name='style',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='skus', to='catalog.style'),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{SKU_STYLE_INDEX}"',
                    f'CREATE INDEX "{SKU_STYLE_INDEX}" ON "catalog_sku" ("style_id")',
                ),
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{SKU_TEMPLATE_INDEX}"',
                    f'CREATE INDEX "{SKU_TEMPLATE_INDEX}" ON "catalog_sku" ("personalization_template_id")',
                ),
            ],
        ),
        migrations.AlterField(
            model_name='style',
            name='category',
            field=models.CharField(blank=True, max_length=100, verbose_name='category'),
        ),
        migrations.AlterField(
            model_name='style',
            name='code',
            field=models.CharField(max_length=40, verbose_name='code'),
        ),
        migrations.AddIndex(
            model_name='sku',
            index=models.Index(condition=models.Q(('personalization_template__isnull', False)), fields=['personalization_template'], name='sku_personalization_template'),
        ),
        migrations.AddIndex(
            model_name='style',
            index=models.Index(fields=['category'], name='style_category'),
        ),
        migrations.AddConstraint(
            model_name='sku',
            constraint=models.UniqueConstraint(fields=('code',), name='sku_code_unique'),
        ),
        migrations.AddConstraint(
            model_name='sku',
            constraint=models.UniqueConstraint(fields=('barcode',), name='sku_barcode_unique'),
        ),
        migrations.AddConstraint(
            model_name='style',
            constraint=models.UniqueConstraint(fields=('code',), name='style_code_unique'),
        ),
    ]
