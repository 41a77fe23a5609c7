from django.db import migrations

from servicedesk.roles import ensure_permissions, grant


def forwards(apps, schema_editor):
    ensure_permissions(apps)
    grant(apps, {"Administrator": ["servicedesk.view_outboxmessage"]})


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.filter(
        content_type__app_label="servicedesk", codename="view_outboxmessage"
    )
    for group in Group.objects.filter(name="Administrator"):
        group.permissions.remove(*permission)


class Migration(migrations.Migration):
    dependencies = [("servicedesk", "0005_add_outbox")]

    operations = [migrations.RunPython(forwards, backwards)]
