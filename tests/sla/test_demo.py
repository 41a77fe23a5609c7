"""The demo desk's SLA: its policies, its stopwatch service, and clocks in every state."""

from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.management import call_command

from cmdb.models import ConfigurationItem
from incidents.models import Incident
from servicedesk.models import (
    OutboxMessage,
    SLAClock,
    SLAFiring,
    SLAPolicy,
    SLASegment,
    SupportGroup,
    TimelineEntry,
)
from servicedesk.sla.status import Level, records_sla

OPEN = ["new", "assigned", "in_progress", "on_hold"]


@pytest.fixture
def seeded(db, settings):
    settings.ITSM_DEMO_RECORDS = 80
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_the_demo_has_a_critical_a_business_hours_and_a_stopwatch_policy(seeded):
    policies = {p.name: p for p in SLAPolicy.objects.select_related("calendar")}

    critical, office = policies["24×7 critical"], policies["Business hours"]
    stopwatch = policies["Demo: 2-minute response"]
    assert (critical.order, critical.calendar.name, critical.priorities) == (10, "24×7", [1, 2])
    assert (office.order, office.calendar.name, office.pause_on) == (
        100,
        "Shanghai business hours",
        ["on_hold:requester"],
    )
    assert sorted(office.warning_percents) == [50, 75, 90]
    assert {r.percent for r in critical.escalations.filter(metric="resolution")} == {75, 100, 150}
    assert stopwatch.services_only
    assert {t.target.total_seconds() for t in stopwatch.targets.all()} == {120}
    assert stopwatch.targets.count() == 5
    rule = stopwatch.escalations.get()
    assert (rule.metric, rule.percent) == ("response", 100)
    assert rule.notify_group_manager
    assert rule.reassign_to_escalation_group
    assert "SLA demo ready (3 new policies)." in seeded


def test_the_stopwatch_service_escalates_to_a_managed_group_with_a_next_tier(seeded):
    service = ConfigurationItem.objects.select_related("sla_policy", "support_group").get(
        name="Demo: SLA stopwatch"
    )

    assert service.sla_policy.name == "Demo: 2-minute response"
    assert service.support_group.manager is not None
    assert service.support_group.escalation_group is not None
    # The groups that work records (not the vendors, nor the changes demo's boards, which approve).
    # The catalogue's fulfilment groups (issue 19) do tasks, not SLA-escalated records.
    tiers = SupportGroup.objects.exclude(tier="vendor").exclude(
        name__in=["Change Advisory Board", "Emergency CAB", "IT procurement", "Desktop support"]
    )
    assert not tiers.filter(escalation_group=None).exists()


def test_open_demo_records_show_every_sla_level(seeded):
    records = list(Incident.objects.filter(status__in=OPEN))
    statuses = records_sla(records)

    levels = {status.level for clocks in statuses.values() for status in clocks}
    assert {Level.OK, Level.WARNING, Level.BREACHED, Level.PAUSED} <= levels
    assert Incident.objects.filter(status__in=OPEN).exclude(sla_due_at=None).exists()


def test_the_demo_clocks_follow_the_back_dated_history(seeded):
    incident_type = ContentType.objects.get_for_model(Incident)
    clocks = SLAClock.objects.filter(content_type=incident_type)
    records = {record.pk: record for record in Incident.objects.all()}

    assert {"running", "paused", "met", "breached", "cancelled"} <= set(
        clocks.values_list("state", flat=True)
    )
    # Clocks start when their record was filed (up to two months ago), not when the seeding ran, and a
    # response clock stops at the first response.
    for clock in clocks:
        record = records[clock.object_id]
        assert clock.started_at == record.created_at, record.number
        if clock.metric == "response" and clock.state in ("met", "breached"):
            assert clock.stopped_at == record.responded_at, record.number
    assert SLASegment.objects.filter(kind="paused").exists()


def test_the_sweep_fired_warnings_breaches_and_escalations_onto_the_timelines(seeded):
    events = set(TimelineEntry.objects.filter(kind="system").values_list("data__event", flat=True))
    thresholds = set(SLAFiring.objects.values_list("threshold", flat=True))

    assert {"sla_warning", "sla_breached", "sla_escalated"} <= events
    assert "breach" in thresholds
    assert any(t.startswith("warning:") for t in thresholds)
    assert any(t.startswith("rule:") for t in thresholds)


def test_the_demo_sla_notifies_nobody(seeded):
    assert not OutboxMessage.objects.exists()
    assert mail.outbox == []


def test_running_seed_demo_again_adds_no_clocks_or_firings(seeded):
    before = (SLAClock.objects.count(), SLAFiring.objects.count(), SLAPolicy.objects.count())

    out = StringIO()
    call_command("seed_demo", stdout=out)

    assert (SLAClock.objects.count(), SLAFiring.objects.count(), SLAPolicy.objects.count()) == before
    assert "SLA demo ready (0 new policies)." in out.getvalue()
