from django.db import migrations

from servicedesk.roles import ensure_permissions, grant

VIEW = ["cmdb.view_baseline"]
MANAGE = ["cmdb.view_baseline", "cmdb.add_baseline"]
ROLES = {
    "Agent": VIEW,
    "Group manager": VIEW,
    "Problem manager": VIEW,
    "Change manager": VIEW,
    "CAB member": VIEW,
    "Release manager": MANAGE,
    "Configuration manager": MANAGE,
    "Administrator": MANAGE,
}


def forwards(apps, schema_editor):
    ensure_permissions(apps)
    grant(apps, ROLES)


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(
        content_type__app_label="cmdb", codename__in=["view_baseline", "add_baseline"]
    )
    for group in Group.objects.filter(name__in=list(ROLES)):
        group.permissions.remove(*perms)


class Migration(migrations.Migration):
    dependencies = [("cmdb", "0003_add_baselines")]

    operations = [migrations.RunPython(forwards, backwards)]
