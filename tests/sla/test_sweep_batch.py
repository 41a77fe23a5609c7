"""The sweep checks a batch of clocks in bulk: a constant number of statements whatever the batch's size,
each threshold still fired once, and one broken record never costing the others their firings."""

from datetime import timedelta

import pytest
from django.db import connection

from incidents.services import escalation
from servicedesk.models import (
    OutboxMessage,
    SLAClock,
    SLAFiring,
    TimelineEntry,
    WebhookDelivery,
    WebhookSubscription,
)
from servicedesk.sla.sweep import RETRY_AFTER

from .conftest import clocks_of, firings, sweep_at
from .test_sweep import T, _breaks_announcing, _concurrent_sweeps, file_at, mails, system_events

MINUTES = timedelta(minutes=1)
# Statements of one batch, whatever its size (37 at 50 clocks): lock the clocks, the policies (targets,
# rules, organisations), the calendar, the records; the breaches' ledger points, the firings, the timeline
# entries; what the e-mail and webhook bodies read (the records' relations, the group's agents and their
# permissions, opt-outs, templates), the outbox messages and deliveries; the clocks' update; savepoints.
BATCH_STATEMENTS = 40


@pytest.fixture
def hook(db):
    return WebhookSubscription.objects.create(
        name="Chat", url="https://hooks.example/sla", events=["incident.sla_warning", "incident.sla_breached"]
    )


@pytest.mark.parametrize("count", [1, 50])
def test_a_batch_runs_the_same_statements_whatever_its_size(
    policy, requester, service, hook, count, django_assert_max_num_queries
):
    records = [file_at(T, requester, service) for _ in range(count)]
    breaching = records[: (count + 1) // 2]
    for record in breaching:  # half of them past the response target: a breach, stamped and told
        SLAClock.objects.filter(object_id=record.pk, metric="response").update(
            next_check_at=T + 30 * MINUTES, running_since=T - 50 * MINUTES
        )

    with django_assert_max_num_queries(BATCH_STATEMENTS):
        assert sweep_at(T + 50 * MINUTES, batch_size=100) == count

    for record in records:
        expected = [("response", "warning:50", 1), ("response", "warning:75", 1)]
        if record in breaching:
            expected.append(("response", "breach", 1))
        assert firings(record) == expected
        event = "sla_breached" if record in breaching else "sla_warning"
        assert len(system_events(record, event)) == 1
        assert (
            OutboxMessage.objects.filter(
                object_id=record.pk, channel=OutboxMessage.Channel.WEBHOOK, event=f"incident.{event}"
            ).count()
            == 1
        )
        assert mails(record, event)
    clock = clocks_of(breaching[0])["response"]
    assert clock.breached_at == T + 10 * MINUTES
    assert clock.ledger.filter(kind="breached").count() == 1
    assert clock.next_check_at is None
    deliveries = WebhookDelivery.objects.filter(subscription=hook)
    assert deliveries.count() == count
    assert deliveries.values("event_id").distinct().count() == count  # one event each, as published alone


def test_a_broken_record_in_a_batch_costs_the_others_nothing(policy, requester, service, monkeypatch):
    records = [file_at(T, requester, service) for _ in range(5)]
    broken = records[2]
    original = _breaks_announcing(monkeypatch, broken)
    assert sweep_at(T + 30 * MINUTES, batch_size=10) == 4

    for record in records:
        if record is broken:
            continue
        assert firings(record) == [("response", "warning:50", 1)]
        assert len(system_events(record, "sla_warning")) == 1  # the rolled-back bulk attempt left nothing
        assert len(mails(record, "sla_warning")) == 2
    assert firings(broken) == []
    assert not TimelineEntry.objects.filter(object_id=broken.pk, kind=TimelineEntry.Kind.SYSTEM).exists()
    assert clocks_of(broken)["response"].next_check_at == T + 30 * MINUTES + RETRY_AFTER

    monkeypatch.setattr(escalation, "_public_data", original)
    assert sweep_at(T + 30 * MINUTES + RETRY_AFTER, batch_size=10) == 1
    assert firings(broken) == [("response", "warning:50", 1)]
    assert SLAFiring.objects.count() == 5


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_bulk_sweeps_fire_each_warning_exactly_once(policy, requester, service):
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED needs PostgreSQL")
    records = [file_at(T, requester, service) for _ in range(30)]

    checked = _concurrent_sweeps(T + 50 * MINUTES, batch_size=4, hold_first_check=True, hold="check_batch")

    assert checked["a"] > 0
    assert checked["b"] > 0
    assert checked["a"] + checked["b"] == 30
    for record in records:
        assert firings(record) == [("response", "warning:50", 1), ("response", "warning:75", 1)]
        assert len(system_events(record, "sla_warning")) == 1
        assert len(mails(record, "sla_warning")) == 2
    assert not SLAClock.objects.filter(next_check_at__lte=T + 50 * MINUTES).exists()
