"""A revision counter on the editable resources: their ETag and the check of a stale write."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("servicedesk", "0013_grant_sla_admin"),
    ]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="revision",
            field=models.PositiveIntegerField(default=1, editable=False, verbose_name="revision"),
        ),
        migrations.AddField(
            model_name="supportgroup",
            name="revision",
            field=models.PositiveIntegerField(default=1, editable=False, verbose_name="revision"),
        ),
        migrations.AddField(
            model_name="user",
            name="revision",
            field=models.PositiveIntegerField(default=1, editable=False, verbose_name="revision"),
        ),
        migrations.AddField(
            model_name="webhooksubscription",
            name="revision",
            field=models.PositiveIntegerField(default=1, editable=False, verbose_name="revision"),
        ),
    ]
