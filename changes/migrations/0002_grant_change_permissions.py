from django.db import migrations

from servicedesk.roles import ensure_permissions, grant

# Frozen copy of changes.roles.ROLE_PERMISSIONS as of this migration.
VIEW = ["changes.view_change", "changes.view_standardchange"]
WORK = [*VIEW, "changes.add_change", "changes.change_change", "changes.work_change"]
MANAGE = [
    *WORK,
    "changes.manage_change",
    "changes.add_standardchange",
    "changes.change_standardchange",
    "changes.view_riskquestion",
    "changes.add_riskquestion",
    "changes.change_riskquestion",
    "changes.view_approvalrule",
    "changes.add_approvalrule",
    "changes.change_approvalrule",
    "changes.view_blackoutwindow",
    "changes.add_blackoutwindow",
    "changes.change_blackoutwindow",
    "changes.delete_blackoutwindow",
    "changes.view_maintenancewindow",
    "changes.add_maintenancewindow",
    "changes.change_maintenancewindow",
    "changes.delete_maintenancewindow",
]
ROLES = {
    "Agent": WORK,
    "Group manager": WORK,
    "Problem manager": WORK,
    "Change manager": MANAGE,
    "CAB member": VIEW,
    "Release manager": WORK,
    "Configuration manager": VIEW,
    "Administrator": MANAGE,
}


def forwards(apps, schema_editor):
    ensure_permissions(apps)
    grant(apps, ROLES)


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="changes")
    for group in Group.objects.filter(name__in=list(ROLES)):
        group.permissions.remove(*perms)


class Migration(migrations.Migration):
    dependencies = [("changes", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
