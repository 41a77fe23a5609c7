"""Keep `RecordFact` current: one row per record, worked out once so reports only aggregate.

`facts_refresh(kind, ids)` recomputes the facts of some records of a kind; `facts_refresh_due()` (the
beat task) takes, per kind, what changed since its `FactMark`: records written since, and records whose SLA
clocks moved since. It reads a few minutes before the mark (`OVERLAP`), so a transaction that committed
late is not missed; recomputing a record twice writes the same row. `facts_rebuild(kind, since, until)`
recomputes every record filed or written in a range, after a calendar edit or a restore.

The kernel fills what every record has (times, groups, people, SLA outcomes, escalations, the business
time on the record's SLA calendar); the kind's `facts` hook adds its own columns.
"""

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from servicedesk.kinds import RecordKind, record_kind, record_kinds
from servicedesk.models import FactMark, RecordFact, SLAClock, SLAFiring, SupportGroup, TimelineEntry, User
from servicedesk.sla.calendar import between
from servicedesk.sla.clocks import Context

from .rollups import fact_fields, rollup_apply

log = logging.getLogger(__name__)

BATCH = 1000
FACTS_LOCK = 7_240_118  # pg_advisory_xact_lock key of the facts' refresh
OVERLAP = timedelta(minutes=5)
# Support tiers in order: a move to a higher tier is a functional escalation.
TIER_ORDER = {"tier1": 1, "tier2": 2, "tier3": 3, "vendor": 4}
_CLOCK_OPEN = (SLAClock.State.RUNNING, SLAClock.State.PAUSED)
UPDATE_FIELDS = [
    field.name
    for field in RecordFact._meta.concrete_fields
    if field.name not in ("id", "content_type", "object_id")
]


def _outcome(clock: SLAClock | None) -> str:
    if clock is None or (clock.state == SLAClock.State.CANCELLED and clock.breached_at is None):
        return ""
    if clock.breached_at is not None or clock.state == SLAClock.State.BREACHED:
        return RecordFact.SLAOutcome.BREACHED
    if clock.state == SLAClock.State.MET:
        return RecordFact.SLAOutcome.MET
    return RecordFact.SLAOutcome.RUNNING


def _seconds(schedule, start: datetime | None, end: datetime | None) -> tuple[float | None, float | None]:
    """(business, wall) seconds from `start` to `end`; business only with a calendar."""
    if start is None or end is None or end < start:
        return None, None
    wall = (end - start).total_seconds()
    return (float(between(schedule, start, end)) if schedule is not None else None), wall


def _clocks(content_type, ids) -> dict[int, dict[str, SLAClock]]:
    out = defaultdict(dict)
    for clock in SLAClock.objects.filter(content_type=content_type, object_id__in=ids):
        out[clock.object_id][clock.metric] = clock
    return out


def _escalations(clock_ids) -> dict[int, int]:
    """Hierarchical escalations by clock: SLA rules that told a manager or the service owner."""
    counts = defaultdict(int)
    firings = SLAFiring.objects.filter(clock_id__in=clock_ids, rule__isnull=False).filter(
        Q(rule__notify_group_manager=True) | Q(rule__notify_service_owner=True)
    )
    for clock_id in firings.values_list("clock_id", flat=True):
        counts[clock_id] += 1
    return counts


def _moves(content_type, ids) -> dict[int, list[tuple]]:
    """The record's moves between support groups, oldest first: [(from id, to id), ...]."""
    out = defaultdict(list)
    entries = (
        TimelineEntry.objects.filter(
            content_type=content_type,
            object_id__in=ids,
            kind=TimelineEntry.Kind.FIELD_CHANGE,
            data__changes__has_key="support_group",
        )
        .order_by("created_at", "id")
        .values_list("object_id", "data")
    )
    for object_id, data in entries:
        change = data["changes"]["support_group"]
        if isinstance(change, dict):
            out[object_id].append((change.get("from"), change.get("to")))
    return out


def _tiers(moves: dict[int, list[tuple]]) -> dict[int, int]:
    ids = {pk for pairs in moves.values() for pair in pairs for pk in pair if pk}
    if not ids:
        return {}
    return {
        pk: TIER_ORDER.get(tier, 0)
        for pk, tier in SupportGroup.objects.filter(pk__in=ids).values_list("pk", "tier")
    }


def _people(ids) -> dict[int, tuple]:
    return {
        pk: (org, department)
        for pk, org, department in User.objects.filter(pk__in=ids).values_list(
            "pk", "organisation_id", "department"
        )
    }


def compute(kind: RecordKind, records: list, *, now: datetime | None = None) -> list[RecordFact]:
    """The facts of `records` (all of `kind`), unsaved."""
    if not records:
        return []
    now = now or timezone.now()
    content_type = ContentType.objects.get_for_model(kind.model_class())
    ids = [record.pk for record in records]
    clocks = _clocks(content_type, ids)
    hierarchical = _escalations([c.pk for by_metric in clocks.values() for c in by_metric.values()])
    moves = _moves(content_type, ids)
    tiers = _tiers(moves)
    people = _people({record.requester_id for record in records})
    extra = kind.facts(records) if kind.facts else {}
    ctx = Context.create(now)
    open_statuses = set(kind.open_statuses)
    status_field = kind.workflow.field if kind.workflow else "status"
    facts = []
    for record in records:
        own = extra.get(record.pk, {})
        by_metric = clocks.get(record.pk, {})
        response, resolution = by_metric.get("response"), by_metric.get("resolution")
        any_clock = resolution or response
        schedule = ctx.schedule(any_clock) if any_clock is not None else None
        status = getattr(record, status_field)
        is_open = status in open_statuses
        resolved_at = None if is_open else getattr(record, "resolved_at", None)
        ended_at = (
            None if is_open else (resolved_at or getattr(record, "closed_at", None) or record.updated_at)
        )
        responded_at = own.get("responded_at")
        if responded_at is None and response is not None and response.state == SLAClock.State.MET:
            responded_at = response.stopped_at
        response_business, response_wall = _seconds(schedule, record.created_at, responded_at)
        resolution_business, resolution_wall = _seconds(schedule, record.created_at, resolved_at)
        pairs = moves.get(record.pk, [])
        functional = sum(1 for old, new in pairs if old and new and tiers.get(new, 0) > tiers.get(old, 0))
        running = [c.due_at for c in by_metric.values() if c.state in _CLOCK_OPEN and c.due_at is not None]
        organisation, department = people.get(record.requester_id, (None, ""))
        fact = RecordFact(
            content_type=content_type,
            object_id=record.pk,
            kind=kind.code,
            number=record.number,
            status=status,
            is_open=is_open,
            opened_at=record.created_at,
            responded_at=responded_at,
            resolved_at=resolved_at,
            ended_at=ended_at,
            opened_group_id=(pairs[0][0] if pairs else record.support_group_id),
            support_group_id=record.support_group_id,
            assignee_id=record.assignee_id,
            requester_id=record.requester_id,
            organisation_id=organisation,
            department=department or "",
            priority=record.priority,
            transfers=len(pairs),
            escalations_functional=functional,
            escalations_hierarchical=sum(hierarchical.get(c.pk, 0) for c in by_metric.values()),
            response_business=response_business,
            response_wall=response_wall,
            resolution_business=resolution_business,
            resolution_wall=resolution_wall,
            sla_policy_id=any_clock.policy_id if any_clock is not None else None,
            response_sla=_outcome(response),
            resolution_sla=_outcome(resolution),
            sla_due_at=min(running) if running and is_open else None,
            refreshed_at=now,
        )
        for name, value in own.items():
            if name != "responded_at":
                setattr(fact, name, value)
        facts.append(fact)
    return facts


def _write(facts: list[RecordFact]) -> None:
    RecordFact.objects.bulk_create(
        facts,
        update_conflicts=True,
        unique_fields=["content_type", "object_id"],
        update_fields=UPDATE_FIELDS,
        batch_size=BATCH,
    )


def _records(kind: RecordKind, ids):
    return list(kind.model_class()._base_manager.filter(pk__in=ids, **kind.filters).order_by("pk"))


def facts_lock() -> None:
    """Refreshes of facts take turns (a transaction-level lock on PostgreSQL): each moves the rollup by
    the difference between a record's old facts and its new ones, which two at once would count twice."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FACTS_LOCK])


def facts_refresh(kind: RecordKind | str, ids, *, now: datetime | None = None) -> int:
    """Recompute the facts of the records `ids` of `kind` (those that exist and are of that kind), and
    move the rollup with them."""
    kind = record_kind(kind) if isinstance(kind, str) else kind
    ids = sorted(set(ids))
    done = 0
    for start in range(0, len(ids), BATCH):
        with transaction.atomic():
            facts_lock()
            records = _records(kind, ids[start : start + BATCH])
            new = compute(kind, records, now=now)
            fields = fact_fields()
            before = list(
                RecordFact.objects.filter(
                    content_type=ContentType.objects.get_for_model(kind.model_class()),
                    object_id__in=[record.pk for record in records],
                ).values(*fields)
            )
            _write(new)
            rollup_apply(before, [{name: getattr(fact, name) for name in fields} for fact in new])
        done += len(records)
    return done


def _dirty(kind: RecordKind, since: datetime) -> set[int]:
    model = kind.model_class()
    content_type = ContentType.objects.get_for_model(model)
    ids = set(model._base_manager.filter(updated_at__gte=since, **kind.filters).values_list("pk", flat=True))
    ids.update(
        SLAClock.objects.filter(content_type=content_type, updated_at__gte=since).values_list(
            "object_id", flat=True
        )
    )
    return ids


def facts_refresh_kind(kind: RecordKind, *, now: datetime | None = None) -> int:
    """What changed in `kind` since its mark, then the mark moved to when this run started."""
    now = now or timezone.now()
    mark = FactMark.objects.filter(kind=kind.code).first()
    if mark is None:  # the first run: every record of the kind
        ids = set(kind.model_class()._base_manager.filter(**kind.filters).values_list("pk", flat=True))
    else:
        since = mark.until - OVERLAP
        ids = _dirty(kind, since)
    done = facts_refresh(kind, ids, now=now)
    FactMark.objects.update_or_create(kind=kind.code, defaults={"until": now})
    return done


def facts_refresh_due(*, now: datetime | None = None) -> dict[str, int]:
    """Every kind's changes since its mark: the beat task."""
    return {kind.code: facts_refresh_kind(kind, now=now) for kind in record_kinds()}


def facts_rebuild(
    kind: RecordKind | str, *, since: datetime | None = None, until: datetime | None = None
) -> int:
    """Recompute the facts of the records of `kind` filed or written within [since, until)."""
    kind = record_kind(kind) if isinstance(kind, str) else kind
    rows = kind.model_class()._base_manager.filter(**kind.filters)
    if since is not None:
        rows = rows.filter(Q(created_at__gte=since) | Q(updated_at__gte=since))
    if until is not None:
        rows = rows.filter(created_at__lt=until)
    return facts_refresh(kind, rows.values_list("pk", flat=True))
