from django.db import migrations

from servicedesk.roles import ensure_permissions, grant

# Frozen copy of problems.roles.ROLE_PERMISSIONS as of this migration.
VIEW = ["problems.view_problem", "problems.view_knownerror"]
WORK = [
    *VIEW,
    "problems.add_problem",
    "problems.change_problem",
    "problems.work_problem",
    "problems.add_workaroundapplication",
]
MANAGE = [
    *WORK,
    "problems.manage_problem",
    "problems.add_knownerror",
    "problems.change_knownerror",
    "problems.view_problemcandidate",
    "problems.change_problemcandidate",
]
ROLES = {
    "Agent": WORK,
    "Group manager": WORK,
    "Problem manager": MANAGE,
    "Change manager": VIEW,
    "CAB member": VIEW,
    "Release manager": VIEW,
    "Configuration manager": VIEW,
    "Administrator": MANAGE,
}


def forwards(apps, schema_editor):
    ensure_permissions(apps)
    grant(apps, ROLES)


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="problems")
    for group in Group.objects.filter(name__in=list(ROLES)):
        group.permissions.remove(*perms)


class Migration(migrations.Migration):
    dependencies = [("problems", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
