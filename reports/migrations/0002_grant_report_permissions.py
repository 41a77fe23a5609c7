from django.db import migrations

from servicedesk.roles import ensure_permissions, grant

# Frozen copy of reports.roles.ROLE_PERMISSIONS as of this migration.
ROLES = {"Administrator": ["reports.view_all_reports"]}


def forwards(apps, schema_editor):
    ensure_permissions(apps)
    grant(apps, ROLES)


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="reports")
    for group in Group.objects.filter(name__in=list(ROLES)):
        group.permissions.remove(*perms)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("servicedesk", "0024_reporting_facts"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
