"""The assessment: the change's impact from the CMDB, the risk from the questionnaire and that impact."""

import pytest
from django.core.exceptions import ValidationError

from changes import workflow as wf
from changes.models import Change, RiskQuestion
from changes.services import change_update
from changes.services.assessment import (
    ImpactedCI,
    ImpactSummary,
    change_assess,
    change_impact,
    change_impact_many,
    risk_compute,
)
from cmdb.models import ConfigurationItem
from servicedesk.errors import Conflict, PermissionDenied, StaleWrite
from servicedesk.models import AuditEvent, TimelineEntry

from ..cmdb.factories import CIFactory, CIRelationshipFactory, relationship_type
from ..factories import UserFactory
from ..incidents.factories import BusinessServiceFactory

pytestmark = pytest.mark.django_db


def _questions(*weights):
    return [RiskQuestion(pk=n, text=f"Question {n}?", weight=w) for n, w in enumerate(weights, start=1)]


def _impact(services=0, cis=0, truncated=False):
    def item(n, is_service):
        return ImpactedCI(ci=ConfigurationItem(pk=n, name=f"CI {n}"), is_service=is_service, depth=1)

    return ImpactSummary(
        services=[item(n, True) for n in range(services)],
        cis=[item(100 + n, False) for n in range(cis)],
        truncated=truncated,
    )


@pytest.mark.parametrize(
    ("yes", "impact", "level"),
    [
        ((), _impact(), "low"),  # score 0, no impact
        ((), _impact(services=1), "low"),  # score 0, one service
        ((), _impact(services=2), "medium"),  # score 0, several services
        ((), _impact(cis=60), "medium"),  # score 0, many CIs
        ((), _impact(truncated=True), "high"),  # score 0, wide
        ((1,), _impact(services=1), "medium"),  # score 30, one service
        ((1,), _impact(), "low"),  # score 30, none
        ((1, 2), _impact(), "medium"),  # score 60, none
        ((1, 2), _impact(services=1), "high"),  # score 60, one service
        ((1, 2), _impact(services=5), "very_high"),  # score 60, wide
        ((1, 2, 3), _impact(), "high"),  # score 80, none
        ((1, 2, 3), _impact(services=3), "very_high"),  # score 80, several
    ],
)
def test_the_risk_matrix_crosses_the_score_with_the_impact(yes, impact, level):
    questions = _questions(3, 3, 2, 2)  # 10 in all
    answers = {q.pk: q.pk in yes for q in questions}
    score, computed, _reasons = risk_compute(answers, impact, questions)
    assert score == sum(q.weight for q in questions if q.pk in yes) * 10
    assert computed == level


def test_the_reasons_name_the_services_and_the_questions_answered_yes():
    questions = _questions(3, 3)
    _score, _level, reasons = risk_compute({1: True, 2: False}, _impact(services=3, cis=2), questions)
    assert reasons[0] == "3 business services depend on the affected CIs: CI 0, CI 1, CI 2."
    assert "2 other CIs depend on the affected CIs." in reasons
    assert "Answered yes: Question 1?" in reasons
    assert "Answered yes: Question 2?" not in reasons
    assert reasons[-1] == "The questionnaire scores 50 of 100; with this impact the risk is high."


def test_no_impact_says_so():
    _score, _level, reasons = risk_compute({}, _impact(), _questions(1))
    assert reasons[0] == "No business service depends on the affected CIs."


def test_the_impact_lists_the_services_the_cis_take_down_with_their_owners(change, service, service_owner):
    web = CIFactory(name="web-payroll-01", status="in_production")
    CIRelationshipFactory(source=web, target=change.affected_cis.get(), type=relationship_type("depends_on"))
    impact = change_impact(change)
    assert [(s.ci.name, s.owner) for s in impact.services] == [("Payroll", service_owner)]
    assert impact.hit_services[0].named  # also named by the change
    assert [c.ci.name for c in impact.cis] == ["web-payroll-01"]
    assert impact.service_owners == [service_owner]
    assert not impact.truncated


def test_the_impact_of_many_changes_takes_constant_queries(
    change, agent, server, django_assert_max_num_queries
):
    from changes.services import change_create

    others = []
    for n in range(6):
        ci = CIFactory(name=f"db-{n}")
        owner = UserFactory(username=f"own{n}")
        svc = BusinessServiceFactory(name=f"Svc {n}", owner=owner)
        CIRelationshipFactory(source=svc, target=ci, type=relationship_type("depends_on"))
        others.append(change_create(actor=agent, title=f"C{n}", affected_cis=[ci], services=[svc]))
    rows = list(
        Change.objects.filter(pk__in=[change.pk, *[o.pk for o in others]]).prefetch_related(
            "affected_cis", "services"
        )
    )
    with django_assert_max_num_queries(10):
        impacts = change_impact_many(rows)
        owners = [s.owner for i in impacts.values() for s in i.services]
    assert len(owners) == 7
    assert impacts[others[3].pk].services[0].owner.username == "own3"


def _all_answers(yes=()):
    return {q.pk: q.pk in yes for q in RiskQuestion.objects.filter(is_active=True)}


def _submitted(change, agent):
    from servicedesk.records.transitions import record_transition

    return record_transition(record=change, actor=agent, to=wf.SUBMITTED)


def test_a_change_manager_assesses_a_submitted_change(change, agent, change_manager, service):
    change = _submitted(change, agent)
    question = RiskQuestion.objects.filter(is_active=True).first()
    record = change_assess(record=change, actor=change_manager, answers=_all_answers([question.pk]))
    record.refresh_from_db()
    assert record.risk_level == "low"  # 3 of 13 with one service
    assert record.risk_score == 23
    assert record.risk_answers[str(question.pk)] is True
    assert record.assessed_by == change_manager
    assert record.assessed_at is not None
    assert f"Answered yes: {question.text}" in record.risk_reasons
    entry = TimelineEntry.objects.get(object_id=change.pk, data__event="assessed")
    assert entry.data["level"] == "low"
    assert AuditEvent.objects.filter(action="change.assessed", object_id=str(change.pk)).exists()


def test_every_active_question_must_be_answered(change, agent, change_manager):
    change = _submitted(change, agent)
    answers = _all_answers()
    answers.popitem()
    with pytest.raises(ValidationError) as refused:
        change_assess(record=change, actor=change_manager, answers=answers)
    assert "answers" in refused.value.message_dict


def test_unknown_or_inactive_questions_are_refused(change, agent, change_manager):
    change = _submitted(change, agent)
    retired = RiskQuestion.objects.create(text="Old?", weight=1, is_active=False)
    for extra in ({999: True}, {retired.pk: False}, {"x": True}):
        with pytest.raises(ValidationError):
            change_assess(record=change, actor=change_manager, answers={**_all_answers(), **extra})
    with pytest.raises(ValidationError):
        change_assess(record=change, actor=change_manager, answers=dict.fromkeys(_all_answers(), "yes"))


def test_only_change_managers_assess_and_only_before_the_cab(change, agent, change_manager):
    change = _submitted(change, agent)
    with pytest.raises(PermissionDenied):
        change_assess(record=change, actor=agent, answers=_all_answers())
    Change.objects.filter(pk=change.pk).update(status=wf.APPROVED)
    change.refresh_from_db()
    with pytest.raises(Conflict):
        change_assess(record=change, actor=change_manager, answers=_all_answers())


def test_a_stale_assessment_is_refused(change, agent, change_manager):
    change = _submitted(change, agent)
    with pytest.raises(StaleWrite):
        change_assess(
            record=change, actor=change_manager, answers=_all_answers(), expected_version=change.version - 1
        )


def test_new_cis_after_the_assessment_reassess_the_risk(change, agent, change_manager):
    change = _submitted(change, agent)
    change = change_assess(record=change, actor=change_manager, answers=_all_answers())
    assert change.risk_level == "low"
    services = [BusinessServiceFactory(name=f"Extra {n}") for n in range(5)]
    ci = CIFactory(name="shared-storage")
    for svc in services:
        CIRelationshipFactory(source=svc, target=ci, type=relationship_type("depends_on"))
    record = change_update(record=change, actor=change_manager, affected_cis=[*change.affected_cis.all(), ci])
    record.refresh_from_db()
    assert record.risk_level == "high"  # score 0, six services: a wide impact
    event = AuditEvent.objects.filter(action="change.updated", object_id=str(change.pk)).last()
    assert event.data["risk_level"] == {"from": "low", "to": "high"}
