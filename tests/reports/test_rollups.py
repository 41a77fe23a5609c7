"""The rollup answers what the facts answer: built from scratch, moved by refreshes, in any time zone."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType

from servicedesk.models import FactRollup, RecordFact, SupportGroup
from servicedesk.reporting import rollups
from servicedesk.reporting.measures import Query, Scope
from servicedesk.reporting.rollups import EVENTS, fact_fields, rollup_apply, rollup_rebuild, tally

from ..factories import SupportGroupFactory

pytestmark = pytest.mark.django_db

START = datetime(2026, 1, 1, tzinfo=UTC)
KINDS = ("incident", "request")


def _facts(groups, count=300, seed=7):
    rng = random.Random(seed)
    content_type = ContentType.objects.get_for_model(SupportGroup)
    rows = []
    for number in range(count):
        opened = START + timedelta(minutes=rng.randrange(0, 90 * 24 * 60))
        resolved = opened + timedelta(minutes=rng.randrange(5, 9 * 24 * 60)) if rng.random() < 0.8 else None
        rated = resolved + timedelta(hours=rng.randrange(1, 48)) if resolved and rng.random() < 0.4 else None
        rows.append(
            RecordFact(
                content_type=content_type,
                object_id=number + 1,
                kind=rng.choice(KINDS),
                number=f"INC{number:07}",
                status="resolved" if resolved else "new",
                is_open=resolved is None,
                opened_at=opened,
                responded_at=opened + timedelta(minutes=rng.randrange(1, 600)),
                resolved_at=resolved,
                ended_at=resolved,
                support_group_id=rng.choice(groups).pk,
                assignee_id=None,
                priority=rng.randrange(1, 6),
                channel=rng.choice(["portal", "email", "phone"]),
                merged=rng.random() < 0.05,
                first_contact=rng.random() < 0.3,
                training_need=rng.random() < 0.2,
                reopen_count=rng.choice([0, 0, 0, 1]),
                escalations_functional=rng.choice([0, 0, 1]),
                escalations_hierarchical=rng.choice([0, 0, 0, 2]),
                resolution_wall=(resolved - opened).total_seconds() if resolved else None,
                resolution_business=rng.randrange(0, 90000) if resolved and rng.random() < 0.7 else None,
                response_wall=60.0,
                response_business=30.0,
                response_sla=rng.choice(["", "met", "breached"]),
                resolution_sla=rng.choice(["", "met", "breached"]) if resolved else "running",
                csat_score=rng.randrange(1, 6) if rated else None,
                csat_commented=bool(rated) and rng.random() < 0.5,
                rated_at=rated,
                refreshed_at=START,
            )
        )
    return RecordFact.objects.bulk_create(rows)


@pytest.fixture
def groups(db):
    return [SupportGroupFactory(name=f"Group {n}") for n in range(3)]


def _both(query, event):
    """The same tally from the rollup and from the facts."""
    assert rollups.uses_rollup(query)
    from_rollup = tally(query, KINDS, event)
    everything_but = query.but(scope=Scope(groups=tuple(SupportGroup.objects.values_list("pk", flat=True))))
    assert not rollups.uses_rollup(everything_but)  # a scope short of everything reads the facts
    from_facts = tally(everything_but, KINDS, event)
    return _rounded(from_rollup), _rounded(from_facts)


def _rounded(found):
    return {key: {name: round(value, 3) for name, value in values.items()} for key, values in found.items()}


QUERIES = [
    ("period", "month", "UTC"),
    ("period", "day", "Asia/Shanghai"),
    ("period", "week", "America/New_York"),
    ("group", "day", "Europe/London"),
    ("channel", "day", "Asia/Shanghai"),
    ("priority", "day", "UTC"),
    ("kind", "day", "America/New_York"),
]


@pytest.mark.parametrize(("by", "bucket", "zone"), QUERIES)
@pytest.mark.parametrize("event", list(EVENTS))
def test_the_rollup_answers_what_the_facts_answer(groups, by, bucket, zone, event):
    _facts(groups)
    rollup_rebuild()
    query = Query(
        start=datetime(2026, 1, 10, 7, 30, tzinfo=UTC)
        if by != "period"
        else datetime(2026, 1, 1, tzinfo=UTC),
        end=datetime(2026, 3, 20, 16, 45, tzinfo=UTC) if by != "period" else datetime(2026, 4, 1, tzinfo=UTC),
        time_zone=zone,
        scope=Scope(everything=True),
        by=by,
        bucket=bucket,
    )
    if by == "period":  # a reader's period starts and ends at their midnight
        from zoneinfo import ZoneInfo

        local = ZoneInfo(zone)
        query = query.but(start=datetime(2026, 1, 1, tzinfo=local), end=datetime(2026, 4, 1, tzinfo=local))

    from_rollup, from_facts = _both(query, event)

    assert from_rollup == from_facts
    assert sum(values["n"] for values in from_facts.values()) > 0


def test_refreshes_move_the_rollup_by_the_difference_they_make(groups):
    facts = _facts(groups, count=120, seed=11)
    rollup_apply([], [_row(fact) for fact in facts])
    rng = random.Random(3)
    changed = rng.sample(facts, 40)
    before = [_row(fact) for fact in changed]
    for fact in changed:  # late changes: resolved another day, moved to another group, rated
        fact.resolved_at = (fact.resolved_at or fact.opened_at) + timedelta(days=rng.randrange(1, 20))
        fact.ended_at = fact.resolved_at
        fact.support_group_id = rng.choice(groups).pk
        fact.csat_score, fact.rated_at = 5, fact.resolved_at + timedelta(hours=1)
    RecordFact.objects.bulk_update(
        changed, ["resolved_at", "ended_at", "support_group_id", "csat_score", "rated_at"]
    )
    rollup_apply(before, [_row(fact) for fact in changed])
    rollup_apply(before[:0], [])  # nothing changed: nothing written
    incremental = _snapshot()

    rollup_rebuild()

    assert incremental == _snapshot()


def test_a_half_hour_time_zone_reads_the_facts(groups):
    query = Query(
        start=datetime(2026, 1, 1, tzinfo=UTC),
        end=datetime(2026, 2, 1, tzinfo=UTC),
        time_zone="Asia/Kolkata",
        scope=Scope(everything=True),
    )
    assert not rollups.uses_rollup(query)
    assert rollups.uses_rollup(query.but(time_zone="Asia/Shanghai"))
    assert not rollups.uses_rollup(query.but(priorities=(1,)))  # a filter reads the facts


def _row(fact):
    return {name: getattr(fact, name) for name in fact_fields()}


def _snapshot():
    fields = [f.name for f in FactRollup._meta.concrete_fields if f.name != "id"]
    return {
        tuple(row[name] for name in ("grain", "start", "event", "kind", "dim", "value")): {
            name: round(row[name], 3) for name in fields if name not in rollups.KEY_FIELDS
        }
        for row in FactRollup.objects.values(*fields)
        if any(row[name] for name in fields if name not in rollups.KEY_FIELDS)
    }
