"""What every site starts with, made again after a flush: the questionnaire and the rules."""

import pytest
from django.apps import apps

from changes.defaults import restore_defaults
from changes.models import ApprovalRule, RiskQuestion

pytestmark = pytest.mark.django_db


def test_a_flushed_site_gets_its_questions_and_rules_again():
    ApprovalRule.objects.all().delete()
    RiskQuestion.objects.all().delete()

    restore_defaults(sender=apps.get_app_config("changes"))

    assert RiskQuestion.objects.count() == 6
    assert ApprovalRule.objects.count() == 8
    high = ApprovalRule.objects.get(change_type="normal", risk_level="high")
    assert (high.board, high.rule, high.required) == (None, "all", "owners")


def test_a_site_with_its_own_rules_is_left_alone():
    ApprovalRule.objects.exclude(risk_level="low").delete()
    RiskQuestion.objects.all().delete()

    restore_defaults(sender=apps.get_app_config("changes"))
    restore_defaults(sender=apps.get_app_config("cmdb"))

    assert ApprovalRule.objects.count() == 2
    assert not RiskQuestion.objects.exists()
