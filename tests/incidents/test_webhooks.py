"""Incidents' and requests' webhooks: their events, and the record as their API shows it. The kernel's
publishing, signing and delivery are tested on the test-only kind (tests/servicedesk/test_webhooks.py)."""

import json

import pytest

from incidents.records import INCIDENT_KIND
from incidents.services import incident_create
from servicedesk.models import WebhookDelivery
from servicedesk.services.webhooks import webhook_events, webhook_subscription_create


def test_incidents_and_requests_publish_their_events():
    events = set(webhook_events())

    assert {"incident.created", "incident.resolved", "request.created", "request.closed"} <= events
    assert {"incident", "request"} <= {event.split(".")[0] for event in events}


@pytest.mark.django_db
def test_the_body_holds_the_incident_as_the_api_shows_it_without_what_depends_on_who_asks(requester):
    webhook_subscription_create(
        actor=None, name="CRM", url="https://crm.example/hooks", events=["incident.created"]
    )

    record = incident_create(actor=requester, title="Printer on fire", description="Smoke.")

    delivery = WebhookDelivery.objects.select_related("message").get()
    body = json.loads(delivery.message.payload["body"])
    assert body["event"] == "incident.created"
    shown = json.loads(json.dumps(INCIDENT_KIND.represent(record), default=str))
    assert body["record"]["number"] == record.number == shown["number"]
    assert set(body["record"]) == set(shown)
    assert "allowed_transitions" not in body["record"]
