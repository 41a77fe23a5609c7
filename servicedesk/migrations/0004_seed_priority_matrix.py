from django.db import migrations

# DESIGN.md §4: impact (1 enterprise, 2 department, 3 user) × urgency (1 high, 2 medium, 3 low).
MATRIX = {
    (1, 1): 1, (1, 2): 2, (1, 3): 3,
    (2, 1): 2, (2, 2): 3, (2, 3): 4,
    (3, 1): 3, (3, 2): 4, (3, 3): 5,
}  # fmt: skip


def forwards(apps, schema_editor):
    PriorityRule = apps.get_model("servicedesk", "PriorityRule")
    for (impact, urgency), priority in MATRIX.items():
        PriorityRule.objects.get_or_create(impact=impact, urgency=urgency, defaults={"priority": priority})


def backwards(apps, schema_editor):
    apps.get_model("servicedesk", "PriorityRule").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("servicedesk", "0003_add_record_kernel")]

    operations = [migrations.RunPython(forwards, backwards)]
