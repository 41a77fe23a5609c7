from django.db import migrations

from servicedesk.roles import ensure_permissions, grant

# A copy, not an import: a migration keeps doing what it did when it was written.
# Who may withdraw any pending approval request: group managers, change managers and administrators;
# administrators also read approval requests, their decisions and delegations in the admin.
CANCEL = ["servicedesk.cancel_approval"]
ADMIN_PERMISSIONS = [
    *CANCEL,
    "servicedesk.view_approvalrequest",
    "servicedesk.view_approvaldecision",
    "servicedesk.view_approvaldelegation",
]
MAPPING = {"Group manager": CANCEL, "Change manager": CANCEL, "Administrator": ADMIN_PERMISSIONS}


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
    dependencies = [("servicedesk", "0021_approval_delegation_per_request")]

    operations = [migrations.RunPython(forwards, backwards)]
