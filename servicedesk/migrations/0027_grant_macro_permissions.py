from django.db import migrations

from servicedesk.roles import ensure_permissions, grant

# A copy, not an import: a migration keeps doing what it did when it was written.
# Administrators keep the macros shared with every agent (issue 19).
MAPPING = {"Administrator": [f"servicedesk.{action}_macro" for action in ("view", "add", "change", "delete")]}


def forwards(apps, schema_editor):
    ensure_permissions(apps)
    grant(apps, MAPPING)


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in MAPPING.items():
        codenames = [name.split(".", 1)[1] for name in names]
        permissions = Permission.objects.filter(content_type__app_label="servicedesk", codename__in=codenames)
        for group in Group.objects.filter(name=role):
            group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [("servicedesk", "0026_desk_watchers_visits_inapp_macros")]

    operations = [migrations.RunPython(forwards, backwards)]
