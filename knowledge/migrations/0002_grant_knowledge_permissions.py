from django.db import migrations

from servicedesk.roles import ensure_permissions, grant

# Frozen copy of knowledge.roles.ROLE_PERMISSIONS as of this migration.
READ = ["knowledge.view_article"]
WRITE = [*READ, "knowledge.add_article", "knowledge.change_article"]
REVIEW = [*WRITE, "knowledge.review_article", "knowledge.view_articlecategory"]
ROLES = {
    "Agent": WRITE,
    "Group manager": REVIEW,
    "Problem manager": REVIEW,
    "Change manager": READ,
    "CAB member": READ,
    "Release manager": READ,
    "Configuration manager": READ,
    "Administrator": [
        *REVIEW,
        "knowledge.add_articlecategory",
        "knowledge.change_articlecategory",
        "knowledge.delete_articlecategory",
    ],
}


def forwards(apps, schema_editor):
    ensure_permissions(apps)
    grant(apps, ROLES)


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="knowledge")
    for group in Group.objects.filter(name__in=list(ROLES)):
        group.permissions.remove(*perms)


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
