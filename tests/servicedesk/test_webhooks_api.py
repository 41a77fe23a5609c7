"""`/api/v1/webhooks/` and the webhook admin: secrets shown once, permissions, errors, the delivery log."""

import re
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from servicedesk.models import (
    AuditEvent,
    IdempotencyKey,
    OutboxMessage,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from servicedesk.services.webhooks import webhook_events, webhook_subscription_create, webhooks_publish

from ..api.helpers import assert_error
from ..factories import OrganisationFactory

WEBHOOKS = "/api/v1/webhooks/"
NEW = {"name": "CRM", "url": "https://crm.example/hooks", "events": ["incident.created", "incident.resolved"]}


@pytest.fixture
def subscription(db):
    subscription, _secret = webhook_subscription_create(
        actor=None, name="Chat", url="https://chat.example/in", events=["incident.created"]
    )
    return subscription


def deliver_log(subscription, count: int) -> list[WebhookDelivery]:
    """`count` events to `subscription`, each with two attempts (500 then 200); the last is dead."""
    deliveries = []
    record = OrganisationFactory()
    for _ in range(count):
        with transaction.atomic():
            published = webhooks_publish(event="incident.created", record=record)
        [delivery] = [d for d in published if d.subscription_id == subscription.pk]
        now = timezone.now()
        for offset, code in enumerate((500, 200)):
            WebhookAttempt.objects.create(
                delivery=delivery,
                attempted_at=now + timedelta(seconds=offset),
                duration_ms=10 + offset,
                status_code=code,
                error="HTTP 500 Internal Server Error" if code == 500 else "",
            )
        OutboxMessage.objects.filter(pk=delivery.message_id).update(
            state=OutboxMessage.State.DELIVERED, delivered_at=now, attempts=2
        )
        deliveries.append(delivery)
    OutboxMessage.objects.filter(pk=deliveries[-1].message_id).update(
        state=OutboxMessage.State.DEAD, delivered_at=None, last_error="x"
    )
    return deliveries


# Subscriptions


def test_the_secret_is_in_the_create_answer_only(api_as, administrator):
    client = api_as(administrator)

    created = client.post(WEBHOOKS, NEW, format="json")

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert body["events"] == NEW["events"]
    assert body["is_active"] is True
    assert body["created_by"]["username"] == administrator.username
    assert WebhookSubscription.objects.get(pk=body["id"]).secret == body["secret"]
    shown = client.get(f"{WEBHOOKS}{body['id']}/")
    listed = client.get(WEBHOOKS)
    assert shown.status_code == listed.status_code == 200
    assert "secret" not in shown.json()
    assert [row["id"] for row in listed.json()["results"]] == [body["id"]]
    assert body["secret"] not in (shown.content + listed.content).decode()


def test_a_replayed_create_creates_nothing_and_does_not_show_the_secret_again(api_as, administrator):
    client = api_as(administrator)

    first = client.post(WEBHOOKS, NEW, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(WEBHOOKS, NEW, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == again.status_code == 201
    assert first.json()["secret"].startswith("whsec_")
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == {**first.json(), "secret": None}
    assert WebhookSubscription.objects.count() == 1
    assert first.json()["secret"] not in str(IdempotencyKey.objects.values_list("response_body", flat=True))


def test_rotating_the_secret_answers_the_new_one(api_as, administrator, subscription):
    old = subscription.secret

    rotated = api_as(administrator).post(f"{WEBHOOKS}{subscription.pk}/rotate-secret/")

    assert rotated.status_code == 200
    subscription.refresh_from_db()
    assert rotated.json()["secret"] == subscription.secret != old
    assert AuditEvent.objects.filter(action="webhook_subscription.secret_rotated").count() == 1


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({**NEW, "url": "ftp://files.example/hooks"}, {"url"}),
        ({**NEW, "events": ["incident.exploded"]}, {"events"}),
        ({**NEW, "events": []}, {"events"}),
        ({**NEW, "url": "gopher://x", "events": ["x.y"]}, {"url", "events"}),
        ({"name": "CRM"}, {"url", "events"}),
        ({**NEW, "events": "incident.created"}, {"events"}),
        ({**NEW, "url": "http://["}, {"url"}),
        # A NUL anywhere in a JSON body is refused by the parser, before the fields are validated.
        ({**NEW, "name": "a\x00b", "events": [{"a": 1}]}, {"name"}),
        ({**NEW, "events": [{"a": 1}]}, {"events"}),
    ],
)
def test_bad_input_is_a_field_error(api_as, administrator, body, fields):
    refused = api_as(administrator).post(WEBHOOKS, body, format="json")

    error = assert_error(refused, 400, "validation_error")
    assert set(error["fields"]) == fields
    assert not WebhookSubscription.objects.exists()


def test_an_update_changes_the_fields_and_refuses_an_ftp_url(api_as, administrator, subscription):
    client = api_as(administrator)

    changed = client.patch(
        f"{WEBHOOKS}{subscription.pk}/", {"events": ["request.created"], "is_active": False}, format="json"
    )
    refused = client.patch(f"{WEBHOOKS}{subscription.pk}/", {"url": "ftp://x.example/"}, format="json")

    assert changed.status_code == 200
    assert (changed.json()["events"], changed.json()["is_active"]) == (["request.created"], False)
    assert "secret" not in changed.json()
    assert set(assert_error(refused, 400)["fields"]) == {"url"}
    subscription.refresh_from_db()
    assert subscription.url == "https://chat.example/in"


def test_deleting_a_subscription(api_as, administrator, subscription):
    deleted = api_as(administrator).delete(f"{WEBHOOKS}{subscription.pk}/")

    assert deleted.status_code == 204
    assert not WebhookSubscription.objects.exists()
    assert AuditEvent.objects.filter(action="webhook_subscription.deleted").exists()


def test_the_events_are_listed(api_as, administrator):
    listed = api_as(administrator).get(f"{WEBHOOKS}events/")

    assert listed.status_code == 200
    assert listed.json() == webhook_events()


def test_the_list_filters_by_words_and_active(api_as, administrator, subscription):
    webhook_subscription_create(
        actor=None, name="Tickets", url="https://crm.example/", events=["incident.created"], is_active=False
    )
    client = api_as(administrator)

    def names(**params):
        return [row["name"] for row in client.get(WEBHOOKS, params).json()["results"]]

    assert names() == ["Chat", "Tickets"]
    assert names(q="crm") == ["Tickets"]
    assert names(is_active="true") == ["Chat"]


# Permissions

CALLS = [
    ("get", "{base}"),
    ("post", "{base}"),
    ("get", "{base}events/"),
    ("get", "{base}{id}/"),
    ("patch", "{base}{id}/"),
    ("delete", "{base}{id}/"),
    ("post", "{base}{id}/rotate-secret/"),
    ("get", "{base}{id}/deliveries/"),
    ("post", "{base}{id}/deliveries/{delivery}/redeliver/"),
]


@pytest.mark.parametrize(("method", "url"), CALLS)
@pytest.mark.parametrize("role", ["anonymous", "requester", "agent", "group_manager"])
def test_only_administrators_may_use_webhooks(role, method, url, request, api_as, subscription):
    [delivery] = deliver_log(subscription, 1)
    client = APIClient() if role == "anonymous" else api_as(request.getfixturevalue(role))
    before = AuditEvent.objects.count()

    response = getattr(client, method)(
        url.format(base=WEBHOOKS, id=subscription.pk, delivery=delivery.pk), NEW, format="json"
    )

    assert_error(response, 401 if role == "anonymous" else 403)
    assert AuditEvent.objects.count() == before
    assert WebhookSubscription.objects.count() == 1


def test_an_unknown_subscription_or_delivery_is_not_found(api_as, administrator, subscription):
    other, _secret = webhook_subscription_create(
        actor=None, name="Other", url="https://o.example/", events=["incident.created"]
    )
    [foreign] = deliver_log(other, 1)
    client = api_as(administrator)

    assert_error(client.get(f"{WEBHOOKS}999999/"), 404, "not_found")
    assert_error(client.get(f"{WEBHOOKS}99999999999999999999999/deliveries/"), 404)
    assert_error(client.post(f"{WEBHOOKS}{subscription.pk}/deliveries/{foreign.pk}/redeliver/"), 404)
    assert_error(
        client.post(f"{WEBHOOKS}{subscription.pk}/deliveries/9999999999999999999999/redeliver/"), 404
    )


# The delivery log


def test_the_delivery_log_shows_state_codes_durations_and_attempts(api_as, administrator, subscription):
    first, dead = deliver_log(subscription, 2)

    page = api_as(administrator).get(f"{WEBHOOKS}{subscription.pk}/deliveries/")

    assert page.status_code == 200
    rows = page.json()["results"]
    assert [row["id"] for row in rows] == [dead.pk, first.pk]  # newest first
    row = rows[1]
    assert row["event"] == "incident.created"
    assert row["event_id"] == str(first.event_id)
    assert row["state"] == "delivered"
    assert (row["attempt_count"], row["last_status_code"], row["last_duration_ms"]) == (2, 200, 11)
    assert row["last_error"] == ""
    assert row["delivered_at"] is not None
    assert row["next_attempt_at"] is None
    assert [a["status_code"] for a in row["attempts"]] == [500, 200]
    assert rows[0]["state"] == "dead"


@pytest.mark.parametrize("count", [1, 12])
def test_the_delivery_log_costs_the_same_queries_whatever_its_length(
    count, api_as, administrator, subscription, django_assert_max_num_queries
):
    deliver_log(subscription, count)
    client = api_as(administrator)

    with django_assert_max_num_queries(6):
        page = client.get(f"{WEBHOOKS}{subscription.pk}/deliveries/", {"page_size": 50})

    assert len(page.json()["results"]) == count


def test_redelivering_answers_the_new_delivery(api_as, administrator, subscription):
    _first, dead = deliver_log(subscription, 2)
    client = api_as(administrator)

    again = client.post(f"{WEBHOOKS}{subscription.pk}/deliveries/{dead.pk}/redeliver/")
    pending = client.post(f"{WEBHOOKS}{subscription.pk}/deliveries/{again.json()['id']}/redeliver/")

    assert again.status_code == 201, again.content
    body = again.json()
    assert (body["event_id"], body["redelivery_of"], body["state"]) == (
        str(dead.event_id),
        dead.pk,
        "pending",
    )
    assert body["attempts"] == []
    assert_error(pending, 409, "webhook_delivery_pending")


# The admin

ADMIN = "/admin/servicedesk"


@pytest.fixture
def admin_client(client, administrator):
    client.force_login(administrator)
    return client


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_adding_in_the_admin_shows_the_secret_once(admin_client):
    form = admin_client.get(f"{ADMIN}/webhooksubscription/add/")
    added = admin_client.post(
        f"{ADMIN}/webhooksubscription/add/",
        {
            "name": "CRM",
            "url": "https://crm.example/hooks",
            "events": ["incident.created"],
            "is_active": "on",
        },
        follow=True,
    )

    assert form.status_code == 200
    assert 'type="checkbox" name="events" value="incident.resolved"' in form.content.decode()
    subscription = WebhookSubscription.objects.get()
    assert subscription.events == ["incident.created"]
    [message] = [text for text in _messages(added) if "whsec_" in text]
    assert subscription.secret in message
    assert AuditEvent.objects.filter(action="webhook_subscription.created").count() == 1
    change = admin_client.get(f"{ADMIN}/webhooksubscription/{subscription.pk}/change/")
    assert change.status_code == 200
    assert subscription.secret not in change.content.decode()
    assert not any("whsec_" in text for text in _messages(change))


def test_the_admin_refuses_an_ftp_url(admin_client):
    refused = admin_client.post(
        f"{ADMIN}/webhooksubscription/add/",
        {"name": "CRM", "url": "ftp://crm.example/hooks", "events": ["incident.created"]},
    )

    assert refused.status_code == 200
    assert "url" in refused.context["adminform"].form.errors
    assert not WebhookSubscription.objects.exists()


def test_changing_in_the_admin_goes_through_the_service(admin_client, subscription):
    changed = admin_client.post(
        f"{ADMIN}/webhooksubscription/{subscription.pk}/change/",
        {"name": "Chat", "url": "https://chat.example/v2", "events": ["incident.created", "request.created"]},
    )

    assert changed.status_code == 302
    subscription.refresh_from_db()
    assert (subscription.url, subscription.is_active) == ("https://chat.example/v2", False)
    [event] = AuditEvent.objects.filter(action="webhook_subscription.updated")
    assert set(event.data["changes"]) == {"url", "events", "is_active"}


def test_the_rotate_action_shows_the_new_secret_once(admin_client, subscription):
    old = subscription.secret

    rotated = admin_client.post(
        f"{ADMIN}/webhooksubscription/",
        {"action": "rotate_secret", "_selected_action": [subscription.pk]},
        follow=True,
    )

    subscription.refresh_from_db()
    assert subscription.secret != old
    [message] = [text for text in _messages(rotated) if "whsec_" in text]
    assert subscription.secret in message


def test_the_change_page_shows_the_delivery_log(admin_client, subscription):
    deliver_log(subscription, 2)

    page = admin_client.get(f"{ADMIN}/webhooksubscription/{subscription.pk}/change/").content.decode()

    assert "incident.created" in page
    assert "11 ms" in page
    assert f"webhookdelivery/?subscription__id__exact={subscription.pk}" in page


def test_the_delivery_admin_lists_filters_and_redelivers(admin_client, subscription):
    first, dead = deliver_log(subscription, 2)

    listed = admin_client.get(f"{ADMIN}/webhookdelivery/")
    dead_only = admin_client.get(f"{ADMIN}/webhookdelivery/", {"message__state": "dead"})
    detail = admin_client.get(f"{ADMIN}/webhookdelivery/{first.pk}/change/")
    redelivered = admin_client.post(
        f"{ADMIN}/webhookdelivery/",
        {"action": "redeliver", "_selected_action": [first.pk, dead.pk]},
        follow=True,
    )

    assert listed.status_code == detail.status_code == 200
    assert listed.context["cl"].result_count == 2
    assert [d.pk for d in dead_only.context["cl"].result_list] == [dead.pk]
    assert "HTTP 500 Internal Server Error" in detail.content.decode()
    assert re.search(r"2 deliveries will be sent again", " ".join(_messages(redelivered)))
    assert set(
        WebhookDelivery.objects.exclude(redelivery_of=None).values_list("redelivery_of", flat=True)
    ) == {
        first.pk,
        dead.pk,
    }
    assert admin_client.get(f"{ADMIN}/webhookdelivery/add/").status_code == 403


def test_the_webhook_admin_is_closed_to_agents(client, agent, subscription):
    agent.is_staff = True
    agent.save(update_fields=["is_staff"])
    client.force_login(agent)

    assert client.get(f"{ADMIN}/webhooksubscription/").status_code == 403
    assert client.get(f"{ADMIN}/webhookdelivery/").status_code == 403
