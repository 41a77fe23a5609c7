"""Firing a kind's transitions: one engine for every kind, from any interface.

The engine finds the transition in the kind's table (`RecordKind.workflow`), checks who fires it and
what it needs, lets the transition's effect apply the inputs, then saves the changed fields with the
version moved on, syncs the SLA clocks, and records it once: a timeline entry, an audit event, and the
kind's event (`RecordKind.publish`: notifications and webhooks).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk import concurrency
from servicedesk.errors import PermissionDenied
from servicedesk.kinds import kind_of
from servicedesk.models import TimelineEntry
from servicedesk.services.audit import audit_record
from servicedesk.services.timeline import timeline_add
from servicedesk.sla.clocks import sla_sync

from .events import publisher
from .workflow import Firing, Transition

SYSTEM = None  # the actor of automatic transitions (auto-close, children following their parent)


def transitions_allowed(*, record, user) -> list[dict]:
    """The transitions `user` may fire on `record` now, each as `/transitions` answers it."""
    return [t.describe() for t in kind_of(record).workflow.allowed(record, user)]


def record_transition(*, record, actor, to: str, expected_version: int | None = None, **inputs):
    """Move `record` to status `to` through the one transition of its kind's table that leads there.

    `inputs` carry what the transition requires or accepts. `actor=None` is the system (automatic
    transitions) and skips the permission check. Raises InvalidTransition (409, with the allowed targets)
    when none leads to `to`, PermissionDenied when the actor may not fire it, ValidationError for missing
    or bad inputs and StaleWrite when `expected_version` is out of date. Returns the saved record.
    """
    with transaction.atomic():
        record = concurrency.lock(record, expected=expected_version)
        return transition_fire(record=record, actor=actor, to=to, inputs=inputs)


def transition_fire(*, record, actor, to: str, inputs: dict):
    """`record_transition` on a record already locked by the caller's transaction."""
    return _fire(
        record=record, actor=actor, t=kind_of(record).workflow.find(record, to, actor), inputs=inputs
    )


def transition_fire_named(*, record, actor, name: str, inputs: dict | None = None):
    """Fire the transition `name` of the record's table, internal ones included (an approval settling
    approves a change), on a record the caller's transaction has locked; recorded as any other (timeline,
    audit, event). InvalidTransition when it does not lead out of the record's status."""
    return _fire(
        record=record, actor=actor, t=kind_of(record).workflow.named(record, name), inputs=inputs or {}
    )


def _fire(*, record, actor, t: Transition, inputs: dict):
    workflow = kind_of(record).workflow
    if actor is not SYSTEM and not t.permission(record, actor):
        refused = t.refusal(record, actor) if t.refusal is not None else None
        raise refused or PermissionDenied(
            _("You may not %(action)s this record.") % {"action": str(t.label).lower()}
        )
    _check_required(t, inputs)
    firing = Firing(
        record=record,
        actor=actor,
        transition=t,
        inputs=inputs,
        now=timezone.now(),
        source=workflow.status(record),
        fields={workflow.field},
        data={"from": workflow.status(record), "to": t.target, "transition": t.name},
        body=(inputs.get("reason") or "").strip() if isinstance(inputs.get("reason"), str) else "",
    )
    if t.effect is not None:
        t.effect(firing)
    workflow.set_status(record, t.target)
    concurrency.save_changed(record, firing.fields)
    sla_sync(record=record, now=firing.now)
    data = dict(firing.data)
    if firing.body:
        data["reason"] = firing.body
    timeline_add(
        record=record,
        kind=TimelineEntry.Kind.TRANSITION,
        author=actor,
        body=firing.body,
        is_public=True,
        data={**data, "automatic": actor is SYSTEM},
    )
    audit_record(actor=actor, action=f"{record._meta.model_name}.{t.name}", target=record, data=data)
    if t.event:
        publisher(record)(record=record, event=t.event, actor=actor, data=data)
    if t.after is not None:
        t.after(firing)
    return record


def _check_required(t: Transition, inputs: dict) -> None:
    errors = {}
    for name in t.requires:
        value = inputs.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            errors[name] = _("This field is required to %(action)s.") % {"action": str(t.label).lower()}
    if errors:
        raise ValidationError(errors)


def input_flag(value) -> bool:
    """A yes/no input as forms and JSON send it ("false", "0", "" and None are no)."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def input_choice(value, choices, field: str):
    """`value` if it is one of `choices` (a model's `.choices`); a field error otherwise."""
    if value not in {c for c, _label in choices}:
        raise ValidationError({field: _("“%(value)s” is not a valid choice.") % {"value": value}})
    return value
