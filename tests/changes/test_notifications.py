"""Who is told of what happens to a change (e-mail through the kernel's rules) and what integrations
receive (webhooks `change.*`), driven through the real services; the CAB is stubbed (its approvals mail
the CAB themselves)."""

import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from changes import workflow as wf
from changes.models import Change
from changes.notifications import CHANGE_EVENTS
from changes.services import change_create
from servicedesk.models import OutboxMessage, WebhookDelivery
from servicedesk.records.services import record_lock
from servicedesk.records.transitions import record_transition, transition_fire_named
from servicedesk.services.notifications import notification_events_for
from servicedesk.services.webhooks import webhook_events, webhook_subscription_create

from ..incidents.test_notifications import Outbox


@pytest.fixture(autouse=True)
def stubs(monkeypatch):
    monkeypatch.setattr("changes.services.cab.cab_request_open", lambda **kw: None)
    monkeypatch.setattr("changes.services.cab.cab_requests_cancel", lambda **kw: None)
    monkeypatch.setattr("changes.conflicts.schedule_check", lambda firing: None)


@pytest.fixture
def outbox(db):
    return Outbox()


@pytest.fixture
def requested(change, requester):
    """The agent's change, requested on behalf of the requester."""
    Change.objects.filter(pk=change.pk).update(requester=requester)
    change.refresh_from_db()
    return change


def _at(record, status):
    start = timezone.now() + timedelta(days=3)
    Change.objects.filter(pk=record.pk).update(
        status=status, planned_start=start, planned_end=start + timedelta(hours=2), risk_level="low"
    )
    record.refresh_from_db()
    return record


def _settle(record, name):
    with transaction.atomic():
        return transition_fire_named(record=record_lock(record), actor=None, name=name)


def test_a_submitted_change_tells_every_change_manager(requested, requester, change_manager, outbox):
    record_transition(record=requested, actor=requester, to=wf.SUBMITTED)

    assert outbox.sent() == [("change_submitted", "changes@example.com")]
    payload = outbox.messages()[0].payload
    assert requested.number in payload["subject"]
    assert "Change to assess: Patch the payroll database" in payload["subject"]
    assert "was submitted: assess it and send it to the CAB" in payload["text"]
    assert f"/records/{requested.number}/" in payload["text"]


def test_a_submitted_change_with_a_manager_tells_only_them(
    requested, requester, change_manager, agent, outbox
):
    Change.objects.filter(pk=requested.pk).update(assignee=agent)
    requested.refresh_from_db()

    record_transition(record=requested, actor=requester, to=wf.SUBMITTED)

    assert outbox.sent() == [("change_submitted", "agent@example.com")]


def test_a_new_emergency_change_tells_the_change_managers_at_once(agent, change_manager, outbox):
    change_create(actor=agent, title="Stop the bleeding", change_type=wf.EMERGENCY)

    assert outbox.sent() == [("change_submitted", "changes@example.com")]
    assert "emergency change" in outbox.messages()[0].payload["text"]


def test_a_new_normal_draft_tells_nobody(agent, change_manager, outbox):
    change_create(actor=agent, title="Later")
    assert outbox.sent() == []


@pytest.mark.parametrize(("name", "words"), [("approve", "was approved"), ("reject", "was rejected")])
def test_the_cab_s_decision_tells_the_requester_and_the_manager(
    requested, change_manager, outbox, name, words
):
    record = _at(requested, wf.AWAITING_APPROVAL)
    Change.objects.filter(pk=record.pk).update(assignee=change_manager)
    record.refresh_from_db()
    outbox.mark()

    _settle(record, name)

    assert outbox.sent() == [
        ("change_decided", "requester@example.com"),
        ("change_decided", "changes@example.com"),
    ]
    assert words in outbox.messages()[0].payload["text"]
    assert words in outbox.messages()[0].payload["html"]


def test_scheduling_tells_the_requester_when(requested, change_manager, agent, outbox):
    record = _at(requested, wf.APPROVED)
    Change.objects.filter(pk=record.pk).update(assignee=agent)
    record.refresh_from_db()
    outbox.mark()

    record_transition(record=record, actor=change_manager, to=wf.SCHEDULED)

    assert outbox.sent() == [
        ("change_scheduled", "requester@example.com"),
        ("change_scheduled", "agent@example.com"),
    ]
    assert "is scheduled from" in outbox.messages()[0].payload["text"]


@pytest.mark.parametrize(
    ("to", "reason", "words"),
    [
        (wf.REVIEW, "", "was implemented"),
        (wf.FAILED, "Disk full", "failed"),
        (wf.BACKED_OUT, "Snapshot restored", "was backed out"),
    ],
)
def test_the_implementation_tells_the_requester_the_manager_and_the_implementers(
    requested, change_manager, agent, group_manager, support_group, outbox, to, reason, words
):
    record = _at(requested, wf.SCHEDULED)
    Change.objects.filter(pk=record.pk).update(assignee=change_manager, support_group=support_group)
    record.refresh_from_db()
    outbox.mark()

    record = record_transition(record=record, actor=agent, to=wf.IMPLEMENTING, maintenance=False)
    started = outbox.sent()
    outbox.mark()
    record_transition(record=record, actor=agent, to=to, reason=reason)

    # The group's address when it has one (the support_group fixture's), else its agents.
    expected = {"requester@example.com", "changes@example.com", *_group_addresses(support_group)}
    expected.discard("agent@example.com")  # who fired it is not told
    assert {to for event, to in started} == expected
    assert {event for event, _to in outbox.sent()} == {"change_implementation"}
    assert {to for _event, to in outbox.sent()} == expected
    text = outbox.messages()[0].payload["text"]
    assert words in text
    if reason:
        assert reason in text


def _group_addresses(group):
    return [group.email] if group.email else [user.email for user in group.members.all()]


def test_the_requester_may_subscribe_to_their_change_s_news_but_not_to_assessments(requester, agent):
    codes = {event.code for event in CHANGE_EVENTS}

    assert codes & set(notification_events_for(requester)) == {
        "change_decided",
        "change_scheduled",
        "change_implementation",
    }
    assert codes <= set(notification_events_for(agent))


# Webhooks


def test_every_change_event_is_offered_to_webhook_subscriptions():
    assert {f"change.{event}" for event in wf.EVENTS} <= set(webhook_events())


def test_a_subscription_receives_the_changes_it_asked_for(
    requested, requester, change_manager, agent, outbox
):
    events = ["submitted", "approved", "rejected", "scheduled", "implemented", "failed"]
    webhook_subscription_create(
        actor=None,
        name="Release bot",
        url="https://bot.example/hooks",
        events=[f"change.{e}" for e in events],
    )
    record = record_transition(record=requested, actor=requester, to=wf.SUBMITTED)
    record = _settle(_at(record, wf.AWAITING_APPROVAL), "approve")
    record = record_transition(record=record, actor=change_manager, to=wf.SCHEDULED)
    record = record_transition(record=record, actor=agent, to=wf.IMPLEMENTING, maintenance=False)
    record = record_transition(record=record, actor=agent, to=wf.REVIEW)
    other = _at(change_create(actor=agent, title="Second"), wf.AWAITING_APPROVAL)
    _settle(other, "reject")
    third = _at(change_create(actor=agent, title="Third"), wf.IMPLEMENTING)
    record_transition(record=third, actor=agent, to=wf.FAILED, reason="Disk full")

    bodies = [
        json.loads(delivery.message.payload["body"])
        for delivery in WebhookDelivery.objects.select_related("message").order_by("pk")
    ]
    assert [body["event"] for body in bodies] == [f"change.{e}" for e in (
        "submitted", "approved", "scheduled", "implemented", "rejected", "failed"
    )]  # fmt: skip
    first = bodies[0]["record"]
    assert (first["number"], first["type"], first["status"]) == (requested.number, "normal", "submitted")
    assert bodies[2]["record"]["planned_start"] is not None
    assert bodies[4]["record"]["number"] == other.number
    assert bodies[5]["record"]["status"] == "failed"
    assert OutboxMessage.objects.filter(channel=OutboxMessage.Channel.WEBHOOK).count() == 6
