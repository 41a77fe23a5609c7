"""Raising, editing and linking changes. Transitions are the kernel's (`record_transition`)."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cmdb.models import ConfigurationItem
from cmdb.selectors import business_service_list
from servicedesk.errors import PermissionDenied
from servicedesk.models import Impact, SupportGroup, Urgency, User
from servicedesk.records.events import publisher
from servicedesk.records.linking import record_link
from servicedesk.records.services import record_lock, record_note_changes, record_save, related_labels
from servicedesk.selectors import agent_list
from servicedesk.services import audit_record
from servicedesk.services.audit import apply_changes
from servicedesk.services.numbering import number_allocate
from servicedesk.services.priority import priority_for

from .. import workflow as wf
from ..links import CHANGE_INCIDENTS, CHANGE_PROBLEMS
from ..models import Change, ChangeType, StandardChange
from ..permissions import ChangePolicy
from ..records import CHANGE_KIND

PREFIX = CHANGE_KIND.prefix
PLAN_FIELDS = ("implementation_plan", "test_plan", "backout_plan")
DATE_FIELDS = ("planned_start", "planned_end")
# What may change while the change is planned (draft, submitted, assessment).
EDITABLE_FIELDS = (
    "title", "description", "reason", "impact", "urgency", "support_group", "assignee", *DATE_FIELDS,
    *PLAN_FIELDS,
)  # fmt: skip
CI_FIELDS = ("services", "affected_cis")
MAX_CIS = 200
MAX_LINKS = 100


def change_publish(*, record: Change, event: str, actor, data=None, entry=None) -> None:
    """Tell people and integrations (the kernel's notifications and webhooks)."""
    publisher(record)(record=record, event=event, actor=actor, entry=entry, data=data or {})


def _choice(value, choices, field: str) -> int:
    try:
        value = int(value)
    except (TypeError, ValueError):
        value = None
    if value not in choices.values:
        raise ValidationError({field: _("Choose one of the listed values.")})
    return value


def _validate_people(*, assignee, group) -> None:
    if group is not None and not group.is_active:
        raise ValidationError({"support_group": _("This group is not active.")})
    if assignee is not None and not agent_list(perm=wf.MANAGE_PERMISSION).filter(pk=assignee.pk).exists():
        raise ValidationError({"assignee": _("%(name)s does not manage changes.") % {"name": assignee}})


def _validate_dates(start, end) -> None:
    if (start is None) != (end is None):
        field = "planned_end" if end is None else "planned_start"
        raise ValidationError({field: _("Give both the planned start and the planned end.")})
    if start is not None and end <= start:
        raise ValidationError({"planned_end": _("The planned end must be after the planned start.")})


def _cis(values, field: str) -> list[ConfigurationItem]:
    cis = list(dict.fromkeys(values or ()))
    if len(cis) > MAX_CIS:
        raise ValidationError({field: _("At most %(count)d CIs.") % {"count": MAX_CIS}})
    if field == "services" and cis:
        services = set(
            business_service_list().filter(pk__in=[ci.pk for ci in cis]).values_list("pk", flat=True)
        )
        if any(ci.pk not in services for ci in cis):
            raise ValidationError({"services": _("Choose business services from the catalogue.")})
    return cis


def _title(value) -> str:
    title = (value or "").strip()
    if not title:
        raise ValidationError({"title": _("This field cannot be blank.")})
    return title


def _authorise_filing(actor) -> None:
    if not ChangePolicy.can_file(actor):
        raise PermissionDenied(_("You may not raise changes."))


def _save_new(*, actor, record: Change, services, cis, data: dict) -> Change:
    """Number, store and announce a new change with its services and CIs (inside the caller's
    transaction)."""
    record.number = number_allocate(prefix=PREFIX)[0]
    record.requester = record.requester if record.requester_id else actor
    record.created_by = actor
    record.priority = priority_for(impact=record.impact, urgency=record.urgency)
    record.save()
    if services:
        record.services.set(services)
    if cis:
        record.affected_cis.set(cis)
    data = {"type": record.change_type, "status": record.status, **data}
    audit_record(actor=actor, action="change.created", target=record, data=data)
    change_publish(record=record, event="created", actor=actor, data=data)
    return record


def change_create(
    *,
    actor: User,
    title: str,
    change_type: str = wf.NORMAL,
    description: str = "",
    reason: str = "",
    services=(),
    affected_cis=(),
    impact: int = Impact.USER,
    urgency: int = Urgency.MEDIUM,
    planned_start=None,
    planned_end=None,
    implementation_plan: str = "",
    test_plan: str = "",
    backout_plan: str = "",
    support_group: SupportGroup | None = None,
    assignee: User | None = None,
    problems=(),
    incidents=(),
) -> Change:
    """Raise a normal change (a draft, for its requester to complete and submit) or an emergency one
    (submitted at once: there is no time for drafts). Standard changes come from the catalogue
    (`change_from_standard`). `problems` and `incidents` are what it fixes, linked on both timelines.
    Raises PermissionDenied unless the actor may raise changes, ValidationError for bad input."""
    _authorise_filing(actor)
    if change_type not in (wf.NORMAL, wf.EMERGENCY):
        raise ValidationError(
            {
                "change_type": _(
                    "Raise a normal or an emergency change; standard ones come from the catalogue."
                )
            }
        )
    record = Change(
        change_type=change_type,
        status=wf.SUBMITTED if change_type == wf.EMERGENCY else wf.DRAFT,
        title=_title(title),
        description=description or "",
        reason=reason or "",
        impact=_choice(impact, Impact, "impact"),
        urgency=_choice(urgency, Urgency, "urgency"),
        planned_start=planned_start,
        planned_end=planned_end,
        implementation_plan=implementation_plan or "",
        test_plan=test_plan or "",
        backout_plan=backout_plan or "",
        support_group=support_group,
        assignee=assignee,
    )
    _validate_dates(planned_start, planned_end)
    _validate_people(assignee=assignee, group=support_group)
    services = _cis(services, "services")
    cis = _cis(affected_cis, "affected_cis")
    problems, incidents = list(dict.fromkeys(problems or ())), list(dict.fromkeys(incidents or ()))
    if len(problems) + len(incidents) > MAX_LINKS:
        raise ValidationError({"problems": _("At most %(count)d records.") % {"count": MAX_LINKS}})
    with transaction.atomic():
        record = _save_new(
            actor=actor,
            record=record,
            services=services,
            cis=cis,
            data={
                "problems": [problem.number for problem in problems],
                "incidents": [incident.number for incident in incidents],
            },
        )
        for problem in problems:
            change_link_problem(actor=actor, change=record, problem=problem)
        for incident in incidents:
            change_link_incident(actor=actor, change=record, incident=incident)
    record.refresh_from_db()
    return record


def change_from_standard(
    *,
    actor: User,
    standard: StandardChange,
    title: str = "",
    description: str = "",
    affected_cis=(),
    planned_start=None,
    planned_end=None,
    assignee: User | None = None,
) -> Change:
    """Raise a standard change from the catalogue: its plans, services, group and risk are the
    template's (pre-approved: no CAB); it starts Submitted, to be scheduled. The planned end defaults to
    the start plus the template's usual duration."""
    _authorise_filing(actor)
    if not standard.is_active:
        raise ValidationError({"standard_change": _("This standard change is no longer offered.")})
    if planned_start is not None and planned_end is None:
        planned_end = planned_start + timedelta(minutes=standard.duration_minutes)
    _validate_dates(planned_start, planned_end)
    _validate_people(assignee=assignee, group=None)
    record = Change(
        change_type=ChangeType.STANDARD,
        status=wf.SUBMITTED,
        standard_change=standard,
        title=_title(title or standard.name),
        description=description or standard.description,
        implementation_plan=standard.implementation_plan,
        test_plan=standard.test_plan,
        backout_plan=standard.backout_plan,
        risk_level=standard.risk_level,
        risk_reasons=[_("Pre-approved standard change: its risk is the catalogue's.")],
        assessed_at=timezone.now(),
        support_group=standard.support_group,
        assignee=assignee,
        planned_start=planned_start,
        planned_end=planned_end,
    )
    cis = _cis(affected_cis, "affected_cis")
    with transaction.atomic():
        record = _save_new(
            actor=actor,
            record=record,
            services=list(standard.services.all()),
            cis=cis,
            data={"standard_change": standard.pk},
        )
    record.refresh_from_db()
    return record


def change_from_problem(*, actor: User, problem, **fields) -> Change:
    """ "Resolve via change": a normal change prefilled from the problem's known error (or its root-cause
    analysis), with its services and CIs, linked to the problem it fixes."""
    known_error = getattr(problem, "known_error", None)
    root_cause = (known_error.root_cause if known_error else "") or problem.root_cause
    fields.setdefault("title", _("Remove the cause of %(number)s: %(title)s") % {
        "number": problem.number, "title": known_error.title if known_error else problem.title
    })  # fmt: skip
    fields.setdefault("reason", root_cause)
    fields.setdefault(
        "description",
        (known_error.symptoms if known_error else "") or problem.symptoms or problem.description,
    )
    fields["title"] = fields["title"][:200]
    if "services" not in fields:
        services = list(known_error.services.all()) if known_error else []
        fields["services"] = services or ([problem.service] if problem.service_id else [])
    if "affected_cis" not in fields:
        cis = list(known_error.cis.all()) if known_error else []
        fields["affected_cis"] = cis or list(problem.affected_cis.all())
    fields.setdefault("support_group", problem.support_group)
    return change_create(actor=actor, problems=[problem], **fields)


def change_update(*, record: Change, actor: User, expected_version: int | None = None, **changes) -> Change:
    """Change what may still change: while the change is being planned, its description, classification,
    people, dates, plans, services and CIs; after approval, only its dates (a change manager's, checked
    again for conflicts: `override_reason` lets a scheduled change keep its new slot despite them).
    Each change is a field-change entry and an audit event; a new set of CIs or services re-assesses the
    risk. Raises PermissionDenied, ValidationError or StaleWrite."""
    override_reason = (changes.pop("override_reason", "") or "").strip()
    unknown = set(changes) - {*EDITABLE_FIELDS, *CI_FIELDS}
    if unknown:
        raise ValidationError({field: _("This field cannot be changed here.") for field in sorted(unknown)})
    with transaction.atomic():
        record = record_lock(record, expected_version=expected_version)
        if not ChangePolicy.can_edit(actor, record):
            raise PermissionDenied(_("You may not change this change."))
        if record.status not in wf.PLANNING_STATUSES:
            frozen = sorted(set(changes) - set(DATE_FIELDS))
            if frozen:
                raise ValidationError(
                    {field: _("Approved: only the dates may change now.") for field in frozen}
                )
        ci_changes = {name: _cis(changes.pop(name), name) for name in CI_FIELDS if name in changes}
        for field, choices in (("impact", Impact), ("urgency", Urgency)):
            if field in changes:
                changes[field] = _choice(changes[field], choices, field)
        if "title" in changes:
            changes["title"] = _title(changes["title"])
        _validate_people(assignee=changes.get("assignee"), group=changes.get("support_group"))
        start = changes.get("planned_start", record.planned_start)
        end = changes.get("planned_end", record.planned_end)
        _validate_dates(start, end)
        labels = related_labels(record, list(changes))
        diff = apply_changes(record, changes)
        if "impact" in diff or "urgency" in diff:
            diff.update(
                apply_changes(
                    record, {"priority": priority_for(impact=record.impact, urgency=record.urgency)}
                )
            )
        for name, cis in ci_changes.items():
            manager = getattr(record, name)
            before = sorted(manager.values_list("pk", flat=True))
            after = sorted(ci.pk for ci in cis)
            if before != after:
                manager.set(cis)
                diff[name] = {"from": before, "to": after}
        if not diff:
            return record
        overridden = []
        if record.status == wf.SCHEDULED and set(diff) & set(DATE_FIELDS):
            from ..conflicts import reschedule_check

            overridden = reschedule_check(record=record, actor=actor, override_reason=override_reason)
        if set(diff) & set(CI_FIELDS) and record.assessed_at is not None:
            from .assessment import risk_refresh

            diff.update(risk_refresh(record))
        record_save(record, [field for field in diff if field not in CI_FIELDS] + overridden)
        record_note_changes(record=record, actor=actor, action="change.updated", diff=diff, before=labels)
        change_publish(record=record, event="updated", actor=actor, data={"changed": sorted(diff)})
        return record


def change_link_problem(*, actor: User, change: Change, problem):
    """Link `problem` to `change` as one it fixes, on both timelines."""
    return record_link(actor=actor, link_type=CHANGE_PROBLEMS, source=change, target=problem)


def change_link_incident(*, actor: User, change: Change, incident):
    """Link `incident` to `change` as one it fixes, on both timelines."""
    return record_link(actor=actor, link_type=CHANGE_INCIDENTS, source=change, target=incident)
