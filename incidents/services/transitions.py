"""Firing the status machine: one service for every transition, from any interface."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import has_transition_perm

from servicedesk.approvals.services import approvals_cancel_for_record
from servicedesk.errors import Conflict, InvalidTransition, PermissionDenied
from servicedesk.models import TimelineEntry, User
from servicedesk.services import audit_record
from servicedesk.services.timeline import timeline_add
from servicedesk.sla.clocks import sla_sync

from .. import workflow as wf
from ..models import Incident
from .common import lock, save, validate_agent
from .events import incident_event

SYSTEM = None  # the actor of automatic transitions (auto-close, children resolving with their parent)


def _public_transitions(record: Incident):
    return [t for t in record.get_available_status_transitions() if not t.custom.get("internal")]


def allowed_transitions(*, record: Incident, user) -> list[dict]:
    """The transitions `user` may fire now, each with its target status and what it needs."""
    allowed = []
    for t in _public_transitions(record):
        if has_transition_perm(getattr(record, t.name), user):
            allowed.append(
                {
                    "name": t.name,
                    "to": t.target,
                    "label": str(wf.TRANSITION_LABELS[t.name]),
                    "requires": wf.TRANSITION_INPUTS.get(t.name, []),
                    "accepts": wf.TRANSITION_OPTIONAL_INPUTS.get(t.name, []),
                }
            )
    return allowed


def _find(record: Incident, to: str, user):
    for t in _public_transitions(record):
        if t.target == to:
            return t
    raise InvalidTransition(
        _("A record that is %(status)s cannot move to “%(to)s”.")
        % {"status": record.get_status_display().lower(), "to": to},
        extra={"allowed": [a["to"] for a in allowed_transitions(record=record, user=user)]},
    )


def _required(inputs: dict, name: str) -> dict:
    errors = {}
    for field in wf.TRANSITION_INPUTS.get(name, []):
        value = inputs.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            errors[field] = _("This field is required to %(action)s.") % {
                "action": str(wf.TRANSITION_LABELS[name]).lower()
            }
    if errors:
        raise ValidationError(errors)
    return inputs


def _flag(value) -> bool:
    """A yes/no input as forms and JSON send it ("false", "0", "" and None are no)."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _choice(value, choices, field):
    if value not in {c for c, _label in choices}:
        raise ValidationError({field: _("“%(value)s” is not a valid choice.") % {"value": value}})
    return value


def incident_transition(
    *, record: Incident, actor: User | None, to: str, expected_version: int | None = None, **inputs
) -> Incident:
    """Move `record` to status `to` through the one transition that leads there from its status.

    `inputs` carry what the transition needs (`workflow.TRANSITION_INPUTS`): `assignee` to assign,
    `hold_reason` to hold, `resolution_code` and `resolution_notes` to resolve, a `reason` to reopen or
    cancel; `csat_score`/`csat_comment` may come with a requester's close. `actor=None` is the system
    (auto-close, a parent resolving its children) and skips the permission check.

    Raises InvalidTransition (409, with the allowed targets) when no transition leads to `to`,
    PermissionDenied when the actor may not fire it, ValidationError for missing or bad inputs and
    StaleWrite when `expected_version` is out of date.
    """
    with transaction.atomic():
        record = lock(record, expected_version=expected_version)
        return _fire(record=record, actor=actor, to=to, inputs=inputs)


def _fire(*, record: Incident, actor, to: str, inputs: dict) -> Incident:
    t = _find(record, to, actor)
    name = t.name
    method = getattr(record, name)
    if name in ("assign", "start") and wf.awaiting_approval(record):
        raise Conflict(
            _("This request is awaiting approval; it is worked once it is approved."),
            code="awaiting_approval",
        )
    if actor is not SYSTEM and not has_transition_perm(method, actor):
        if name == "reopen" and wf.is_requester(record, actor):
            raise Conflict(
                _("The time to reopen this record has passed. Please file a new one."),
                code="reopen_window_passed",
            )
        raise PermissionDenied(
            _("You may not %(action)s this record.") % {"action": str(wf.TRANSITION_LABELS[name]).lower()}
        )
    _required(inputs, name)
    now = timezone.now()
    source = record.status
    fields = {"status"}
    data = {"from": source, "to": t.target, "transition": name}
    body = (inputs.get("reason") or "").strip()

    if name == "assign":
        assignee = inputs["assignee"]
        validate_agent(assignee, group=record.support_group)
        record.assignee = assignee
        fields.add("assignee")
        data["assignee"] = assignee.pk
    elif name == "start":
        if record.assignee_id is None and actor is not SYSTEM:
            validate_agent(actor, group=None)
            record.assignee = actor
            fields.add("assignee")
            data["assignee"] = actor.pk
    elif name == "hold":
        record.hold_reason = _choice(inputs["hold_reason"], Incident.HoldReason.choices, "hold_reason")
        fields.add("hold_reason")
        data["hold_reason"] = record.hold_reason
    elif name == "resume":
        record.hold_reason = ""
        fields.add("hold_reason")
    elif name == "resolve":
        record.resolution_code = _choice(
            inputs["resolution_code"], Incident.ResolutionCode.choices, "resolution_code"
        )
        record.resolution_notes = inputs["resolution_notes"].strip()
        record.first_contact_resolution = _flag(inputs.get("first_contact_resolution", False))
        record.hold_reason = ""
        record.resolved_at = now
        fields |= {
            "resolution_code",
            "resolution_notes",
            "first_contact_resolution",
            "hold_reason",
            "resolved_at",
        }
        data["resolution_code"] = record.resolution_code
        body = record.resolution_notes
    elif name == "reopen":
        record.reopen_count += 1
        record.resolved_at = None
        record.resolution_code = ""
        fields |= {"reopen_count", "resolved_at", "resolution_code"}
    elif name == "close":
        record.closed_at = now
        fields.add("closed_at")
        score = inputs.get("csat_score")
        if score is not None and wf.is_requester(record, actor) and record.csat_score is None:
            _apply_rating(record, score, inputs.get("csat_comment") or "", now)
            fields |= {"csat_score", "csat_comment", "rated_at"}
            data["csat_score"] = record.csat_score
    elif name == "cancel":
        record.closed_at = now
        record.hold_reason = ""
        fields |= {"closed_at", "hold_reason"}

    if name in ("start", "resolve") and record.responded_at is None:
        # Taking a record on, or resolving it, answers it: the response target is met.
        record.responded_at = now
        fields.add("responded_at")
    method()
    save(record, fields)
    sla_sync(record=record, now=now)
    if body:
        data["reason"] = body
    timeline_add(
        record=record,
        kind=TimelineEntry.Kind.TRANSITION,
        author=actor,
        body=body,
        is_public=True,
        data={**data, "automatic": actor is SYSTEM},
    )
    audit_record(actor=actor, action=f"incident.{name}", target=record, data=data)
    incident_event(record=record, event=wf.TRANSITION_EVENTS[name], actor=actor, data=data)
    if name in ("resolve", "cancel", "close", "close_as_duplicate"):
        # Nothing is left to approve: the record no longer waits.
        approvals_cancel_for_record(
            record=record,
            reason=_("%(number)s is %(status)s.")
            % {"number": record.number, "status": record.get_status_display().lower()},
        )
    if name == "resolve":
        _resolve_children(record, actor)
    return record


def _apply_rating(record: Incident, score, comment: str, now) -> None:
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise ValidationError({"csat_score": _("Give a rating from 1 to 5.")})
    record.csat_score = score
    record.csat_comment = comment.strip()
    record.rated_at = now


def _resolve_children(parent: Incident, actor) -> None:
    """Children resolve with their parent, with its resolution and a note saying so."""
    for child in Incident.objects.select_for_update().filter(parent=parent, status__in=wf.OPEN_STATUSES):
        _fire(
            record=child,
            actor=SYSTEM,
            to=wf.RESOLVED,
            inputs={
                "resolution_code": parent.resolution_code,
                "resolution_notes": _("Resolved with %(number)s: %(notes)s")
                % {"number": parent.number, "notes": parent.resolution_notes},
                "first_contact_resolution": False,
            },
        )


def incident_rate(*, record: Incident, actor: User, score: int, comment: str = "") -> Incident:
    """The requester rates a resolved or closed record once (CSAT 1-5 and a comment).

    Raises PermissionDenied for anyone else, Conflict when already rated or not yet resolved.
    """
    from ..permissions import IncidentPolicy

    with transaction.atomic():
        record = lock(record)
        if not wf.is_requester(record, actor):
            raise PermissionDenied(_("Only the requester rates a record."))
        if not IncidentPolicy.can_rate(actor, record):
            raise Conflict(_("This record cannot be rated now."), code="not_ratable")
        _apply_rating(record, score, comment, timezone.now())
        save(record, {"csat_score", "csat_comment", "rated_at"})
        audit_record(
            actor=actor, action="incident.rated", target=record, data={"csat_score": record.csat_score}
        )
        return record
