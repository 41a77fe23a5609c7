"""Raising, editing and linking problems. Transitions are the kernel's (`record_transition`, through the
kind's table in `workflow.py`)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cmdb.models import ConfigurationItem
from cmdb.selectors import business_service_list
from incidents.models import Incident
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
from ..links import PROBLEM_INCIDENTS
from ..models import Problem
from ..permissions import ProblemPolicy
from ..records import PROBLEM_KIND

PREFIX = PROBLEM_KIND.prefix

# What agents change on a problem (besides its CIs): the classification and the root-cause analysis.
EDITABLE_FIELDS = (
    "title", "description", "service", "category", "impact", "urgency", "support_group", "assignee",
    "symptoms", "root_cause", "method", "worksheet", "time_spent_minutes", "workaround", "no_workaround",
)  # fmt: skip
CI_FIELDS = ("affected_cis", "contributing_cis")
MAX_CIS = 100
MAX_INCIDENTS = 100


def problem_publish(*, record: Problem, event: str, actor, data=None, entry=None) -> None:
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


def _validate(*, service, assignee, group) -> None:
    if service is not None and not business_service_list().filter(pk=service.pk).exists():
        raise ValidationError({"service": _("Choose a business service from the catalogue.")})
    if group is not None and not group.is_active:
        raise ValidationError({"support_group": _("This group is not active.")})
    if assignee is not None and not agent_list(perm=wf.WORK_PERMISSION).filter(pk=assignee.pk).exists():
        raise ValidationError({"assignee": _("%(name)s does not work problems.") % {"name": assignee}})


def _cis(values, field: str) -> list[ConfigurationItem]:
    cis = list(dict.fromkeys(values or ()))
    if len(cis) > MAX_CIS:
        raise ValidationError({field: _("At most %(count)d CIs.") % {"count": MAX_CIS}})
    return cis


def problem_create(
    *,
    actor: User,
    title: str,
    description: str = "",
    service: ConfigurationItem | None = None,
    category=None,
    impact: int = Impact.USER,
    urgency: int = Urgency.MEDIUM,
    support_group: SupportGroup | None = None,
    assignee: User | None = None,
    affected_cis=(),
    symptoms: str = "",
    incidents=(),
) -> Problem:
    """Raise a problem (`PRB` number, priority from the matrix), linking `incidents` to it (each on both
    timelines). The problem's requester is whoever raised it. Raises PermissionDenied unless the actor
    works problems, ValidationError for inconsistent input or an incident that has a problem already."""
    if not ProblemPolicy.can_file(actor):
        raise PermissionDenied(_("You may not raise problems."))
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("This field cannot be blank.")})
    impact = _choice(impact, Impact, "impact")
    urgency = _choice(urgency, Urgency, "urgency")
    group = support_group if support_group is not None else getattr(service, "support_group", None)
    _validate(service=service, assignee=assignee, group=group)
    incidents = list(dict.fromkeys(incidents or ()))
    if len(incidents) > MAX_INCIDENTS:
        raise ValidationError({"incidents": _("At most %(count)d incidents.") % {"count": MAX_INCIDENTS}})
    with transaction.atomic():
        record = Problem.objects.create(
            number=number_allocate(prefix=PREFIX)[0],
            title=title,
            description=description,
            requester=actor,
            created_by=actor,
            service=service,
            category=category,
            impact=impact,
            urgency=urgency,
            priority=priority_for(impact=impact, urgency=urgency),
            support_group=group,
            assignee=assignee,
            symptoms=symptoms,
        )
        cis = _cis(affected_cis, "affected_cis")
        if cis:
            record.affected_cis.set(cis)
        data = {"priority": record.priority, "incidents": [incident.number for incident in incidents]}
        audit_record(actor=actor, action="problem.created", target=record, data=data)
        problem_publish(record=record, event="created", actor=actor, data=data)
        for incident in incidents:
            problem_link_incident(actor=actor, problem=record, incident=incident)
    record.refresh_from_db()
    return record


def problem_update(
    *, record: Problem, actor: User, expected_version: int | None = None, **changes
) -> Problem:
    """Change the working fields of an unfinished problem (`EDITABLE_FIELDS` and the CI lists). Impact or
    urgency recompute the priority. Each change is a field-change entry (agents only) and an audit event.
    Raises PermissionDenied for who may not edit or a final problem, ValidationError for bad values,
    StaleWrite for an out-of-date `expected_version`."""
    unknown = set(changes) - {*EDITABLE_FIELDS, *CI_FIELDS}
    if unknown:
        raise ValidationError({field: _("This field cannot be changed here.") for field in sorted(unknown)})
    with transaction.atomic():
        record = record_lock(record, expected_version=expected_version)
        if not ProblemPolicy.can_edit(actor, record):
            raise PermissionDenied(_("You may not change this problem."))
        ci_changes = {name: _cis(changes.pop(name), name) for name in CI_FIELDS if name in changes}
        for field, choices in (("impact", Impact), ("urgency", Urgency)):
            if field in changes:
                changes[field] = _choice(changes[field], choices, field)
        if "title" in changes:
            changes["title"] = (changes["title"] or "").strip()
            if not changes["title"]:
                raise ValidationError({"title": _("This field cannot be blank.")})
        if "method" in changes and changes["method"] not in ("", *Problem.Method.values):
            raise ValidationError({"method": _("Choose one of the listed values.")})
        _validate(
            service=changes.get("service"),
            assignee=changes.get("assignee"),
            group=changes.get("support_group"),
        )
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
        if diff:
            record_save(record, [field for field in diff if field not in CI_FIELDS])
            record_note_changes(
                record=record, actor=actor, action="problem.updated", diff=diff, before=labels
            )
            problem_publish(record=record, event="updated", actor=actor, data={"changed": sorted(diff)})
        return record


def problem_link_incident(*, actor: User, problem: Problem, incident: Incident):
    """Link `incident` to `problem` (an incident has one problem), on both timelines."""
    return record_link(actor=actor, link_type=PROBLEM_INCIDENTS, source=problem, target=incident)


def problem_from_incidents(*, actor: User, incidents, title: str = "", **fields) -> Problem:
    """Raise a problem for `incidents` (from the queue's bulk actions): titled and classified after the
    first of them unless given, all of them linked."""
    incidents = list(incidents)
    if not incidents:
        raise ValidationError({"incidents": _("Select at least one incident.")})
    first = incidents[0]
    fields.setdefault("service", first.service)
    fields.setdefault("category", first.category)
    fields.setdefault("description", "")
    return problem_create(actor=actor, title=title or first.title, incidents=incidents, **fields)
