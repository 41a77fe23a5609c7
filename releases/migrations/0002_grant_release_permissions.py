from django.db import migrations

from servicedesk.roles import ensure_permissions, grant

# Frozen copy of releases.roles.ROLE_PERMISSIONS as of this migration.
VIEW = ["releases.view_release", "releases.view_artifact", "releases.view_wave"]
WORK = [
    *VIEW,
    "releases.add_release",
    "releases.change_release",
    "releases.work_release",
    "releases.add_artifact",
    "releases.add_wave",
    "releases.change_wave",
    "releases.delete_wave",
]
MANAGE = [*WORK, "releases.manage_release"]
ROLES = {
    "Agent": WORK,
    "Group manager": WORK,
    "Problem manager": VIEW,
    "Change manager": VIEW,
    "CAB member": VIEW,
    "Release manager": MANAGE,
    "Configuration manager": VIEW,
    "Administrator": MANAGE,
}


def forwards(apps, schema_editor):
    ensure_permissions(apps)
    grant(apps, ROLES)


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="releases")
    for group in Group.objects.filter(name__in=list(ROLES)):
        group.permissions.remove(*perms)


class Migration(migrations.Migration):
    dependencies = [("releases", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
