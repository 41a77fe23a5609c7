import django.contrib.postgres.search
from django.db import migrations, models

import servicedesk.records.search


class Migration(migrations.Migration):
    dependencies = [
        ("kernelkind", "0002_add_chore_sla_due_at"),
        ("servicedesk", "0023_add_search_functions"),
    ]

    operations = [
        migrations.AddField(
            model_name="chore",
            name="search_comments",
            field=models.TextField(
                blank=True,
                db_default="",
                default="",
                editable=False,
                verbose_name="text of the public comments",
            ),
        ),
        migrations.AddField(
            model_name="chore",
            name="search_document",
            field=models.GeneratedField(
                db_persist=True,
                expression=servicedesk.records.search.SearchDocument(
                    ("title", "A"), ("description", "B"), ("search_comments", "C")
                ),
                output_field=django.contrib.postgres.search.SearchVectorField(),
            ),
        ),
    ]
