"""A broker outage delays notifications; it never loses or duplicates them (issue 5 acceptance).

The test runs its own Redis server (the real binary, on a free port) as the Celery broker so that it can
stop and restart it without disturbing other test processes: records are filed while the broker is
down, then the broker comes back, a real worker runs the outbox sweep, and every notification arrives
exactly once, even when a delivery task also turns up late.
"""

import time

import pytest
from django.core import mail
from kombu import pools

from itsm.celery import app
from servicedesk.models import OutboxMessage
from servicedesk.tasks import outbox_deliver_task, outbox_sweep_task
from tests.kernelkind.services import chore_create

from ..conftest import wait_for
from ..factories import UserFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _use_broker(url: str) -> None:
    """Point the Celery app at `url`, dropping its cached connection and producer pools."""
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None
    pools.reset()


@pytest.fixture
def private_broker(settings, redis_server):
    server = redis_server
    previous = {
        key: app.conf[key] for key in ("broker_url", "broker_connection_timeout", "task_publish_retry_policy")
    }
    _use_broker(server.url())
    app.conf.task_always_eager = False
    # Publishing to a stopped broker gives up quickly instead of retrying for long.
    app.conf.broker_connection_timeout = 1
    app.conf.task_publish_retry_policy = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1}
    # The sweep takes over at once: no grace period to wait for in a test.
    settings.ITSM_OUTBOX_SWEEP_GRACE_SECONDS = 0
    try:
        yield server
    finally:
        server.stop()
        app.conf.task_always_eager = True
        app.conf.update(previous)
        _use_broker(previous["broker_url"])


def test_records_filed_while_the_broker_is_down_are_notified_exactly_once_after_it_returns(
    private_broker, agent
):
    from celery.contrib.testing.worker import start_worker

    requesters = [
        UserFactory(username=f"caller{i}", email=f"caller{i}@example.com", language="en") for i in range(3)
    ]

    # The broker is down: filing still succeeds, and each notification waits in the outbox.
    records = [
        chore_create(actor=agent, requester=requester, title=f"Printer {i} jams")
        for i, requester in enumerate(requesters)
    ]
    assert all(record.pk for record in records)
    pending = OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING, channel="email")
    to_requesters = pending.filter(recipient__in=[r.email for r in requesters])
    assert sorted(to_requesters.values_list("recipient", flat=True)) == sorted(r.email for r in requesters)
    expected = pending.count()
    assert mail.outbox == []

    # The broker comes back; a real worker runs the sweep, and a late delivery task for every message
    # arrives as well (as after a broker restart that kept its queue): each is delivered once.
    private_broker.start()
    _use_broker(private_broker.url())
    app.control.purge()
    message_ids = list(pending.values_list("pk", flat=True))
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        outbox_sweep_task.delay()
        for message_id in message_ids:
            outbox_deliver_task.delay(message_id)
        outbox_sweep_task.delay()
        # Wait on the mailbox, not the table: the worker owns the database until it stops.
        assert wait_for(lambda: len(mail.outbox) >= expected), "the worker did not deliver within 20 s"
        time.sleep(1.5)  # the late tasks run too: they must find nothing left to send

    delivered = OutboxMessage.objects.filter(state=OutboxMessage.State.DELIVERED)
    assert delivered.count() == expected
    assert set(delivered.values_list("attempts", flat=True)) == {1}
    assert len(mail.outbox) == expected
    for requester, record in zip(requesters, records, strict=True):
        [received] = [m for m in mail.outbox if m.to == [requester.email]]
        assert f"[{record.number}]" in received.subject
