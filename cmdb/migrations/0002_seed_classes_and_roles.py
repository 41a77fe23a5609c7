from django.db import migrations

from cmdb.defaults import seed_defaults
from servicedesk.roles import ensure_permissions, grant

VIEW = [
    "cmdb.view_ciclass",
    "cmdb.view_configurationitem",
    "cmdb.view_relationshiptype",
    "cmdb.view_cirelationship",
]
MANAGE = VIEW + [
    "cmdb.add_ciclass",
    "cmdb.change_ciclass",
    "cmdb.add_configurationitem",
    "cmdb.change_configurationitem",
    "cmdb.import_configurationitem",
    "cmdb.add_relationshiptype",
    "cmdb.change_relationshiptype",
    "cmdb.add_cirelationship",
    "cmdb.change_cirelationship",
    "cmdb.delete_cirelationship",
]
ROLES = {
    "Agent": VIEW,
    "Group manager": VIEW,
    "Problem manager": VIEW,
    "Change manager": VIEW,
    "CAB member": VIEW,
    "Release manager": VIEW,
    "Configuration manager": MANAGE,
    "Administrator": MANAGE,
}


def seed(apps, schema_editor):
    seed_defaults(apps)
    ensure_permissions(apps)
    grant(apps, ROLES)


def unseed(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    cmdb_perms = Permission.objects.filter(content_type__app_label="cmdb")
    for group in Group.objects.filter(name__in=list(ROLES)):
        group.permissions.remove(*cmdb_perms)
    apps.get_model("cmdb", "RelationshipType").objects.all().delete()
    CIClass = apps.get_model("cmdb", "CIClass")
    for ci_class in CIClass.objects.order_by("-path"):
        ci_class.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cmdb", "0001_initial"),
        ("servicedesk", "0002_create_roles"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
