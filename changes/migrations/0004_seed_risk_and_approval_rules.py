"""The starting risk questionnaire and approval rules, with the two boards they name (issue 16).

Administrators change them in the admin; the boards start empty (their members are whoever a site names).
"""

from django.db import migrations

CAB = "Change Advisory Board"
ECAB = "Emergency CAB"
QUESTIONS = [
    ("Will users lose the service while it is done?", "Downtime, even planned, inside business hours.", 3),
    ("Is it untried: not rehearsed in a test environment first?", "", 3),
    ("Does it change data or a database schema?", "Migrations, bulk updates, conversions.", 2),
    ("Is it hard to undo: would backing out take over an hour?", "", 2),
    ("Has a change like it failed here before?", "", 2),
    ("Does it depend on a vendor or another team on the day?", "", 1),
]
# (type, risk, board, rule, service owners approve, change manager approves, required, hours to decide)
RULES = [
    ("normal", "low", None, "any", False, True, "none", None),
    ("normal", "medium", CAB, "majority", True, True, "none", None),
    ("normal", "high", CAB, "all", True, True, "owners", None),
    ("normal", "very_high", CAB, "all", True, True, "everyone", None),
    ("emergency", "low", ECAB, "any", False, True, "none", 4),
    ("emergency", "medium", ECAB, "any", True, True, "none", 4),
    ("emergency", "high", ECAB, "majority", True, True, "owners", 4),
    ("emergency", "very_high", ECAB, "all", True, True, "owners", 4),
]


def forwards(apps, schema_editor):
    SupportGroup = apps.get_model("servicedesk", "SupportGroup")
    RiskQuestion = apps.get_model("changes", "RiskQuestion")
    ApprovalRule = apps.get_model("changes", "ApprovalRule")
    boards = {}
    for name, description in (
        (CAB, "The change advisory board: approves normal changes by their risk."),
        (ECAB, "The emergency CAB: approves emergency changes, before or after the fact."),
    ):
        boards[name], _created = SupportGroup.objects.get_or_create(
            name=name, defaults={"description": description}
        )
    if not RiskQuestion.objects.exists():
        for order, (text, help_text, weight) in enumerate(QUESTIONS):
            RiskQuestion.objects.create(text=text, help_text=help_text, weight=weight, order=order)
    for change_type, risk, board, rule, owners, manager, required, hours in RULES:
        ApprovalRule.objects.get_or_create(
            change_type=change_type,
            risk_level=risk,
            defaults={
                "board": boards.get(board),
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
    dependencies = [("changes", "0003_calendar_feed"), ("servicedesk", "0023_add_search_functions")]

    operations = [migrations.RunPython(forwards, backwards)]
