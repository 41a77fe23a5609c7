"""A revision counter on the editable CMDB resources: their ETag and the check of a stale write."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cmdb", "0006_service_sla_policy"),
    ]

    operations = [
        migrations.AddField(
            model_name="baseline",
            name="revision",
            field=models.PositiveIntegerField(default=1, editable=False, verbose_name="revision"),
        ),
        migrations.AddField(
            model_name="ciclass",
            name="revision",
            field=models.PositiveIntegerField(default=1, editable=False, verbose_name="revision"),
        ),
        migrations.AddField(
            model_name="cirelationship",
            name="revision",
            field=models.PositiveIntegerField(default=1, editable=False, verbose_name="revision"),
        ),
        migrations.AddField(
            model_name="configurationitem",
            name="revision",
            field=models.PositiveIntegerField(default=1, editable=False, verbose_name="revision"),
        ),
    ]
