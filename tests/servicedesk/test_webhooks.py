"""Webhooks: publishing, the signed HTTP transport, retries and dead letters, redelivery (issue 5).

The receiver is a real HTTP server on 127.0.0.1 in a thread; it verifies each signature with
`webhook_verify` and answers from a scripted list of status codes.
"""

import json
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from servicedesk.errors import Conflict, PermissionDenied
from servicedesk.kinds import record_kinds
from servicedesk.models import AuditEvent, OutboxMessage, WebhookAttempt, WebhookDelivery
from servicedesk.records.links import link_events
from servicedesk.services.outbox import outbox_deliver, outbox_silenced, outbox_sweep
from servicedesk.services.webhooks import (
    SUBSCRIPTION_INACTIVE,
    webhook_events,
    webhook_redeliver,
    webhook_secret_rotate,
    webhook_signature,
    webhook_signature_header,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_update,
    webhook_verify,
    webhooks_publish,
)
from tests.kernelkind.records import CHORE_KIND
from tests.kernelkind.services import chore_create

from ..factories import OrganisationFactory


@dataclass
class Received:
    method: str
    path: str
    headers: dict
    body: bytes
    verified: bool


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        receiver = self.server.receiver
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        signature = self.headers.get("X-ITSM-Signature")
        verified = webhook_verify(receiver.secret, signature, body)
        receiver.requests.append(Received("POST", self.path, self.headers, body, verified))
        time.sleep(receiver.delay)
        status = receiver.statuses.pop(0) if receiver.statuses else 200
        answer = json.dumps({"status": status}).encode()
        try:
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", f"{receiver.url}elsewhere")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
        except OSError:  # the client gave up (the timeout test)
            pass

    def do_GET(self):  # a followed redirect would turn into a GET
        self.server.receiver.requests.append(Received("GET", self.path, self.headers, b"", False))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


class Receiver:
    """A webhook receiver on 127.0.0.1: `statuses` answers the requests in turn (then 200)."""

    def __init__(self):
        self.secret = ""
        self.statuses: list[int] = []
        self.requests: list[Received] = []
        self.delay = 0.0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.receiver = self
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def subscribe(self, events, **kwargs):
        subscription, self.secret = webhook_subscription_create(
            actor=None, name="Receiver", url=self.url, events=events, **kwargs
        )
        return subscription


@pytest.fixture
def receiver():
    receiver = Receiver()
    receiver.thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def publish(event="chore.created", record=None, **kwargs):
    with transaction.atomic():
        return webhooks_publish(event=event, record=record or OrganisationFactory(), **kwargs)


def attempts(delivery):
    return list(WebhookAttempt.objects.filter(delivery=delivery).order_by("id"))


# Events and publishing


def test_the_events_are_every_kind_event_once_sorted():
    events = webhook_events()

    assert events == sorted(set(events))
    assert {"chore.created", "chore.started", "chore.finished", "chore.dropped", "chore.sla_breached"} <= set(
        events
    )
    assert {event.split(".")[0] for event in events} == {kind.code for kind in record_kinds() if kind.events}
    declared = {f"{kind.code}.{event}" for kind in record_kinds() for event in kind.events}
    assert set(events) == declared | set(link_events())
    assert {"chore.linked", "chore.unlinked"} <= set(link_events())  # the chore's link types publish these


@pytest.mark.django_db
def test_publish_writes_a_delivery_only_for_active_subscriptions_to_the_event(receiver):
    wanted = receiver.subscribe(["chore.created", "chore.finished"])
    receiver.subscribe(["chore.finished"])
    receiver.subscribe(["chore.created"], is_active=False)

    [delivery] = publish("chore.created")

    assert delivery.subscription == wanted
    assert delivery.message.channel == OutboxMessage.Channel.WEBHOOK
    assert delivery.message.recipient == receiver.url
    assert delivery.message.event_id == delivery.event_id
    assert WebhookDelivery.objects.count() == 1


@pytest.mark.django_db
def test_the_body_holds_the_event_the_actor_and_the_record_as_the_api_shows_it(receiver, requester):
    first = receiver.subscribe(["chore.created"])
    second = receiver.subscribe(["chore.created", "chore.started"])

    record = chore_create(actor=requester, title="Printer on fire")

    deliveries = list(WebhookDelivery.objects.select_related("message").order_by("subscription_id"))
    assert [d.subscription for d in deliveries] == [first, second]
    assert deliveries[0].event_id == deliveries[1].event_id
    raw = deliveries[0].message.payload["body"]
    assert deliveries[1].message.payload["body"] == raw  # serialised once: the same bytes for everyone
    body = json.loads(raw)
    assert list(body) == ["id", "event", "occurred_at", "actor", "data", "record"]
    assert body["id"] == str(deliveries[0].event_id)
    assert body["event"] == "chore.created"
    assert body["actor"] == {"id": requester.pk, "username": requester.username}
    shown = json.loads(json.dumps(CHORE_KIND.represent(record), default=str))
    assert body["record"]["number"] == record.number == shown["number"]
    assert body["record"] == shown
    assert " " not in raw.split('"record"')[0]  # compact separators


@pytest.mark.django_db
def test_nothing_is_published_without_subscribers_or_when_silenced(receiver):
    assert publish("chore.created") == []
    receiver.subscribe(["chore.created"])

    with outbox_silenced():
        assert publish("chore.created") == []

    assert not OutboxMessage.objects.exists()


# Signatures

BODY = b'{"id":"1","event":"chore.created"}'


def test_a_signed_body_verifies():
    header = webhook_signature_header("whsec_x", BODY)

    assert webhook_verify("whsec_x", header, BODY)
    assert webhook_verify("whsec_x", header, BODY.decode())


def test_the_signature_is_hmac_sha256_over_the_timestamp_and_body():
    header = webhook_signature_header("whsec_x", BODY, timestamp=1700000000)

    assert header == f"t=1700000000,v1={webhook_signature('whsec_x', 1700000000, BODY)}"
    assert webhook_signature("whsec_x", 1700000000, BODY) != webhook_signature("whsec_x", 1700000001, BODY)


@pytest.mark.parametrize(
    ("secret", "header", "body"),
    [
        ("whsec_other", None, BODY),
        ("whsec_x", None, BODY.replace(b"created", b"resolved")),
        ("whsec_x", "t=1700000000,v1=0000", BODY),
        ("whsec_x", "", BODY),
        ("whsec_x", "v1=abc", BODY),
        ("whsec_x", "t=soon,v1=abc", BODY),
        ("", None, BODY),
    ],
    ids=["wrong-secret", "tampered-body", "bad-signature", "empty", "no-time", "bad-time", "no-secret"],
)
def test_a_wrong_signature_does_not_verify(secret, header, body):
    if header is None:
        header = webhook_signature_header("whsec_x", BODY)

    assert not webhook_verify(secret, header, body)


def test_an_old_signature_does_not_verify():
    old = int(time.time()) - 301
    header = webhook_signature_header("whsec_x", BODY, timestamp=old)

    assert not webhook_verify("whsec_x", header, BODY)
    assert webhook_verify("whsec_x", header, BODY, tolerance=400)
    assert webhook_verify("whsec_x", header, BODY, now=old + 10)


# The transport


@pytest.mark.django_db(transaction=True)
def test_acceptance_a_receiver_failing_twice_gets_the_third_attempt_and_the_log_shows_all(
    receiver, requester
):
    subscription = receiver.subscribe(["chore.created", "chore.finished"])
    receiver.statuses = [500, 500, 200]

    # The first attempt is made by the task queued when the change commits.
    record = chore_create(actor=requester, title="VPN is down")

    delivery = WebhookDelivery.objects.select_related("message").get(subscription=subscription)
    assert delivery.message.state == OutboxMessage.State.PENDING
    # The attempt was recorded although the transport raised inside outbox_deliver's transaction.
    assert [a.status_code for a in attempts(delivery)] == [500]
    later = timezone.now() + timedelta(seconds=31)
    outbox_sweep(now=timezone.now())  # within the back-off: not sent again yet
    assert len(receiver.requests) == 1
    outbox_sweep(now=later)
    assert len(receiver.requests) == 2
    outbox_sweep(now=later + timedelta(seconds=61))

    assert len(receiver.requests) == 3
    assert all(request.verified for request in receiver.requests)
    assert {request.headers["X-ITSM-Event-Id"] for request in receiver.requests} == {str(delivery.event_id)}
    assert {request.headers["X-ITSM-Delivery"] for request in receiver.requests} == {str(delivery.pk)}
    assert {request.body for request in receiver.requests} == {delivery.message.payload["body"].encode()}
    first = receiver.requests[0]
    assert first.headers["X-ITSM-Event"] == "chore.created"
    assert first.headers["Content-Type"] == "application/json"
    assert first.headers["User-Agent"] == "ITSM-Webhooks/1"
    assert json.loads(first.body)["record"]["number"] == record.number
    log = attempts(delivery)
    assert [a.status_code for a in log] == [500, 500, 200]
    assert [bool(a.error) for a in log] == [True, True, False]
    assert all(a.duration_ms >= 0 for a in log)
    assert json.loads(log[2].response_excerpt) == {"status": 200}
    delivery.message.refresh_from_db()
    assert delivery.message.state == OutboxMessage.State.DELIVERED
    assert delivery.message.attempts == 3


@pytest.mark.django_db
def test_a_receiver_that_keeps_failing_makes_a_dead_letter_with_the_last_error(settings, receiver):
    settings.ITSM_OUTBOX_MAX_ATTEMPTS = 3
    receiver.subscribe(["chore.created"])
    receiver.statuses = [500, 503, 502]
    [delivery] = publish()

    states = [outbox_deliver(message_id=delivery.message_id) for _ in range(3)]

    assert states == ["pending", "pending", "dead"]
    assert outbox_deliver(message_id=delivery.message_id) is None
    assert [a.status_code for a in attempts(delivery)] == [500, 503, 502]
    delivery.message.refresh_from_db()
    assert delivery.message.last_error == "WebhookDeliveryFailed: HTTP 502 Bad Gateway"
    assert len(receiver.requests) == 3


@pytest.mark.django_db
def test_a_slow_receiver_times_out_and_is_retried(settings, receiver):
    settings.ITSM_WEBHOOK_TIMEOUT_SECONDS = 0.2
    receiver.delay = 1.0
    receiver.subscribe(["chore.created"])
    [delivery] = publish()

    started = time.monotonic()
    assert outbox_deliver(message_id=delivery.message_id) == OutboxMessage.State.PENDING

    assert time.monotonic() - started < 0.9
    [attempt] = attempts(delivery)
    assert attempt.status_code is None
    assert "timed out" in attempt.error
    assert attempt.duration_ms < 900


@pytest.mark.django_db
def test_a_redirect_is_not_followed_and_counts_as_a_failure(receiver):
    receiver.subscribe(["chore.created"])
    receiver.statuses = [302]
    [delivery] = publish()

    assert outbox_deliver(message_id=delivery.message_id) == OutboxMessage.State.PENDING

    assert [request.method for request in receiver.requests] == ["POST"]
    [attempt] = attempts(delivery)
    assert attempt.status_code == 302
    assert "redirects are not followed" in attempt.error


@pytest.mark.django_db
def test_an_unreachable_receiver_is_a_failed_attempt(receiver):
    receiver.subscribe(["chore.created"])
    receiver.server.server_close()  # nothing listens on the port any more
    [delivery] = publish()

    assert outbox_deliver(message_id=delivery.message_id) == OutboxMessage.State.PENDING

    [attempt] = attempts(delivery)
    assert attempt.status_code is None
    assert attempt.error


@pytest.mark.django_db
def test_a_url_that_is_not_http_is_never_called(receiver):
    subscription = receiver.subscribe(["chore.created"])
    [delivery] = publish()
    type(subscription).objects.filter(pk=subscription.pk).update(url="file:///etc/passwd")

    assert outbox_deliver(message_id=delivery.message_id) == OutboxMessage.State.PENDING

    [attempt] = attempts(delivery)
    assert attempt.error == "Only http:// and https:// URLs receive webhooks."


@pytest.mark.django_db
def test_a_deactivated_subscription_is_not_sent_and_the_log_says_why(receiver):
    subscription = receiver.subscribe(["chore.created"])
    [delivery] = publish()
    webhook_subscription_update(actor=None, subscription=subscription, is_active=False)

    assert outbox_deliver(message_id=delivery.message_id) == OutboxMessage.State.DELIVERED

    assert receiver.requests == []
    [attempt] = attempts(delivery)
    assert (attempt.status_code, attempt.error) == (None, SUBSCRIPTION_INACTIVE)


@pytest.mark.django_db
def test_retries_go_to_the_current_url_signed_with_the_current_secret(receiver):
    subscription = receiver.subscribe(["chore.created"])
    [delivery] = publish()
    receiver.secret = webhook_secret_rotate(actor=None, subscription=subscription)

    outbox_deliver(message_id=delivery.message_id)

    assert [request.verified for request in receiver.requests] == [True]


@pytest.mark.django_db
def test_deleting_a_subscription_kills_its_pending_messages(receiver):
    subscription = receiver.subscribe(["chore.created"])
    [delivery] = publish()
    message_id = delivery.message_id

    webhook_subscription_delete(actor=None, subscription=subscription)

    message = OutboxMessage.objects.get(pk=message_id)
    assert (message.state, message.last_error) == (OutboxMessage.State.DEAD, "Subscription deleted.")
    assert outbox_deliver(message_id=message_id) is None
    assert receiver.requests == []


# Redelivery


@pytest.mark.django_db
def test_redelivery_sends_the_same_event_again_as_a_new_delivery(receiver, administrator):
    receiver.subscribe(["chore.created"])
    [delivery] = publish()
    outbox_deliver(message_id=delivery.message_id)

    with transaction.atomic():
        again = webhook_redeliver(actor=administrator, delivery=delivery)
    outbox_deliver(message_id=again.message_id)

    assert again.pk != delivery.pk
    assert again.redelivery_of == delivery
    assert again.event_id == delivery.event_id
    assert again.message.event_id == delivery.event_id
    assert again.message.object_id == delivery.message.object_id
    first, second = receiver.requests
    assert first.body == second.body
    assert second.verified
    assert second.headers["X-ITSM-Event-Id"] == str(delivery.event_id)
    assert second.headers["X-ITSM-Delivery"] == str(again.pk)
    assert AuditEvent.objects.filter(action="webhook_delivery.redelivered", object_id=str(again.pk)).exists()


@pytest.mark.django_db
def test_a_dead_delivery_can_be_redelivered_a_pending_one_cannot(receiver):
    receiver.subscribe(["chore.created"])
    [delivery] = publish()

    with pytest.raises(Conflict) as pending:
        webhook_redeliver(actor=None, delivery=delivery)
    OutboxMessage.objects.filter(pk=delivery.message_id).update(state=OutboxMessage.State.DEAD)
    again = webhook_redeliver(actor=None, delivery=delivery)

    assert pending.value.code == "webhook_delivery_pending"
    assert again.message.state == OutboxMessage.State.PENDING


@pytest.mark.django_db
def test_redelivery_to_an_inactive_subscription_is_refused(receiver):
    subscription = receiver.subscribe(["chore.created"])
    [delivery] = publish()
    outbox_deliver(message_id=delivery.message_id)
    webhook_subscription_update(actor=None, subscription=subscription, is_active=False)

    with pytest.raises(Conflict) as refused:
        webhook_redeliver(actor=None, delivery=delivery)

    assert refused.value.code == "webhook_subscription_inactive"


# Subscriptions


@pytest.mark.django_db
def test_a_subscription_gets_a_secret_that_is_stored_encrypted_and_never_audited(administrator):
    subscription, secret = webhook_subscription_create(
        actor=administrator, name="CRM", url="https://crm.example/hooks", events=["chore.created"]
    )

    assert secret.startswith("whsec_")
    assert len(secret) > 40
    subscription.refresh_from_db()
    assert subscription.secret == secret
    assert subscription.created_by == administrator
    rotated = webhook_secret_rotate(actor=administrator, subscription=subscription)
    assert rotated != secret
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", "data"))
    assert [a for a, _d in actions if a.startswith("webhook")] == [
        "webhook_subscription.created",
        "webhook_subscription.secret_rotated",
    ]
    assert secret not in str(actions)
    assert rotated not in str(actions)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"url": "ftp://files.example/hooks"}, {"url"}),
        ({"url": "file:///etc/passwd"}, {"url"}),
        ({"url": "not a url"}, {"url"}),
        ({"events": ["chore.exploded"]}, {"events"}),
        ({"events": []}, {"events"}),
        ({"events": [3]}, {"events"}),
        ({"url": "gopher://x", "events": ["nope"], "name": ""}, {"url", "events", "name"}),
    ],
)
def test_a_subscription_needs_an_http_url_and_known_events(fields, errors):
    values = {"name": "CRM", "url": "https://crm.example/hooks", "events": ["chore.created"], **fields}

    with pytest.raises(ValidationError) as refused:
        webhook_subscription_create(actor=None, **values)

    assert set(refused.value.message_dict) == errors


@pytest.mark.django_db
def test_an_update_is_validated_and_audited_with_the_changes(administrator):
    subscription, _secret = webhook_subscription_create(
        actor=None, name="CRM", url="https://crm.example/hooks", events=["chore.created"]
    )

    with pytest.raises(ValidationError):
        webhook_subscription_update(actor=administrator, subscription=subscription, url="ftp://x.example")
    subscription.refresh_from_db()
    webhook_subscription_update(
        actor=administrator, subscription=subscription, events=["chore.finished", "chore.finished"]
    )

    subscription.refresh_from_db()
    assert subscription.url == "https://crm.example/hooks"
    assert subscription.events == ["chore.finished"]
    event = AuditEvent.objects.get(action="webhook_subscription.updated")
    assert event.data["changes"]["events"] == {"from": ["chore.created"], "to": ["chore.finished"]}


@pytest.mark.django_db
def test_only_administrators_manage_subscriptions(agent):
    with pytest.raises(PermissionDenied):
        webhook_subscription_create(
            actor=agent, name="CRM", url="https://crm.example/hooks", events=["chore.created"]
        )
