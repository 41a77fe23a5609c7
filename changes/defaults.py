"""What every installation starts with (the boards, the risk questionnaire and the approval rules that
migration 0004 seeds), made again after a flush (tests on a committed database, `manage.py flush`)."""

from importlib import import_module

from django.apps import apps as global_apps

SEED = import_module("changes.migrations.0004_seed_risk_and_approval_rules")


def restore_defaults(sender, apps=global_apps, **kwargs) -> None:
    """post_migrate: a site left without any approval rule (after a flush) gets the defaults again."""
    if sender.name != "changes":
        return
    if not apps.get_model("changes", "ApprovalRule").objects.exists():
        SEED.forwards(apps, None)
