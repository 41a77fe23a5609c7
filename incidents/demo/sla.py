"""The demo records' SLA clocks, rebuilt to match their back-dated history.

The desk runs every step through the services in a few seconds of real time, so the clocks those
services started count real seconds. Once the timestamps are moved back, each record's clocks are
deleted and replayed: `sla_sync` at the record's filing, then at each later moment its SLA facts changed
(status, hold, first response, priority, service), with the record as it stood then, all at the times the
timeline shows. A sweep at the present then fires the warnings, breaches and escalations the open clocks
have crossed, onto the timelines, as the beat task would have done.
"""

from contextlib import contextmanager
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from cmdb.models import ConfigurationItem
from servicedesk.configmemo import config_changed
from servicedesk.models import SLAClock, SLAPolicy, TimelineEntry
from servicedesk.services.outbox import outbox_silenced
from servicedesk.sla.clocks import Context, sla_sync
from servicedesk.sla.sweep import sla_sweep

from ..models import Incident
from ..sla import INCIDENT_SLA

# What a replayed step may change on the record (timeline field or transition data -> model field).
TRACKED = ("status", "priority", "service")
SWEEP_BUDGET = 600.0  # seconds: the demo's sweep checks every due clock in one go


@contextmanager
def policies_paused():
    """Let the desk's steps start no clocks: the ones they would start count real seconds and are
    replaced anyway. The active policies are set inactive for the block (in the seeding's transaction)
    and active again after it, without the retirement that would move their clocks."""
    active = list(SLAPolicy.objects.filter(is_active=True).values_list("pk", flat=True))
    SLAPolicy.objects.filter(pk__in=active).update(is_active=False)
    config_changed()
    try:
        yield
    finally:
        SLAPolicy.objects.filter(pk__in=active).update(is_active=True)
        config_changed()


def rebuild_demo_clocks(record_ids: list[int], *, now: datetime | None = None) -> int:
    """Replace the clocks of the records with ones replayed through their history, then sweep at `now`.
    Returns how many clocks the sweep checked."""
    content_type = ContentType.objects.get_for_model(Incident)
    SLAClock.objects.filter(content_type=content_type, object_id__in=record_ids).delete()
    Incident.objects.filter(pk__in=record_ids).update(sla_due_at=None)
    history: dict[int, list] = {}
    entries = (
        TimelineEntry.objects.filter(
            content_type=content_type,
            object_id__in=record_ids,
            kind__in=[TimelineEntry.Kind.TRANSITION, TimelineEntry.Kind.FIELD_CHANGE],
        )
        .order_by("created_at", "id")
        .values_list("object_id", "created_at", "kind", "data")
    )
    for object_id, created_at, kind, data in entries:
        history.setdefault(object_id, []).append((created_at, _changes(kind, data)))
    services = {
        s.pk: s for s in ConfigurationItem.objects.filter(ci_class__path__startswith="/business_service/")
    }
    shared = Context.create(now)  # schedules and policies read once for every replayed sync
    records = Incident.objects.filter(pk__in=record_ids).select_related("requester", "service").order_by("pk")
    for record in records:
        _replay(record, history.get(record.pk, []), services, shared)
    with outbox_silenced():
        return sla_sweep(now=now or timezone.now(), time_budget=SWEEP_BUDGET)


def _changes(kind: str, data: dict) -> dict:
    """{field: (from, to)} of one timeline entry, for the fields the clocks depend on."""
    if kind == TimelineEntry.Kind.TRANSITION:
        changes = {"status": (data.get("from"), data.get("to"))}
        if data.get("to") == "on_hold":
            changes["hold_reason"] = (None, data.get("hold_reason") or "")
        return changes
    fields = data.get("changes") or {}
    return {name: (fields[name].get("from"), fields[name].get("to")) for name in TRACKED if name in fields}


def _replay(record: Incident, steps: list, services: dict, shared: Context) -> None:
    final = {
        "status": record.status,
        "hold_reason": record.hold_reason,
        "priority": record.priority,
        "service_id": record.service_id,
        "responded_at": record.responded_at,
        "merged_into_id": record.merged_into_id,
    }
    # The record as it was filed: each tracked field's first "from", else its value now.
    for name in TRACKED:
        first = next((change[name][0] for _at, change in steps if name in change), _absent)
        if first is not _absent:
            _set(record, name, first, services)
    record.responded_at = None
    record.merged_into_id = None
    if final["merged_into_id"] is not None:
        # Merged away: its clocks are cancelled when it closed as the duplicate.
        closing = max((i for i, (_at, change) in enumerate(steps) if "status" in change), default=None)
        if closing is not None:
            at, change = steps[closing]
            merged = (at, {**change, "merged_into": (None, final["merged_into_id"])})
            steps = [*steps[:closing], merged, *steps[closing + 1 :]]
    if final["responded_at"] is not None:
        steps = sorted([*steps, (final["responded_at"], {"responded_at": (None, final["responded_at"])})],
                       key=lambda step: step[0])  # fmt: skip
    last = _sync(record, record.created_at, shared, rematch=True)
    moment = record.created_at
    for at, change in steps:
        moment = max(at, moment)
        rematch = False
        for name, (_before, after) in change.items():
            rematch |= name in ("priority", "service")
            _set(record, name, after, services)
        facts = INCIDENT_SLA.facts(record)
        if facts != last:
            last = _sync(record, moment, shared, rematch=rematch)
    # The record as it is: the last step (a merge, say) is replayed with every field it has now.
    for name, value in final.items():
        _set(record, name.removesuffix("_id"), value, services)
    if INCIDENT_SLA.facts(record) != last:
        _sync(record, moment, shared, rematch=False)


_absent = object()


def _set(record: Incident, name: str, value, services: dict) -> None:
    if name == "service":
        record.service = services.get(value) if value is not None else None
    elif name == "merged_into":
        record.merged_into_id = value
    elif name == "hold_reason":
        record.hold_reason = value or ""
    elif name == "status":
        # A copy of the record as it stood, never saved: bypass the workflow's protected field.
        record.__dict__["status"] = value
    else:
        setattr(record, name, value)


def _sync(record: Incident, at: datetime, shared: Context, *, rematch: bool):
    ctx = Context(now=at, schedules=shared.schedules, policies=shared.policies)
    sla_sync(record=record, rematch=rematch, ctx=ctx)
    return INCIDENT_SLA.facts(record)
