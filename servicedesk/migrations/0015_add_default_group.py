"""One explicit default group for records that no rule routes."""

from django.db import migrations, models


def choose_default_group(apps, schema_editor):
    """Keep routing as it was: the active 1st-line group that sorted first by name becomes the default."""
    SupportGroup = apps.get_model("servicedesk", "SupportGroup")
    group = SupportGroup.objects.filter(is_active=True, tier="tier1").order_by("name").first()
    if group is not None:
        SupportGroup.objects.filter(pk=group.pk).update(is_default=True)


class Migration(migrations.Migration):
    dependencies = [
        ("servicedesk", "0014_add_revision"),
    ]

    operations = [
        migrations.AddField(
            model_name="supportgroup",
            name="is_default",
            field=models.BooleanField(
                default=False,
                help_text="Records that no rule routes (no service, category or request type with a group) go to this group. One group at most.",
                verbose_name="default group",
            ),
        ),
        migrations.AddConstraint(
            model_name="supportgroup",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_default", True)),
                fields=("is_default",),
                name="servicedesk_supportgroup_one_default",
                violation_error_message="Another group is already the default group.",
            ),
        ),
        migrations.AddConstraint(
            model_name="supportgroup",
            constraint=models.CheckConstraint(
                condition=models.Q(("is_default", False), ("is_active", True), _connector="OR"),
                name="servicedesk_supportgroup_default_is_active",
                violation_error_message="The default group must be active.",
            ),
        ),
        migrations.RunPython(choose_default_group, migrations.RunPython.noop),
    ]
