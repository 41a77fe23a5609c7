from django.db import migrations

from servicedesk.roles import ensure_permissions, grant

PORTAL = ["servicedesk.access_portal"]
WORKSPACE = PORTAL + [
    "servicedesk.access_workspace",
    "servicedesk.view_user",
    "servicedesk.view_organisation",
    "servicedesk.view_supportgroup",
]
ROLES = {
    "Requester": PORTAL,
    "Agent": WORKSPACE,
    "Group manager": WORKSPACE + ["servicedesk.manage_members"],
    "Problem manager": WORKSPACE,
    "Change manager": WORKSPACE,
    "CAB member": WORKSPACE,
    "Release manager": WORKSPACE,
    "Configuration manager": WORKSPACE,
    "Administrator": WORKSPACE
    + [
        "servicedesk.manage_members",
        "servicedesk.add_user",
        "servicedesk.change_user",
        "servicedesk.add_organisation",
        "servicedesk.change_organisation",
        "servicedesk.add_supportgroup",
        "servicedesk.change_supportgroup",
        "servicedesk.view_apitoken",
        "servicedesk.change_apitoken",
        "servicedesk.view_auditevent",
        "auth.view_group",
    ],
}


def create_roles(apps, schema_editor):
    ensure_permissions(apps)
    grant(apps, ROLES)


def delete_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("servicedesk", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, delete_roles)]
