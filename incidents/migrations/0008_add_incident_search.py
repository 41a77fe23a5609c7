import django.contrib.postgres.search
from django.db import migrations, models

import servicedesk.records.search
from servicedesk.records.search_indexes import AddSearchIndexes

COMMENTS_BACKFILL_SQL = """
UPDATE incidents_incident AS i SET search_comments = left(c.text, 50000)
FROM (
    SELECT e.object_id, string_agg(e.body, E'\\n' ORDER BY e.id) AS text
    FROM servicedesk_timelineentry AS e
    JOIN django_content_type AS t ON t.id = e.content_type_id
    WHERE t.app_label = 'incidents' AND t.model = 'incident'
      AND e.kind = 'comment' AND e.is_public AND e.body <> ''
    GROUP BY e.object_id
) AS c
WHERE c.object_id = i.id
"""


def comments_backfill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(COMMENTS_BACKFILL_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0007_request_type_approval"),
        ("servicedesk", "0023_add_search_functions"),
    ]

    operations = [
        migrations.AddField(
            model_name="incident",
            name="search_comments",
            field=models.TextField(
                blank=True,
                db_default="",
                default="",
                editable=False,
                verbose_name="text of the public comments",
            ),
        ),
        # The public comments written so far, in one UPDATE over the timeline.
        migrations.RunPython(comments_backfill, migrations.RunPython.noop),
        # A stored generated column: adding it computes every row's document in the one table rewrite.
        migrations.AddField(
            model_name="incident",
            name="search_document",
            field=models.GeneratedField(
                db_persist=True,
                expression=servicedesk.records.search.SearchDocument(
                    ("title", "A"), ("description", "B"), ("search_comments", "C")
                ),
                output_field=django.contrib.postgres.search.SearchVectorField(),
            ),
        ),
        AddSearchIndexes("incident"),
    ]
