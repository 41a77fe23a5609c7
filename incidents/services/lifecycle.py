"""Creating a record and changing its working fields."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cmdb.models import ConfigurationItem
from cmdb.selectors import business_service_list
from servicedesk.approvals.selectors import approval_pending_known
from servicedesk.approvals.services import approval_request_open
from servicedesk.errors import PermissionDenied
from servicedesk.models import Impact, SupportGroup, TimelineEntry, Urgency, User
from servicedesk.records.services import record_lock, record_note_changes, record_save, related_labels
from servicedesk.records.transitions import transition_fire
from servicedesk.services import audit_record
from servicedesk.services.audit import apply_changes
from servicedesk.services.numbering import number_allocate
from servicedesk.services.priority import priority_for
from servicedesk.services.timeline import timeline_add
from servicedesk.sla.clocks import sla_sync

from .. import workflow as wf
from ..models import Category, Incident, RequestType
from ..permissions import IncidentPolicy
from ..records import PREFIXES
from .common import default_group, validate_agent
from .events import incident_event
from .forms import form_answers_check, form_files_store
from .fulfilment import fulfilment_start

# Checked by the services themselves (status is the state machine's, relations are validated above).
# Constraints are not re-checked one query each: the inputs they guard are validated here, and the
# database enforces them anyway.
CLEAN_EXCLUDE = ["number", "status", "requester", "created_by", "support_group", "service", "request_type"]

# Changes that may choose another SLA policy, target or time zone for the record's clocks.
SLA_FIELDS = {"priority", "service", "affected_cis"}

EDITABLE_FIELDS = [
    "title",
    "description",
    "category",
    "subcategory",
    "service",
    "impact",
    "urgency",
    "channel",
]


def _validate_classification(*, kind, service, request_type, category, subcategory) -> None:
    errors = {}
    if kind not in Incident.Kind.values:
        raise ValidationError({"kind": _("Choose an incident or a service request.")})
    if kind == Incident.Kind.REQUEST and request_type is None:
        errors["request_type"] = _("Choose what you are asking for.")
    if kind == Incident.Kind.INCIDENT and request_type is not None:
        errors["request_type"] = _("Only service requests have a request type.")
    if request_type is not None and not request_type.is_active:
        errors["request_type"] = _("This request type is no longer offered.")
    if service is not None and not business_service_list().filter(pk=service.pk).exists():
        errors["service"] = _("Choose a business service from the catalogue.")
    if request_type is not None and service is not None and request_type.service_id != service.pk:
        errors["service"] = _("The request type belongs to another service.")
    if category is not None and (category.parent_id is not None or not category.is_active):
        errors["category"] = _("Choose an active top-level category.")
    if subcategory is not None and (
        category is None or subcategory.parent_id != category.pk or not subcategory.is_active
    ):
        errors["subcategory"] = _("Choose an active subcategory of the category.")
    if errors:
        raise ValidationError(errors)


def _matrix_value(value, choices, field: str) -> int:
    """An impact or urgency the priority matrix knows (1-3); ValidationError otherwise."""
    try:
        value = int(value)
    except (TypeError, ValueError):
        value = None
    if value not in choices.values:
        raise ValidationError({field: _("Choose a value from 1 to 3.")})
    return value


def _validate_cis(cis) -> list[ConfigurationItem]:
    cis = list(dict.fromkeys(cis or []))
    if len(cis) > 50:
        raise ValidationError({"affected_cis": _("At most 50 affected CIs.")})
    return cis


def _approvers(*, request_type, requester, assignee) -> dict | None:
    """Who approves a request of `request_type` for `requester` (approvers / groups), None when the type
    needs no approval. The requester's manager, else the type's approver group; a type that needs approval
    refuses an assignee at filing (it is worked once approved)."""
    if request_type is None or request_type.approval == RequestType.Approval.NONE:
        return None
    if assignee is not None:
        raise ValidationError({"assignee": _("This request is assigned once it is approved.")})
    manager = requester.manager if request_type.approval == RequestType.Approval.MANAGER else None
    if manager is not None and manager.is_active and manager.pk != requester.pk:
        return {"approvers": [manager]}
    if request_type.approval_group is not None:
        return {"groups": [request_type.approval_group]}
    raise ValidationError(
        {
            "request_type": _(
                "This request needs the approval of your manager, and none is recorded for you. Please ask "
                "the service desk."
            )
        }
    )


@transaction.atomic
def incident_create(
    *,
    actor: User,
    kind: str = Incident.Kind.INCIDENT,
    title: str,
    description: str = "",
    requester: User | None = None,
    channel: str | None = None,
    service: ConfigurationItem | None = None,
    request_type: RequestType | None = None,
    category: Category | None = None,
    subcategory: Category | None = None,
    impact: int | None = None,
    urgency: int | None = None,
    affected_cis=(),
    support_group: SupportGroup | None = None,
    assignee: User | None = None,
    uploads=(),
    form_data: dict | None = None,
    form_files: dict | None = None,
) -> Incident:
    """File an incident or a service request and give it its number.

    A requester files for themself from the portal (impact is always "user"; group and assignee come
    from routing). An agent may file for a caller (`requester`, `channel="phone"`), set impact, group,
    assignee and affected CIs. Raises PermissionDenied when the actor may not file or file for others,
    ValidationError for inconsistent input (a request without its type, a subcategory of another
    category, an assignee outside the group, a refused attachment, answers that do not fit the request
    type's form: `form_data.<field>`). `form_data` are the answers to the request type's form, `form_files`
    its file fields' uploads by name. A request that needs no approval gets its fulfilment tasks at once.
    """
    if not IncidentPolicy.can_file(actor):
        raise PermissionDenied(_("You may not file records."))
    is_agent = IncidentPolicy.can_file_for_others(actor)
    requester = requester or actor
    if requester.pk != actor.pk and not is_agent:
        raise PermissionDenied(_("You may file records only for yourself."))
    if not requester.is_active:
        raise ValidationError({"requester": _("This person's account is inactive.")})
    if not is_agent and (support_group or assignee or affected_cis or impact not in (None, Impact.USER)):
        raise PermissionDenied(_("Only agents set the impact, group, assignee or affected CIs."))
    if request_type is not None and service is None:
        service = request_type.service
    _validate_classification(
        kind=kind, service=service, request_type=request_type, category=category, subcategory=subcategory
    )
    affected_cis = _validate_cis(affected_cis)
    uploads = list(uploads or ())
    if len(uploads) > settings.ITSM_ATTACHMENTS_PER_ENTRY:
        raise ValidationError(
            {
                "attachments": _("At most %(count)d files at a time.")
                % {"count": settings.ITSM_ATTACHMENTS_PER_ENTRY}
            }
        )
    impact = _matrix_value(Impact.USER if impact is None else impact, Impact, "impact")
    if urgency is None:
        urgency = request_type.urgency if request_type else Urgency.MEDIUM
    urgency = _matrix_value(urgency, Urgency, "urgency")
    group = support_group or default_group(request_type=request_type, service=service)
    validate_agent(assignee, group=group)
    approvers = _approvers(request_type=request_type, requester=requester, assignee=assignee)
    answers = form_answers_check(request_type=request_type, answers=form_data, files=form_files)
    record = Incident(
        number=number_allocate(prefix=PREFIXES[kind])[0],
        kind=kind,
        title=title.strip(),
        description=description,
        requester=requester,
        created_by=actor,
        channel=channel or (Incident.Channel.PHONE if requester.pk != actor.pk else Incident.Channel.PORTAL),
        service=service,
        request_type=request_type,
        category=category,
        subcategory=subcategory,
        impact=impact,
        urgency=urgency,
        priority=priority_for(impact=impact, urgency=urgency),
        support_group=group,
        form_data=answers,
    )
    record.full_clean(exclude=CLEAN_EXCLUDE, validate_constraints=False)
    record.save()
    if form_files:
        record.form_data = form_files_store(record=record, actor=actor, answers=answers, files=form_files)
        record.save(update_fields=["form_data"])
    approval_pending_known(record, False)  # nothing awaits approval on a record filed this instant
    if affected_cis:
        record.affected_cis.set(affected_cis)
    sla_sync(record=record, rematch=True, filed=True)
    data = {"kind": kind, "channel": record.channel, "priority": record.priority}
    audit_record(actor=actor, action="incident.created", target=record, data=data)
    if uploads:
        timeline_add(
            record=record, kind=TimelineEntry.Kind.ATTACHMENT, author=actor, is_public=True, uploads=uploads
        )
    incident_event(
        record=record, event="created", actor=actor, data={**data, "assignee": getattr(assignee, "pk", None)}
    )
    if approvers is not None:
        approval_request_open(
            record=record,
            actor=actor,
            rule=request_type.approval_rule,
            reason=_("%(type)s, asked for by %(name)s.") % {"type": request_type.name, "name": requester},
            title=_("Approval of %(number)s: %(type)s")
            % {"number": record.number, "type": request_type.name},
            **approvers,
        )
    if assignee is not None:
        transition_fire(record=record, actor=actor, to=wf.ASSIGNED, inputs={"assignee": assignee})
    if approvers is None:
        fulfilment_start(record=record, actor=actor)
    return record


def incident_update(
    *, record: Incident, actor: User, expected_version: int | None = None, **changes
) -> Incident:
    """Change the working fields of an unfinished record (`EDITABLE_FIELDS`, and `affected_cis`).

    Impact or urgency recompute the priority from the matrix. Each change is a field-change entry in the
    timeline and an audit event. Raises PermissionDenied for non-agents or a final record,
    ValidationError for inconsistent values and StaleWrite for an out-of-date `expected_version`.
    """
    unknown = set(changes) - {*EDITABLE_FIELDS, "affected_cis"}
    if unknown:
        raise ValidationError({field: _("This field cannot be changed here.") for field in sorted(unknown)})
    with transaction.atomic():
        record = record_lock(record, expected_version=expected_version)
        if not IncidentPolicy.can_edit(actor, record):
            raise PermissionDenied(_("You may not change this record."))
        cis = changes.pop("affected_cis", None)
        for field, choices in (("impact", Impact), ("urgency", Urgency)):
            if field in changes:
                changes[field] = _matrix_value(changes[field], choices, field)
        if "title" in changes:
            changes["title"] = (changes["title"] or "").strip()
            if not changes["title"]:
                raise ValidationError({"title": _("This field cannot be blank.")})
        _validate_classification(
            kind=record.kind,
            service=changes.get("service", record.service),
            request_type=record.request_type,
            category=changes.get("category", record.category),
            subcategory=changes.get("subcategory", record.subcategory),
        )
        labels = related_labels(record, [*changes, *(["affected_cis"] if cis is not None else [])])
        diff = apply_changes(record, changes)
        if "impact" in diff or "urgency" in diff:
            priority = priority_for(impact=record.impact, urgency=record.urgency)
            diff.update(apply_changes(record, {"priority": priority}))
        if diff:
            record.full_clean(exclude=CLEAN_EXCLUDE, validate_constraints=False)
        if cis is not None:
            cis = _validate_cis(cis)
            before = sorted(record.affected_cis.values_list("pk", flat=True))
            after = sorted(ci.pk for ci in cis)
            if before != after:
                record.affected_cis.set(cis)
                diff["affected_cis"] = {"from": before, "to": after}
        if diff:
            record_save(record, [field for field in diff if field != "affected_cis"])
            if set(diff) & SLA_FIELDS:
                sla_sync(record=record, rematch=True)
            record_note_changes(
                record=record, actor=actor, action="incident.updated", diff=diff, before=labels
            )
            incident_event(record=record, event="updated", actor=actor, data={"changed": sorted(diff)})
        return record


def incident_declare_major(*, record: Incident, actor: User, is_major: bool, reason: str = "") -> Incident:
    """Declare (or stand down) a major incident; the notification path plugs in here.

    Raises PermissionDenied unless the actor may declare major incidents on this record.
    """
    with transaction.atomic():
        record = record_lock(record)
        if not IncidentPolicy.can_declare_major(actor, record):
            raise PermissionDenied(_("You may not declare a major incident."))
        if record.is_major == is_major:
            return record
        record.is_major = is_major
        record_save(record, ["is_major"])
        timeline_add(
            record=record,
            kind=TimelineEntry.Kind.SYSTEM,
            author=actor,
            body=reason.strip(),
            is_public=False,
            data={"event": "major_declared" if is_major else "major_stood_down"},
        )
        audit_record(
            actor=actor,
            action="incident.major_changed",
            target=record,
            data={"is_major": is_major, "reason": reason},
        )
        incident_event(
            record=record,
            event="major_declared" if is_major else "major_stood_down",
            actor=actor,
            data={"reason": reason},
        )
        return record
