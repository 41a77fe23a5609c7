from django.db import migrations

from servicedesk.roles import ensure_permissions, grant

PERMISSIONS = [
    "servicedesk.view_notificationtemplate",
    "servicedesk.add_notificationtemplate",
    "servicedesk.change_notificationtemplate",
    "servicedesk.delete_notificationtemplate",
    "servicedesk.view_mailbox",
    "servicedesk.add_mailbox",
    "servicedesk.change_mailbox",
    "servicedesk.delete_mailbox",
    "servicedesk.view_webhooksubscription",
    "servicedesk.add_webhooksubscription",
    "servicedesk.change_webhooksubscription",
    "servicedesk.delete_webhooksubscription",
    "servicedesk.view_webhookdelivery",
    "servicedesk.view_inboundemail",
]


def forwards(apps, schema_editor):
    ensure_permissions(apps)
    grant(apps, {"Administrator": PERMISSIONS})


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    codenames = [name.split(".", 1)[1] for name in PERMISSIONS]
    permissions = Permission.objects.filter(content_type__app_label="servicedesk", codename__in=codenames)
    for group in Group.objects.filter(name="Administrator"):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [("servicedesk", "0007_notifications_webhooks_mail")]

    operations = [migrations.RunPython(forwards, backwards)]
