"""The approvals API: the caller's pending approvals, one approval, its decision."""

import dataclasses

import pytest

from incidents import services as incident_services
from servicedesk import kinds, roles
from servicedesk.approvals.services import approval_decide, approval_request_open

from ..factories import SupportGroupFactory, UserFactory

LIST = "/api/v1/approvals/"


@pytest.fixture(autouse=True)
def _no_call_back(monkeypatch):
    registry = dict(kinds._KINDS)
    registry["INC"] = dataclasses.replace(registry["INC"], on_approval=None)
    monkeypatch.setattr(kinds, "_KINDS", registry)


@pytest.fixture
def approvers(db):
    return [UserFactory(username=f"approver{i}", roles=[roles.REQUESTER]) for i in range(2)]


@pytest.fixture
def record(db, agent, requester, support_group):
    return incident_services.incident_create(
        actor=agent, requester=requester, title="Open port 443", support_group=support_group
    )


@pytest.fixture
def approval(record, approvers, agent):
    return approval_request_open(
        record=record, actor=agent, approvers=approvers, rule="all", reason="Web shop."
    )


def decide(client, approval, **body):
    return client.post(f"{LIST}{approval.pk}/decide/", body, format="json")


def test_the_list_holds_the_callers_pending_approvals_paged_in_constant_queries(
    api_as, approvers, record, agent, django_assert_max_num_queries
):
    cab = SupportGroupFactory(name="CAB", members=[approvers[0]])
    for i in range(4):
        approval_request_open(record=record, actor=agent, approvers=[approvers[0]], title=f"Direct {i}")
        approval_request_open(record=record, actor=agent, groups=[cab], title=f"Group {i}")
    approval_request_open(record=record, actor=agent, approvers=[approvers[1]], title="Not mine")
    client = api_as(approvers[0])

    with django_assert_max_num_queries(14):
        first = client.get(LIST, {"page_size": 5})
    assert first.status_code == 200
    body = first.json()
    assert len(body["results"]) == 5
    second = client.get(body["next"])
    titles = [a["title"] for a in body["results"] + second.json()["results"]]
    assert sorted(titles) == sorted([f"Direct {i}" for i in range(4)] + [f"Group {i}" for i in range(4)])
    row = body["results"][0]
    assert row["can_decide"] is True
    assert row["record"] == {"kind": "incident", "number": record.number, "title": "Open port 443"}


def test_one_approval_for_who_is_involved_and_404_for_others(api_as, approval, agent, other_requester):
    response = api_as(agent).get(f"{LIST}{approval.pk}/")
    assert response.status_code == 200
    assert response.json()["reason"] == "Web shop."
    assert response.json()["can_decide"] is False
    assert api_as(other_requester).get(f"{LIST}{approval.pk}/").status_code == 404
    assert api_as(other_requester).get(f"{LIST}999999/").status_code == 404


def test_deciding(api_as, approval, approvers):
    response = decide(api_as(approvers[0]), approval, decision="approve", comment="Fine.")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "pending"
    assert body["can_decide"] is False
    [decision] = body["decisions"]
    assert (decision["approver"]["username"], decision["decision"], decision["comment"]) == (
        "approver0",
        "approve",
        "Fine.",
    )


def test_deciding_refuses_bad_input_with_field_errors(api_as, approval, approvers):
    client = api_as(approvers[0])
    response = decide(client, approval, decision="maybe")
    assert response.status_code == 400
    assert "decision" in response.json()["fields"]
    response = decide(client, approval, decision="reject")
    assert response.status_code == 400
    assert "comment" in response.json()["fields"]


def test_deciding_twice_or_a_decided_approval_is_409(api_as, approval, approvers):
    client = api_as(approvers[0])
    assert decide(client, approval, decision="approve").status_code == 200
    twice = decide(client, approval, decision="approve")
    assert twice.status_code == 409
    assert twice.json()["code"] == "approval_already_decided"

    approval_decide(approval=approval, actor=approvers[1], decision="reject", comment="No.")
    settled = decide(api_as(approvers[1]), approval, decision="approve")
    assert settled.status_code == 409


def test_deciding_is_404_for_a_stranger_and_403_for_the_asker(api_as, approval, agent, other_requester):
    assert decide(api_as(other_requester), approval, decision="approve").status_code == 404
    response = decide(api_as(agent), approval, decision="approve")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_the_records_approvals(api_as, approval, record, agent, other_requester):
    response = api_as(agent).get(f"/api/v1/incidents/{record.number}/approvals/")
    assert response.status_code == 200
    assert [a["id"] for a in response.json()] == [approval.pk]
    assert api_as(other_requester).get(f"/api/v1/incidents/{record.number}/approvals/").status_code == 404
