"""The assessment and the CAB through the API: assess, impact, the risk questions, and deciding a change's
approval through the kernel's approvals resource."""

import pytest

from changes import workflow as wf
from changes.models import Change, RiskQuestion
from servicedesk.models import TimelineEntry
from servicedesk.records.transitions import record_transition

from .test_cab import pending, to_cab

pytestmark = pytest.mark.django_db


def url(change, action=""):
    return f"/api/v1/changes/{change.number}/{action + '/' if action else ''}"


def answers(value=False):
    return {str(q.pk): value for q in RiskQuestion.objects.filter(is_active=True)}


@pytest.fixture
def submitted(change, agent):
    return record_transition(record=change, actor=agent, to=wf.SUBMITTED)


def test_a_change_manager_assesses_through_the_api(api_as, submitted, change_manager):
    answer = api_as(change_manager).post(url(submitted, "assess"), {"answers": answers(True)}, format="json")
    assert answer.status_code == 200, answer.data
    assert answer.data["risk_level"] == "high"
    assert answer.data["risk_score"] == 100
    assert any("Answered yes" in reason for reason in answer.data["risk_reasons"])
    assert answer["ETag"]


def test_assessing_needs_every_answer_400(api_as, submitted, change_manager):
    partial = answers()
    partial.popitem()
    answer = api_as(change_manager).post(url(submitted, "assess"), {"answers": partial}, format="json")
    assert answer.status_code == 400
    assert "answers" in answer.data["fields"]


def test_assessing_with_a_stale_etag_is_412(api_as, submitted, change_manager):
    client = api_as(change_manager)
    client.credentials(HTTP_IF_MATCH=f'"{submitted.pk}-{submitted.version - 1}"')
    answer = client.post(url(submitted, "assess"), {"answers": answers()}, format="json")
    assert answer.status_code == 412


def test_agents_may_not_assess_403_requesters_do_not_see_404(api_as, submitted, agent, other_requester):
    assert (
        api_as(agent).post(url(submitted, "assess"), {"answers": answers()}, format="json").status_code == 403
    )
    hidden = api_as(other_requester).post(url(submitted, "assess"), {"answers": answers()}, format="json")
    assert hidden.status_code == 404


def test_assessing_an_approved_change_is_409(api_as, submitted, change_manager):
    Change.objects.filter(pk=submitted.pk).update(status=wf.APPROVED)
    answer = api_as(change_manager).post(url(submitted, "assess"), {"answers": answers()}, format="json")
    assert answer.status_code == 409


def test_the_impact_names_the_services_and_their_owners(api_as, change, agent, service_owner):
    answer = api_as(agent).get(url(change, "impact"))
    assert answer.status_code == 200
    assert [(s["name"], s["owner"]["username"]) for s in answer.data["services"]] == [
        ("Payroll", service_owner.username)
    ]
    assert answer.data["truncated"] is False


def test_the_requester_of_a_change_may_not_read_its_impact(api_as, server, agent, requester):
    from changes.services import change_create

    record = change_create(actor=agent, title="For you", affected_cis=[server])
    Change.objects.filter(pk=record.pk).update(requester=requester)
    assert api_as(requester).get(url(record, "impact")).status_code == 403


def test_the_risk_questions_are_listed_for_who_sees_changes(api_as, agent, requester):
    RiskQuestion.objects.create(text="Retired?", weight=1, is_active=False)
    listed = api_as(agent).get("/api/v1/risk-questions/")
    assert listed.status_code == 200
    rows = listed.data["results"] if isinstance(listed.data, dict) else listed.data
    assert len(rows) == RiskQuestion.objects.filter(is_active=True).count() == 6
    assert {"id", "text", "weight"} <= set(rows[0])
    hidden = api_as(requester).get("/api/v1/risk-questions/")
    rows = hidden.data["results"] if isinstance(hidden.data, dict) else hidden.data
    assert rows == []


def test_a_cab_member_decides_through_the_api_with_a_comment(
    api_as, change, agent, change_manager, cab, cab_members, service_owner
):
    change = to_cab(change, agent, change_manager, level="high")
    approval = pending(change)
    listed = api_as(cab_members[0]).get(url(change, "approvals"))
    assert listed.data[0]["can_decide"] is True
    answer = api_as(cab_members[0]).post(
        f"/api/v1/approvals/{approval.pk}/decide/",
        {"decision": "reject", "comment": "Not now."},
        format="json",
    )
    assert answer.status_code == 200, answer.data
    assert Change.objects.get(pk=change.pk).status == wf.REJECTED
    entry = TimelineEntry.objects.get(object_id=change.pk, data__event="approval_decided")
    assert (entry.author, entry.body) == (cab_members[0], "Not now.")
