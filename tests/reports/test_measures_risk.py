"""Hierarchical escalations, SLA risk now, and rebuilding the facts from the command line."""

from io import StringIO

import pytest
from django.core.management import call_command

from servicedesk.models import EscalationRule, RecordFact
from servicedesk.sla.sweep import sla_sweep

from .conftest import ask, at, refresh, run_at

pytestmark = pytest.mark.django_db

MONDAY_9 = at(2026, 1, 12, 9)


def test_an_sla_rule_that_tells_the_manager_is_a_hierarchical_escalation(policy, desk):
    EscalationRule.objects.create(policy=policy, metric="response", percent=100, notify_group_manager=True)
    late = desk.file(MONDAY_9)
    answered = desk.file(MONDAY_9)
    desk.start(at(2026, 1, 12, 9, 30), answered)
    # The response target (one business hour) passes at 10:00 for the record nobody answered.
    run_at(at(2026, 1, 12, 11), sla_sweep)
    refresh(late, answered)

    facts = {f.object_id: f for f in RecordFact.objects.filter(object_id__in=[late.pk, answered.pk])}
    assert facts[late.pk].escalations_hierarchical == 1
    assert facts[late.pk].response_sla == "breached"
    assert facts[answered.pk].escalations_hierarchical == 0
    row = ask("escalations", at(2026, 1, 1), at(2026, 2, 1), bucket="month").rows[0].values
    assert (row["opened"], row["hierarchical"], row["functional"], row["escalated"]) == (2, 1, 0, 1)


def test_sla_at_risk_counts_the_breached_and_those_due_soon(policy, desk, first_line):
    now = at(2026, 1, 12, 12)
    breached = desk.file(MONDAY_9)  # resolution due 17:00, response (09:00 + 1 h) already breached at noon
    soon = desk.file(at(2026, 1, 12, 11, 30))  # response due 12:30: within the hour
    later = desk.file(at(2026, 1, 12, 11, 45))  # response due 12:45, within the hour too
    desk.start(at(2026, 1, 12, 11, 50), later)  # answered: its next due is the resolution at 19:45 -> Tue
    run_at(now, sla_sweep)
    refresh(breached, soon, later)

    result = ask("sla_at_risk", at(2026, 1, 1), at(2026, 2, 1), by="group", now=now)

    (row,) = result.rows
    assert row.key == first_line.pk
    assert row.values == {"breached": 1, "within_1h": 1, "within_4h": 1, "open": 3}
    assert result.totals == row.values


def test_facts_rebuild_recomputes_a_range(desk):
    january = desk.file(at(2026, 1, 5, 10))
    february = desk.file(at(2026, 2, 5, 10))
    RecordFact.objects.all().delete()

    call_command("facts_rebuild", kind="incident", since="2026-02-01", stdout=StringIO())
    assert list(RecordFact.objects.values_list("object_id", flat=True)) == [february.pk]

    call_command("facts_rebuild", kind="incident", stdout=StringIO())
    assert sorted(RecordFact.objects.values_list("object_id", flat=True)) == sorted([january.pk, february.pk])
