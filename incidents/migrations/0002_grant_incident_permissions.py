from django.db import migrations

from servicedesk.roles import ensure_permissions, grant

# Frozen copy of incidents.roles.ROLE_PERMISSIONS as of this migration.
FILE = ["incidents.add_incident"]
VIEW = [*FILE, "incidents.view_incident", "incidents.view_category", "incidents.view_requesttype"]
WORK = [*VIEW, "incidents.work_incident", "incidents.change_incident"]
RESOLVE = [
    *WORK,
    "incidents.resolve_incident",
    "incidents.close_incident",
    "incidents.cancel_incident",
    "incidents.reopen_incident",
    "incidents.merge_incident",
]
MANAGE = [*RESOLVE, "incidents.declare_major_incident"]
CATALOGUE = [
    "incidents.add_category",
    "incidents.change_category",
    "incidents.add_requesttype",
    "incidents.change_requesttype",
    "servicedesk.view_priorityrule",
    "servicedesk.change_priorityrule",
]
ROLES = {
    "Requester": FILE,
    "Agent": RESOLVE,
    "Group manager": MANAGE,
    "Problem manager": RESOLVE,
    "Change manager": WORK,
    "CAB member": VIEW,
    "Release manager": WORK,
    "Configuration manager": WORK,
    "Administrator": [*MANAGE, *CATALOGUE],
}


def forwards(apps, schema_editor):
    ensure_permissions(apps)
    grant(apps, ROLES)


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="incidents")
    for group in Group.objects.filter(name__in=list(ROLES)):
        group.permissions.remove(*perms)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0001_initial"),
        ("servicedesk", "0004_seed_priority_matrix"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
