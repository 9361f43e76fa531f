# ImportJob: options of the kind (the price list of a file), the cancelled status, any registered kind, and an index for the stalled-job sweep.

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('oms', '0003_importjob_moved_from_catalog'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='importjob',
            name='options',
            field=models.JSONField(blank=True, default=dict, verbose_name='options'),
        ),
        migrations.AlterField(
            model_name='importjob',
            name='kind',
            field=models.CharField(max_length=30, verbose_name='kind'),
        ),
        migrations.AlterField(
            model_name='importjob',
            name='status',
            field=models.CharField(choices=[('validating', 'Checking'), ('ready', 'Ready to commit'), ('invalid', 'Has errors'), ('committing', 'Importing'), ('done', 'Imported'), ('failed', 'Failed, nothing written'), ('cancelled', 'Cancelled, nothing written')], default='validating', max_length=20, verbose_name='status'),
        ),
        migrations.AddIndex(
            model_name='importjob',
            index=models.Index(condition=models.Q(('status__in', ['validating', 'committing'])), fields=['updated_at'], name='import_job_running'),
        ),
    ]
