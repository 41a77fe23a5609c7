"""What every site starts with, made again after a flush: the boards, the questionnaire, the rules."""

import pytest
from django.apps import apps

from changes.defaults import restore_defaults
from changes.models import ApprovalRule, RiskQuestion
from servicedesk.models import SupportGroup

pytestmark = pytest.mark.django_db

BOARDS = ["Change Advisory Board", "Emergency CAB"]


def test_a_flushed_site_gets_its_boards_questions_and_rules_again():
    ApprovalRule.objects.all().delete()
    RiskQuestion.objects.all().delete()
    SupportGroup.objects.filter(name__in=BOARDS).delete()

    restore_defaults(sender=apps.get_app_config("changes"))

    assert sorted(SupportGroup.objects.filter(name__in=BOARDS).values_list("name", flat=True)) == BOARDS
    assert RiskQuestion.objects.count() == 6
    assert ApprovalRule.objects.count() == 8
    high = ApprovalRule.objects.get(change_type="normal", risk_level="high")
    assert (high.board.name, high.rule, high.required) == ("Change Advisory Board", "all", "owners")


def test_a_site_with_its_own_rules_is_left_alone():
    ApprovalRule.objects.exclude(risk_level="low").delete()
    RiskQuestion.objects.all().delete()

    restore_defaults(sender=apps.get_app_config("changes"))
    restore_defaults(sender=apps.get_app_config("cmdb"))

    assert ApprovalRule.objects.count() == 2
    assert not RiskQuestion.objects.exists()
