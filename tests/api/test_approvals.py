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


# Delegating and cancelling


def delegate(client, approval, **body):
    return client.post(f"{LIST}{approval.pk}/delegate/", body, format="json")


def cancel(client, approval, **body):
    return client.post(f"{LIST}{approval.pk}/cancel/", body, format="json")


def test_an_approver_delegates_and_the_delegate_decides_on_their_behalf(api_as, approval, approvers):
    deputy = UserFactory(username="deputy", roles=[roles.REQUESTER])
    assert api_as(approvers[0]).get(f"{LIST}{approval.pk}/").json()["can_delegate"] is True

    response = delegate(api_as(approvers[0]), approval, delegate=deputy.pk, comment="On leave.")

    assert response.status_code == 200
    body = response.json()
    assert body["can_decide"] is False
    assert body["can_delegate"] is False
    [delegation] = body["delegations"]
    assert delegation["delegator"]["username"] == "approver0"
    assert delegation["delegate"]["username"] == "deputy"
    client = api_as(deputy)
    assert [a["id"] for a in client.get(LIST).json()["results"]] == [approval.pk]
    decided = decide(client, approval, decision="approve")
    assert decided.status_code == 200
    [decision] = decided.json()["decisions"]
    assert (decision["approver"]["username"], decision["on_behalf_of"]["username"]) == ("deputy", "approver0")
    refused = decide(api_as(approvers[0]), approval, decision="approve")
    assert refused.status_code == 409


def test_delegating_refuses_a_bad_delegate_with_400(api_as, approval, approvers):
    client = api_as(approvers[0])
    for body in ({}, {"delegate": 999999}, {"delegate": approvers[0].pk}, {"delegate": approvers[1].pk}):
        response = delegate(client, approval, **body)
        assert response.status_code == 400, body
        assert "delegate" in response.json()["fields"]
    inactive = UserFactory(is_active=False)
    assert delegate(client, approval, delegate=inactive.pk).status_code == 400


def test_delegating_is_404_for_a_stranger_403_for_the_asker_409_once_given(
    api_as, approval, approvers, agent, other_requester
):
    deputy = UserFactory()
    assert delegate(api_as(other_requester), approval, delegate=deputy.pk).status_code == 404
    assert api_as(other_requester).post(f"{LIST}999999/delegate/", {}, format="json").status_code == 404
    forbidden = delegate(api_as(agent), approval, delegate=deputy.pk)
    assert forbidden.status_code == 403
    client = api_as(approvers[0])
    assert decide(client, approval, decision="approve").status_code == 200
    conflict = delegate(client, approval, delegate=deputy.pk)
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "approval_already_decided"


def test_a_change_manager_cancels_an_approval_they_are_not_asked_for(api_as, approval, change_manager):
    client = api_as(change_manager)
    before = client.get(f"{LIST}{approval.pk}/")
    assert before.status_code == 200
    assert before.json()["can_cancel"] is True

    response = cancel(client, approval, reason="The change was dropped.")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["outcome_note"] == "The change was dropped."
    assert response.json()["can_cancel"] is False
    again = cancel(client, approval)
    assert again.status_code == 409
    assert again.json()["code"] == "approval_not_pending"


def test_cancelling_is_403_for_an_approver_and_404_for_a_stranger(
    api_as, approval, approvers, other_requester
):
    response = cancel(api_as(approvers[0]), approval)
    assert response.status_code == 403
    assert api_as(approvers[0]).get(f"{LIST}{approval.pk}/").json()["can_cancel"] is False
    assert cancel(api_as(other_requester), approval).status_code == 404
    approval.refresh_from_db()
    assert approval.status == "pending"


def test_the_records_approvals_sub_resource_delegates_and_cancels(
    api_as, approval, record, approvers, agent, group_manager
):
    base = f"/api/v1/incidents/{record.number}/approvals/{approval.pk}"
    deputy = UserFactory(username="deputy")
    assert api_as(agent).get(f"/api/v1/incidents/{record.number}/approvals/").json()[0]["can_cancel"] is False
    assert api_as(agent).post(f"{base}/delegate/", {"delegate": deputy.pk}, format="json").status_code == 403

    other = incident_services.incident_create(actor=agent, requester=agent, title="Other")
    wrong = f"/api/v1/incidents/{other.number}/approvals/{approval.pk}/cancel/"
    assert api_as(group_manager).post(wrong, {}, format="json").status_code == 404

    response = api_as(group_manager).post(f"{base}/cancel/", {"reason": "Obsolete."}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    conflict = api_as(group_manager).post(f"{base}/cancel/", {}, format="json")
    assert conflict.status_code == 409


def test_the_records_approvals_sub_resource_lets_an_approver_who_sees_the_record_delegate(
    api_as, record, agent, support_group
):
    colleague = UserFactory(roles=[roles.AGENT])
    approval = approval_request_open(record=record, actor=None, approvers=[agent])
    url = f"/api/v1/incidents/{record.number}/approvals/{approval.pk}/delegate/"

    response = api_as(agent).post(url, {"delegate": colleague.pk}, format="json")

    assert response.status_code == 200
    assert response.json()["delegations"][0]["delegate"]["id"] == colleague.pk
