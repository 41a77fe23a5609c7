"""SLA in the agent workspace: the queue's order, badges, filters and tab; the record page's clocks and
ledger; SLA events on the timeline; the duration words."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents import workflow as wf
from incidents.models import Incident
from servicedesk.models import SupportGroup
from servicedesk.sla.sweep import sla_sweep
from servicedesk.templatetags.sla import duration

from ..factories import SupportGroupFactory
from ..incidents.factories import BusinessServiceFactory, IncidentFactory
from ..incidents.helpers import drive_to
from .conftest import make_policy

QUEUE = reverse("incidents:queue")
NOW = timezone.now().replace(microsecond=0)


def page(record):
    return reverse("record", args=[record.number])


def filed(requester, service, *, ago: timedelta, title="Down"):
    with time_machine.travel(NOW - ago, tick=False):
        return services.incident_create(actor=requester, title=title, service=service)


@pytest.fixture
def desk(policy, requester, agent, service):
    """Records whose clocks are breached, warned, fine, paused, and one without clocks, swept at NOW."""
    records = {
        "ok": filed(requester, service, ago=timedelta(minutes=5), title="Fine"),
        "warning": filed(requester, service, ago=timedelta(minutes=40), title="Amber"),
        "breached": filed(requester, service, ago=timedelta(hours=2), title="Late"),
        "paused": filed(requester, service, ago=timedelta(minutes=10), title="Waiting"),
        "none": IncidentFactory(title="No clocks", status="new"),
    }
    with time_machine.travel(NOW - timedelta(minutes=9), tick=False):
        record = drive_to(records["paused"], wf.IN_PROGRESS, agent=agent)
        services.incident_transition(record=record, actor=agent, to=wf.ON_HOLD, hold_reason="requester")
    with time_machine.travel(NOW, tick=False):
        sla_sweep()
    return records


def queue_numbers(response) -> list[str]:
    return [record.number for record in response.context["page"]]


def test_the_queue_puts_the_most_urgent_sla_first(client, agent, desk):
    client.force_login(agent)
    with time_machine.travel(NOW, tick=False):
        response = client.get(QUEUE, {"view": "open"})

    assert queue_numbers(response)[:3] == [desk[name].number for name in ("breached", "warning", "ok")]
    assert set(queue_numbers(response)[3:]) == {desk["paused"].number, desk["none"].number}


def test_queue_rows_show_time_left_in_the_colour_of_their_level(client, agent, desk):
    client.force_login(agent)
    with time_machine.travel(NOW, tick=False):
        body = client.get(QUEUE, {"view": "open"}).content.decode()

    assert 'data-sla-level="breached"' in body
    assert "text-bg-danger" in body
    assert 'data-sla-level="warning"' in body
    assert "text-bg-warning" in body
    assert 'data-sla-level="ok"' in body
    assert "text-bg-success" in body
    assert 'data-sla-level="paused"' in body
    assert "text-bg-secondary" in body
    assert "1 h overdue" in body  # the breached response clock, due an hour ago
    assert "20 min left" in body  # the amber one: 40 of its 60 minutes used
    assert "67 % of the 1 h target" in body  # the percentage in the tooltip


def test_a_finished_record_shows_its_met_clocks_muted_with_a_check(client, agent, policy, requester, service):
    record = filed(requester, service, ago=timedelta(minutes=30))
    with time_machine.travel(NOW - timedelta(minutes=20), tick=False):
        drive_to(record, wf.RESOLVED, agent=agent)
    client.force_login(agent)
    body = client.get(QUEUE, {"view": "all"}).content.decode()

    assert 'data-sla-level="met"' in body
    assert "bi-check-circle" in body


def test_breaching_soon_lists_open_records_due_within_the_hour(client, agent, desk):
    client.force_login(agent)
    with time_machine.travel(NOW, tick=False):
        response = client.get(QUEUE, {"view": "breaching"})

    assert queue_numbers(response) == [desk["warning"].number, desk["ok"].number]
    assert 'data-testid="tab-breaching"' in response.content.decode()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"sla_breached": "true"}, {"breached"}),
        ({"sla_breached": "false"}, {"ok", "warning", "paused", "none"}),
        ({"sla_breaching_within": "30"}, {"warning"}),
        ({"sla_breaching_within": "60"}, {"warning", "ok"}),
        ({"sla_breaching_within": "0"}, set()),
    ],
)
def test_queue_sla_filters(client, agent, desk, params, expected):
    client.force_login(agent)
    with time_machine.travel(NOW, tick=False):
        response = client.get(QUEUE, {"view": "open", **params})

    assert set(queue_numbers(response)) == {desk[name].number for name in expected}


def test_a_negative_sla_window_is_reported_not_ignored(client, agent, desk):
    client.force_login(agent)
    with time_machine.travel(NOW, tick=False):
        response = client.get(QUEUE, {"view": "open", "sla_breaching_within": "-5"})

    assert response.status_code == 400
    assert queue_numbers(response) == []
    assert [label for label, _errors in response.context["filter_errors"]] == ["SLA due within (minutes)"]


def test_the_queue_reads_the_clocks_of_two_calendars_in_constant_queries(
    client, agent, always, office, requester, django_assert_max_num_queries
):
    make_policy(always, name="Round the clock", order=1, kinds=["incident"], priorities=[1, 2, 3])
    make_policy(office, name="Office hours", order=2)
    vip = BusinessServiceFactory(name="Trading")
    client.force_login(agent)
    counts = []
    for rows in (3, 30):
        for index in range(Incident.objects.count(), rows):
            services.incident_create(
                actor=agent, requester=requester, title=f"R{index}", service=vip, impact=1 + index % 3
            )
        client.get(QUEUE, {"view": "all"})  # warm the session and the content types
        with django_assert_max_num_queries(17) as queries:
            response = client.get(QUEUE, {"view": "all", "per_page": "50"})
        counts.append(len(queries))
        assert len(response.context["page"]) == rows
        assert {s.clock.policy.name for r in response.context["page"] for s in r.sla_clocks} == {
            "Round the clock",
            "Office hours",
        }
    assert counts[0] == counts[1]


# The record page


def test_the_record_page_shows_each_clock_and_its_ledger_in_words(client, agent, policy, requester, service):
    record = filed(requester, service, ago=timedelta(hours=4))
    with time_machine.travel(NOW - timedelta(hours=3, minutes=30), tick=False):
        record = drive_to(record, wf.IN_PROGRESS, agent=agent)
    with time_machine.travel(NOW - timedelta(hours=2, minutes=40), tick=False):
        services.incident_transition(record=record, actor=agent, to=wf.ON_HOLD, hold_reason="requester")
    with time_machine.travel(NOW - timedelta(minutes=30), tick=False):
        record.refresh_from_db()
        services.incident_transition(record=record, actor=agent, to=wf.IN_PROGRESS)
        record.refresh_from_db()
        services.incident_update(record=record, actor=agent, impact=1, urgency=2)
    client.force_login(agent)
    with time_machine.travel(NOW, tick=False):
        body = client.get(page(record)).content.decode()

    assert 'data-testid="sla-panel"' in body
    assert body.count('data-testid="sla-clock"') == 2
    assert "Standard · P2" in body
    assert "Running 1 h 20 min" in body  # filed, then worked until the hold
    assert "Paused 2 h 10 min: On hold: waiting for the requester" in body
    assert "Re-targeted: priority P4 → P2" in body
    assert "Stopped: met (the record was answered)" in body
    assert "Running 0 s" not in body  # the resume the re-target closed at once
    assert "Running 30 min" in body


def test_a_record_without_clocks_says_no_sla_applies(client, agent):
    record = IncidentFactory()
    client.force_login(agent)
    body = client.get(page(record)).content.decode()

    assert "No SLA applies to this record." in body


def test_the_timeline_tells_sla_warnings_breaches_and_escalations_in_words(
    client, agent, escalating, requester, service, support_group
):
    tier2 = SupportGroupFactory(name="Second line")
    SupportGroup.objects.filter(pk=support_group.pk).update(escalation_group=tier2)
    record = filed(requester, service, ago=timedelta(hours=9))
    for hours in (8, 4, 2):  # the response clock's breach, then the resolution's warnings
        with time_machine.travel(NOW - timedelta(hours=hours), tick=False):
            sla_sweep()
    with time_machine.travel(NOW, tick=False):
        sla_sweep()
    client.force_login(agent)
    with time_machine.travel(NOW, tick=False):
        body = client.get(page(record)).content.decode()

    assert "Response SLA breached" in body
    assert "Resolution SLA warning at 50 %" in body
    assert "Resolution SLA warning at 75 %" in body
    assert "Resolution SLA breached" in body
    assert "Escalated at 100 % of the resolution target: reassigned to Second line" in body
    assert "Escalated at 100 % of the response target: 1 person notified" in body


def test_the_portal_timeline_shows_no_sla_events(client, policy, requester, service):
    record = filed(requester, service, ago=timedelta(hours=2))
    with time_machine.travel(NOW, tick=False):
        sla_sweep()
    client.force_login(requester)
    body = client.get(page(record)).content.decode()

    assert "SLA breached" not in body
    assert 'data-testid="sla-panel"' not in body
    assert 'data-testid="sla-badge"' not in body


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0, "0 s"),
        (45, "45 s"),
        (90, "1 min 30 s"),
        (7800, "2 h 10 min"),
        (7805, "2 h 10 min"),
        (3600, "1 h"),
        (273600, "3 d 4 h"),
        (-4200, "1 h 10 min"),
        (172800 + 300, "2 d"),
        (None, ""),
    ],
)
def test_duration_words(seconds, words):
    assert duration(seconds) == words
