"""The starting risk questionnaire and approval rules (issue 16).

Administrators change them in the admin. The rules name no board: a site makes its CAB and emergency CAB
(support groups whose members approve) and sets them on the rules; until then the impacted services' owners
and the change manager approve.
"""

from django.db import migrations

QUESTIONS = [
    ("Will users lose the service while it is done?", "Downtime, even planned, inside business hours.", 3),
    ("Is it untried: not rehearsed in a test environment first?", "", 3),
    ("Does it change data or a database schema?", "Migrations, bulk updates, conversions.", 2),
    ("Is it hard to undo: would backing out take over an hour?", "", 2),
    ("Has a change like it failed here before?", "", 2),
    ("Does it depend on a vendor or another team on the day?", "", 1),
]
# (type, risk, rule, service owners approve, change manager approves, required, hours to decide)
RULES = [
    ("normal", "low", "any", False, True, "none", None),
    ("normal", "medium", "majority", True, True, "none", None),
    ("normal", "high", "all", True, True, "owners", None),
    ("normal", "very_high", "all", True, True, "everyone", None),
    ("emergency", "low", "any", False, True, "none", 4),
    ("emergency", "medium", "any", True, True, "none", 4),
    ("emergency", "high", "majority", True, True, "owners", 4),
    ("emergency", "very_high", "all", True, True, "owners", 4),
]


def forwards(apps, schema_editor):
    RiskQuestion = apps.get_model("changes", "RiskQuestion")
    ApprovalRule = apps.get_model("changes", "ApprovalRule")
    if not RiskQuestion.objects.exists():
        for order, (text, help_text, weight) in enumerate(QUESTIONS):
            RiskQuestion.objects.create(text=text, help_text=help_text, weight=weight, order=order)
    for change_type, risk, rule, owners, manager, required, hours in RULES:
        ApprovalRule.objects.get_or_create(
            change_type=change_type,
            risk_level=risk,
            defaults={
                "rule": rule,
                "include_service_owners": owners,
                "include_change_manager": manager,
                "required": required,
                "due_hours": hours,
            },
        )


def backwards(apps, schema_editor):
    apps.get_model("changes", "ApprovalRule").objects.all().delete()
    apps.get_model("changes", "RiskQuestion").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("changes", "0003_calendar_feed")]

    operations = [migrations.RunPython(forwards, backwards)]
