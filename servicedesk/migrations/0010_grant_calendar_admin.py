from django.db import migrations

from servicedesk.roles import ensure_permissions, grant

PERMISSIONS = [
    "servicedesk.view_businesscalendar",
    "servicedesk.add_businesscalendar",
    "servicedesk.change_businesscalendar",
    "servicedesk.delete_businesscalendar",
    "servicedesk.view_workinginterval",
    "servicedesk.add_workinginterval",
    "servicedesk.change_workinginterval",
    "servicedesk.delete_workinginterval",
    "servicedesk.view_calendarexception",
    "servicedesk.add_calendarexception",
    "servicedesk.change_calendarexception",
    "servicedesk.delete_calendarexception",
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
    dependencies = [("servicedesk", "0009_business_calendars")]

    operations = [migrations.RunPython(forwards, backwards)]
