from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("incidents", "0002_grant_incident_permissions")]

    operations = [
        # Lists of every status (the API, the "all" tab) in priority and age order, read by a LIMIT.
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(fields=["priority", "created_at", "id"], name="incidents_priority_age_idx"),
        ),
    ]
