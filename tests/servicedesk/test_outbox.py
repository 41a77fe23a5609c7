import io
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from servicedesk.models import OutboxMessage
from servicedesk.services import outbox
from servicedesk.tasks import outbox_deliver_many_task, outbox_deliver_task

from ..factories import OrganisationFactory

EMAIL = {"subject": "[INC0000001] Received", "text": "We have it.", "headers": {"Message-ID": "<m1@itsm>"}}


def enqueue(**kwargs):
    fields = {
        "channel": OutboxMessage.Channel.EMAIL,
        "event": "incident.created",
        "recipient": "alice@example.com",
        "payload": EMAIL,
        **kwargs,
    }
    with transaction.atomic():
        return outbox.outbox_enqueue(**fields)


@pytest.fixture
def failing_transport(monkeypatch):
    calls = []

    def send(message):
        calls.append(message.pk)
        raise ConnectionRefusedError("mail server refused the connection")

    monkeypatch.setitem(outbox._TRANSPORTS, OutboxMessage.Channel.EMAIL, send)
    return calls


@pytest.fixture
def broker_down(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(outbox_deliver_task, "delay", refuse)


@pytest.mark.django_db(transaction=True)
def test_enqueue_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        outbox.outbox_enqueue(channel="email", event="x", recipient="a@example.com", payload=EMAIL)


@pytest.mark.django_db
def test_a_message_is_delivered_once_its_transaction_commits(django_capture_on_commit_callbacks):
    record = OrganisationFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = enqueue(record=record)
    assert mail.outbox == []  # nothing leaves before the commit

    for callback in callbacks:
        callback()

    message.refresh_from_db()
    assert message.state == OutboxMessage.State.DELIVERED
    assert message.attempts == 1
    assert message.delivered_at is not None
    assert message.object_id == record.pk
    [sent] = mail.outbox
    assert sent.to == ["alice@example.com"]
    assert sent.subject == "[INC0000001] Received"
    assert sent.extra_headers["Message-ID"] == "<m1@itsm>"


@pytest.mark.django_db
def test_html_goes_as_an_alternative(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(payload={**EMAIL, "html": "<p>We have it.</p>"})

    [sent] = mail.outbox
    assert sent.alternatives[0][1] == "text/html"


@pytest.mark.django_db
def test_a_rolled_back_change_leaves_no_message(django_capture_on_commit_callbacks):
    def change_that_fails():
        with transaction.atomic():
            outbox.outbox_enqueue(channel="email", event="x", recipient="a@example.com", payload=EMAIL)
            raise ZeroDivisionError

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ZeroDivisionError):
        change_that_fails()

    assert not OutboxMessage.objects.exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_with_the_broker_down_the_change_commits_and_the_sweep_delivers_once(
    broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue()
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.PENDING
    assert mail.outbox == []

    assert outbox.outbox_sweep() == 0  # within the grace period the task still has the message
    later = timezone.now() + timedelta(seconds=settings.ITSM_OUTBOX_SWEEP_GRACE_SECONDS + 1)
    assert outbox.outbox_sweep(now=later) == 1
    assert outbox.outbox_sweep(now=later) == 0

    message.refresh_from_db()
    assert message.state == OutboxMessage.State.DELIVERED
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_delivering_twice_sends_once(broker_down, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue()

    assert outbox.outbox_deliver(message_id=message.pk) == OutboxMessage.State.DELIVERED
    assert outbox.outbox_deliver(message_id=message.pk) is None
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_failure_is_retried_with_back_off_then_the_message_is_dead(
    settings, broker_down, failing_transport, django_capture_on_commit_callbacks
):
    settings.ITSM_OUTBOX_MAX_ATTEMPTS = 3
    settings.ITSM_OUTBOX_BACKOFF_SECONDS = 30
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue()
    start = timezone.now()

    assert outbox.outbox_deliver(message_id=message.pk, now=start) == OutboxMessage.State.PENDING
    message.refresh_from_db()
    assert message.attempts == 1
    assert message.next_attempt_at == start + timedelta(seconds=30)
    assert "ConnectionRefusedError: mail server refused" in message.last_error

    assert outbox.outbox_sweep(now=start + timedelta(seconds=29)) == 0  # not due yet
    assert outbox.outbox_sweep(now=start + timedelta(seconds=30)) == 1
    message.refresh_from_db()
    assert message.attempts == 2
    assert message.next_attempt_at == start + timedelta(seconds=30 + 60)

    assert outbox.outbox_sweep(now=start + timedelta(seconds=90)) == 1
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.DEAD
    assert message.attempts == 3
    assert outbox.outbox_sweep(now=start + timedelta(days=1)) == 0
    assert len(failing_transport) == 3


@pytest.mark.parametrize(("attempts", "seconds"), [(1, 30), (2, 60), (3, 120), (20, 6 * 3600)])
def test_back_off_doubles_up_to_a_cap(settings, attempts, seconds):
    settings.ITSM_OUTBOX_BACKOFF_SECONDS = 30
    settings.ITSM_OUTBOX_BACKOFF_MAX_SECONDS = 6 * 3600
    assert outbox.backoff(attempts) == timedelta(seconds=seconds)


@pytest.mark.django_db
def test_the_sweep_reads_due_messages_in_batches(broker_down, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(5):
            enqueue(recipient=f"person{n}@example.com")
    later = timezone.now() + timedelta(hours=1)

    assert outbox.outbox_sweep(now=later, batch_size=2) == 5
    assert sorted(m.to[0] for m in mail.outbox) == [f"person{n}@example.com" for n in range(5)]


def test_the_sweep_runs_on_the_beat_schedule():
    from itsm.settings import base

    assert base.CELERY_BEAT_SCHEDULE["servicedesk.outbox_sweep"]["task"] == "servicedesk.outbox_sweep"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_the_message_after_the_commit(celery_worker):
    message = enqueue()

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        message.refresh_from_db()
        if message.state == OutboxMessage.State.DELIVERED:
            break
        time.sleep(0.1)
    assert message.state == OutboxMessage.State.DELIVERED
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]


@pytest.mark.django_db
def test_an_administrator_retries_a_dead_message_from_the_admin(
    client, administrator, settings, broker_down, failing_transport, django_capture_on_commit_callbacks
):
    settings.ITSM_OUTBOX_MAX_ATTEMPTS = 1
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue()
        delivered = enqueue(recipient="bob@example.com")
    outbox.outbox_deliver(message_id=message.pk)
    OutboxMessage.objects.filter(pk=delivered.pk).update(state="delivered", delivered_at=timezone.now())
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.DEAD
    client.force_login(administrator)

    response = client.post(
        "/admin/servicedesk/outboxmessage/",
        {"action": "retry", "_selected_action": [message.pk, delivered.pk]},
    )

    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.state, message.attempts) == (OutboxMessage.State.PENDING, 0)
    assert OutboxMessage.objects.get(pk=delivered.pk).state == OutboxMessage.State.DELIVERED
    assert client.get("/admin/servicedesk/outboxmessage/").status_code == 200


@pytest.mark.django_db
def test_nothing_is_written_while_silenced_and_writing_resumes_after(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), outbox.outbox_silenced():
        assert enqueue() is None
    assert not OutboxMessage.objects.exists()
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue()
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.DELIVERED
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_demo_history_notifies_nobody():
    from django.core.management import call_command

    call_command("seed_demo", stdout=io.StringIO())

    assert not OutboxMessage.objects.exists()
    assert mail.outbox == []


def _enqueue_together(count: int) -> list[OutboxMessage]:
    messages = [
        outbox.outbox_message(
            OutboxMessage.Channel.EMAIL, "incident.sla_warning", f"agent{index}@example.com", EMAIL
        )
        for index in range(count)
    ]
    with transaction.atomic():
        return outbox.outbox_enqueue_many(messages=messages)


@pytest.mark.django_db
def test_messages_written_together_go_to_the_workers_in_chunks_and_are_all_delivered(
    monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(outbox, "TASK_CHUNK", 2)
    queued = []
    run = outbox_deliver_many_task.delay
    monkeypatch.setattr(outbox_deliver_many_task, "delay", lambda ids: (queued.append(ids), run(ids))[1])
    monkeypatch.setattr(outbox_deliver_task, "delay", lambda pk: pytest.fail("one task per message"))
    with django_capture_on_commit_callbacks(execute=True):
        messages = _enqueue_together(5)
    assert queued == [[m.pk for m in messages[:2]], [m.pk for m in messages[2:4]], [messages[4].pk]]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(f"agent{index}@example.com" for index in range(5))
    assert set(OutboxMessage.objects.values_list("state", "attempts")) == {(OutboxMessage.State.DELIVERED, 1)}


@pytest.mark.django_db
def test_with_the_broker_down_messages_written_together_wait_for_the_sweep(
    monkeypatch, broker_down, django_capture_on_commit_callbacks
):
    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(outbox_deliver_many_task, "delay", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        messages = _enqueue_together(3)
    assert mail.outbox == []
    assert outbox.outbox_sweep(now=timezone.now() + timedelta(hours=1)) == 3
    assert len(mail.outbox) == 3
    assert not OutboxMessage.objects.exclude(pk__in=[m.pk for m in messages]).exists()
