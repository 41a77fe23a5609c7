from django.db import migrations

from servicedesk.roles import ensure_permissions, grant

# A copy, not an import: a migration keeps doing what it did when it was written.
# Administrators configure SLA policies, targets and escalation rules, and may read clocks in the admin.
ADMIN_PERMISSIONS = [
    f"servicedesk.{action}_{model}"
    for model in ("slapolicy", "slatarget", "escalationrule")
    for action in ("view", "add", "change", "delete")
] + ["servicedesk.view_slaclock", "servicedesk.view_slasegment", "servicedesk.view_slafiring"]
# Group managers see the policies their groups are measured against.
MANAGER_PERMISSIONS = [
    "servicedesk.view_slapolicy",
    "servicedesk.view_slatarget",
    "servicedesk.view_escalationrule",
]


def forwards(apps, schema_editor):
    ensure_permissions(apps)
    grant(apps, {"Administrator": ADMIN_PERMISSIONS, "Group manager": MANAGER_PERMISSIONS})


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, names in (("Administrator", ADMIN_PERMISSIONS), ("Group manager", MANAGER_PERMISSIONS)):
        codenames = [name.split(".", 1)[1] for name in names]
        permissions = Permission.objects.filter(content_type__app_label="servicedesk", codename__in=codenames)
        for group in Group.objects.filter(name=role):
            group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [("servicedesk", "0012_sla_policies_clocks")]

    operations = [migrations.RunPython(forwards, backwards)]
