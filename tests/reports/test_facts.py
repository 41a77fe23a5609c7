"""The facts' refresh: incremental from each kind's mark, idempotent, rebuildable; and for a kind without
a `facts` hook (the test-only chore)."""

from datetime import timedelta

import pytest
import time_machine

from servicedesk.models import FactMark, RecordFact
from servicedesk.reporting.facts import facts_rebuild, facts_refresh, facts_refresh_due
from tests.kernelkind.models import Chore
from tests.kernelkind.services import chore_create

from .conftest import HOURS, at

pytestmark = pytest.mark.django_db

T = at(2026, 1, 5, 9)  # a Monday


def refresh_due(moment):
    with time_machine.travel(moment, tick=False):
        return facts_refresh_due(now=moment)


def fact_of(record) -> RecordFact:
    return RecordFact.objects.get(kind=record.kind, object_id=record.pk)


def test_the_first_run_takes_every_record_and_sets_the_mark(desk):
    first = desk.file(T)
    second = desk.file(T + HOURS)

    done = refresh_due(T + 2 * HOURS)

    assert done["incident"] == 2
    assert FactMark.objects.get(kind="incident").until == T + 2 * HOURS
    fact = fact_of(first)
    assert (fact.number, fact.is_open, fact.opened_at, fact.resolved_at) == (first.number, True, T, None)
    assert fact_of(second).opened_at == T + HOURS


def test_a_change_after_the_mark_is_picked_up_and_a_second_run_changes_nothing(desk):
    record = desk.file(T)
    untouched = desk.file(T)
    refresh_due(T + HOURS)
    before = fact_of(untouched).refreshed_at

    desk.resolve(T + 2 * HOURS, record)
    done = refresh_due(T + 3 * HOURS)

    assert done["incident"] == 1  # only what changed since the mark (less the overlap)
    fact = fact_of(record)
    assert (fact.is_open, fact.resolved_at, fact.ended_at) == (False, T + 2 * HOURS, T + 2 * HOURS)
    assert fact.resolution_wall == 2 * 3600
    assert fact_of(untouched).refreshed_at == before
    assert FactMark.objects.get(kind="incident").until == T + 3 * HOURS

    again = refresh_due(T + 4 * HOURS)

    assert again["incident"] == 0
    assert fact_of(record).refreshed_at == T + 3 * HOURS
    assert FactMark.objects.get(kind="incident").until == T + 4 * HOURS


def test_a_change_committed_just_before_the_mark_is_not_missed(desk):
    record = desk.file(T)
    refresh_due(T + HOURS)
    # A transaction that started before the run and committed after it: its rows carry an earlier time.
    desk.resolve(T + HOURS - timedelta(minutes=2), record)

    done = refresh_due(T + 2 * HOURS)

    assert done["incident"] == 1
    assert fact_of(record).is_open is False


def test_rebuild_recomputes_the_records_of_a_range(desk):
    january = desk.file(T)
    february = desk.file(at(2026, 2, 2, 9))
    refresh_due(at(2026, 2, 3))
    RecordFact.objects.update(status="stale")

    rebuilt = facts_rebuild("incident", since=at(2026, 2, 1), until=at(2026, 3, 1))

    assert rebuilt == 1
    assert fact_of(february).status == "new"
    assert fact_of(january).status == "stale"
    assert facts_rebuild("incident") == 2
    assert fact_of(january).status == "new"


def test_refreshing_twice_writes_the_same_row(desk):
    record = desk.file(T)
    desk.resolve(T + HOURS, record)
    facts_refresh("incident", [record.pk], now=T + 2 * HOURS)
    first = RecordFact.objects.filter(object_id=record.pk).values()[0]

    facts_refresh("incident", [record.pk], now=T + 2 * HOURS)

    assert RecordFact.objects.filter(object_id=record.pk).count() == 1
    assert RecordFact.objects.filter(object_id=record.pk).values()[0] == first


def test_a_request_is_not_an_incident(desk, request_type):
    request = desk.file(T, kind="request", request_type=request_type)

    assert facts_refresh("incident", [request.pk]) == 0
    assert facts_refresh("request", [request.pk]) == 1
    assert fact_of(request).kind == "request"


def test_a_kind_without_a_facts_hook_gets_the_kernels_columns(requester):
    with time_machine.travel(T, tick=False):
        chore = chore_create(actor=requester, title="Water the plants")
    Chore.objects.filter(pk=chore.pk).update(status="done", resolved_at=T + 3 * HOURS)

    assert facts_refresh("chore", [chore.pk]) == 1

    fact = RecordFact.objects.get(kind="chore", object_id=chore.pk)
    assert (fact.number, fact.is_open, fact.opened_at) == (chore.number, False, T)
    assert (fact.resolved_at, fact.ended_at, fact.resolution_wall) == (T + 3 * HOURS, T + 3 * HOURS, 3 * 3600)
    # what only a kind's hook fills keeps its default
    assert (fact.channel, fact.merged, fact.first_contact, fact.csat_score) == ("", False, False, None)
    assert fact.requester_id == requester.pk
    assert fact.organisation_id == requester.organisation_id
