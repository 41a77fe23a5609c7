"""Who is told of what happens to a problem (e-mail through the kernel's rules) and what integrations
receive (webhooks `problem.*`), driven through the real services."""

import json

import pytest

from problems import workflow as wf
from problems.models import KnownError
from problems.notifications import PROBLEM_EVENTS
from problems.services import known_error_publish, problem_create, workaround_apply
from servicedesk.models import OutboxMessage, WebhookDelivery
from servicedesk.notifications.registry import notification_event
from servicedesk.records.transitions import record_transition
from servicedesk.services.notifications import notification_events_for, notification_preferences_set
from servicedesk.services.webhooks import webhook_events, webhook_subscription_create

from ..incidents.test_notifications import Outbox


@pytest.fixture
def outbox(db):
    return Outbox()


@pytest.fixture
def owned(problem_manager, service, incident, outbox):
    """A problem the problem manager owns, with the requester's incident linked; outbox marked after."""
    record = problem_create(
        actor=problem_manager, title="VPN drops", service=service, assignee=problem_manager,
        incidents=[incident],
    )  # fmt: skip
    outbox.mark()
    return record


def _known(record, actor):
    return record_transition(
        record=record, actor=actor, to=wf.KNOWN_ERROR, root_cause="Idle timer", workaround="Reconnect."
    )


def test_a_new_problem_tells_its_group_but_not_who_raised_it(problem_manager, service, agent, group_manager,
                                                             requester, outbox):  # fmt: skip
    record = problem_create(actor=agent, title="VPN drops", service=service)

    assert outbox.sent() == [("problem_created", "manager@example.com")]
    message = outbox.messages()[0]
    assert record.number in message.payload["subject"]
    assert "New problem: VPN drops" in message.payload["subject"]
    assert "raised for Service Desk" in message.payload["text"]
    assert f"/records/{record.number}/" in message.payload["text"]


def test_a_new_problem_with_an_assignee_tells_them_too(problem_manager, agent, service, outbox):
    problem_create(actor=agent, title="VPN drops", service=service, assignee=problem_manager)

    assert [recipient for _event, recipient in outbox.sent()] == ["pm@example.com", "manager@example.com"]


@pytest.mark.parametrize(
    ("to", "inputs"),
    [(wf.INVESTIGATING, {}), (wf.KNOWN_ERROR, {"root_cause": "Idle timer", "no_workaround": True})],
)
def test_a_status_change_tells_the_assignee(owned, agent, outbox, to, inputs):
    record = record_transition(record=owned, actor=agent, to=to, **inputs)

    assert outbox.sent() == [("problem_status_changed", "pm@example.com")]
    text = outbox.messages()[0].payload["text"]
    assert f"moved {record.number} to “{record.get_status_display()}”" in text


def test_a_cancellation_tells_the_assignee_with_the_reason(problem_manager, agent, service, outbox):
    record = problem_create(actor=problem_manager, title="VPN drops", service=service, assignee=agent)
    outbox.mark()

    record_transition(record=record, actor=problem_manager, to=wf.CANCELLED, reason="A duplicate of PRB7")

    assert outbox.sent() == [("problem_status_changed", "agent@example.com")]
    assert "A duplicate of PRB7" in outbox.messages()[0].payload["text"]


def test_nobody_is_told_of_their_own_change(owned, problem_manager, outbox):
    record_transition(record=owned, actor=problem_manager, to=wf.INVESTIGATING)

    assert outbox.sent() == []


def test_publishing_the_known_error_tells_the_assignee_where_it_is_published(problem_manager, agent, service,
                                                                            outbox):  # fmt: skip
    record = _known(problem_create(actor=agent, title="VPN drops", service=service, assignee=agent), agent)
    outbox.mark()

    known_error_publish(actor=problem_manager, problem=record, status=KnownError.Status.DRAFT)
    assert outbox.sent() == []  # a draft is nobody's news
    known_error_publish(actor=problem_manager, problem=record, status=KnownError.Status.PORTAL)

    assert outbox.sent() == [("known_error_published", "agent@example.com")]
    message = outbox.messages()[0]
    assert "Known error published: VPN drops" in message.payload["subject"]
    assert "published to agents and to the portal" in message.payload["text"]
    assert "published to agents and to the portal" in message.payload["html"]


def test_applying_the_workaround_tells_the_problems_assignee(owned, problem_manager, agent, incident,
                                                            outbox):  # fmt: skip
    known = _known(owned, problem_manager)
    entry = known_error_publish(actor=problem_manager, problem=known, status=KnownError.Status.AGENTS)
    outbox.mark()

    workaround_apply(actor=agent, incident=incident, known_error=entry, resolve=True)

    problem_mail = [(event, to) for event, to in outbox.sent() if event == "workaround_applied"]
    assert problem_mail == [("workaround_applied", "pm@example.com")]
    text = next(m for m in outbox.messages() if m.event == "notification.workaround_applied").payload["text"]
    assert f"applied to {incident.number}, which it resolved" in text


def test_resolving_tells_the_incidents_requesters_about_their_incident_not_the_problem(
    owned, problem_manager, requester, incident, outbox
):
    investigating = record_transition(record=owned, actor=problem_manager, to=wf.INVESTIGATING)
    outbox.mark()

    record_transition(record=investigating, actor=problem_manager, to=wf.RESOLVED, fix="Gateway patched")

    fixed = [m for m in outbox.messages() if m.event == "notification.problem_fixed"]
    assert [m.recipient for m in fixed] == ["requester@example.com"]
    payload = fixed[0].payload
    assert incident.number in payload["subject"]
    assert "The cause was fixed: VPN drops every hour" in payload["subject"]
    assert f"The cause of your incident {incident.number} was found and fixed" in payload["text"]
    assert f"/records/{incident.number}/" in payload["text"]
    for part in ("subject", "text", "html"):
        assert owned.number not in payload[part]
        assert "Gateway patched" not in payload[part]
    assert fixed[0].object_id == incident.pk


def test_requesters_are_not_told_when_the_desk_says_so(owned, problem_manager, outbox, settings):
    settings.ITSM_PROBLEM_TELL_REQUESTERS = False
    investigating = record_transition(record=owned, actor=problem_manager, to=wf.INVESTIGATING)

    record_transition(record=investigating, actor=problem_manager, to=wf.RESOLVED, fix="Gateway patched")

    assert not [event for event, _to in outbox.sent() if event == "problem_fixed"]


def test_a_requester_who_turned_it_off_is_not_told(owned, problem_manager, requester, outbox):
    notification_preferences_set(user=requester, enabled_events=[])
    investigating = record_transition(record=owned, actor=problem_manager, to=wf.INVESTIGATING)

    record_transition(record=investigating, actor=problem_manager, to=wf.RESOLVED, fix="Gateway patched")

    assert not [event for event, _to in outbox.sent() if event == "problem_fixed"]


def test_requesters_may_subscribe_only_to_the_fix_of_their_incidents_cause(requester, agent):
    codes = {event.code for event in PROBLEM_EVENTS}

    assert codes & set(notification_events_for(requester)) == {"problem_fixed"}
    assert codes <= set(notification_events_for(agent))
    assert all(notification_event(code).app == "problems" for code in codes)


def test_a_requester_hears_of_no_problem_event(owned, problem_manager, requester, outbox):
    record = _known(owned, problem_manager)
    known_error_publish(actor=problem_manager, problem=record, status=KnownError.Status.PORTAL)

    assert requester.email not in {to for _event, to in outbox.sent()}


# Webhooks


def test_problem_events_are_offered_to_webhook_subscriptions():
    events = set(webhook_events())

    assert {
        "problem.created",
        "problem.investigating",
        "problem.known_error",
        "problem.resolved",
        "problem.closed",
        "problem.known_error_published",
        "problem.workaround_applied",
    } <= events


def test_a_subscription_receives_the_problem_as_its_api_shows_it(problem_manager, service, outbox):
    webhook_subscription_create(
        actor=None, name="Monitoring", url="https://monitoring.example/hooks",
        events=["problem.created", "problem.investigating"],
    )  # fmt: skip

    record = problem_create(actor=problem_manager, title="VPN drops", service=service)
    record_transition(record=record, actor=problem_manager, to=wf.INVESTIGATING)

    bodies = [
        json.loads(delivery.message.payload["body"])
        for delivery in WebhookDelivery.objects.select_related("message").order_by("pk")
    ]
    assert [body["event"] for body in bodies] == ["problem.created", "problem.investigating"]
    assert bodies[0]["record"]["number"] == record.number
    assert bodies[1]["record"]["status"] == "investigating"
    assert OutboxMessage.objects.filter(channel=OutboxMessage.Channel.WEBHOOK).count() == 2
