"""The agent's record page and its actions: edit, assign, transitions, conversation, links, major flag.

Each action posts to its own address, calls one service and goes back to the record page (no JavaScript
needed). Under htmx it answers the panel it changed, plus out-of-band copies of the panels that depend on
it (header, assignment, transitions, timeline) and, when the page was current, the new `version`.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cmdb.impact import SERVICE_CLASS_PATH, ImpactResult, ci_impact_many
from cmdb.permissions import CMDBPolicy
from servicedesk.approvals.selectors import record_approval_context
from servicedesk.errors import ApplicationError, InvalidTransition, NotFound
from servicedesk.form_errors import apply_service_errors
from servicedesk.forms_merge import merge_and_save
from servicedesk.sla.policies import Schedules
from servicedesk.sla.status import clock_ledger, ledgers_prefetch, record_sla

from . import services
from .forms_record import (
    AssignForm,
    AssignToMeForm,
    CommentForm,
    MajorForm,
    MergeForm,
    NumberForm,
    RecordEditForm,
    transition_form_class,
)
from .forms_workspace import active_groups
from .permissions import IncidentPolicy
from .selectors import incident_children, incident_timeline, timeline_escalation_groups
from .selectors_fulfilment import request_fulfilment_context
from .views_workspace import agent_required, record_for
from .workflow import FINAL_STATUSES

# Impact analysis walks the first few CIs together (one statement per level for all of them); link
# the rest to the CMDB.
IMPACT_CI_LIMIT = 10
PARTS = {
    "header": "incidents/workspace/_record_header.html",
    "assignment": "incidents/workspace/_record_assignment.html",
    "transitions": "incidents/workspace/_record_transitions.html",
    "timeline": "incidents/workspace/_record_timeline.html",
    "conversation": "incidents/workspace/_record_conversation.html",
    "sla": "servicedesk/_sla_clocks.html",
}


def _impacts(user, record) -> tuple[list[dict], list]:
    cis = list(record.affected_cis.all())
    can_view_cmdb = CMDBPolicy.can_view(user)
    rows = []
    try:
        impacts = ci_impact_many(cis=cis[:IMPACT_CI_LIMIT]) if can_view_cmdb else {}
    except ApplicationError:
        impacts = {}
    for ci in cis[:IMPACT_CI_LIMIT]:
        nodes = impacts.get(ci.pk, ImpactResult())
        rows.append(
            {
                "ci": ci,
                "is_service": ci.ci_class.path.startswith(SERVICE_CLASS_PATH),
                "services": [node.ci for node in nodes if node.is_service],
                "reached": len(nodes),
                "truncated": nodes.truncated,
            }
        )
    return rows, cis[IMPACT_CI_LIMIT:]


def _sla_clocks(record) -> list[dict]:
    """Each clock's status (time left, percentage, colour) and its ledger in lines, less the stretches
    that lasted no time at all (a resume at once re-targeted)."""
    now = timezone.now()
    schedules = Schedules()  # one read of the calendars for the clocks and their ledgers
    statuses = record_sla(record, now=now, schedules=schedules)
    ledgers_prefetch(status.clock for status in statuses)
    return [
        {
            "status": status,
            "ledger": [
                line
                for line in clock_ledger(status.clock, now=now, schedules=schedules)
                if line.wall_seconds != 0 or line.segment.ended_at is None
            ],
        }
        for status in statuses
    ]


def _transitions(record, user, bound=None) -> list[dict]:
    """The allowed transitions, each with its form (the bound one with errors when it was just tried)."""
    allowed = services.allowed_transitions(record=record, user=user)  # in the table's order
    for transition in allowed:
        form_class = transition_form_class(transition, group=record.support_group)
        if bound is not None and bound.prefix == transition["name"]:
            transition["form"] = bound
        else:
            transition["form"] = form_class(prefix=transition["name"])
        transition["has_inputs"] = bool(transition["form"].fields)
    return allowed


def _context(request, record, **extra) -> dict:
    user = request.user
    impacts, more_cis = _impacts(user, record)
    entries = list(incident_timeline(record=record, user=user))
    context = {
        "record": record,
        "edit_form": extra.pop("edit_form", None) or RecordEditForm(record=record),
        "assign_form": extra.pop("assign_form", None) or AssignForm(record=record),
        "comment_form": extra.pop("comment_form", None) or CommentForm(),
        "transitions": _transitions(record, user, extra.pop("transition_form", None)),
        "entries": entries,
        "sla_groups": timeline_escalation_groups(entries),
        "sla_clocks": _sla_clocks(record),
        "children": incident_children(record=record),
        "parent_form": NumberForm(prefix="parent"),
        "merge_form": MergeForm(prefix="merge"),
        "major_form": MajorForm(),
        "can_edit": IncidentPolicy.can_edit(user, record),
        "can_assign": IncidentPolicy.can_assign(user, record),
        "my_groups": list(active_groups().filter(members=user)),
        "can_comment": IncidentPolicy.can_comment(user, record),
        "can_link": IncidentPolicy.can_link(user, record),
        "can_declare_major": IncidentPolicy.can_declare_major(user, record),
        "can_view_cmdb": CMDBPolicy.can_view(user),
        "impacts": impacts,
        "more_cis": more_cis,
        "version_oob": False,
    }
    context.update(record_approval_context(record))
    context.update(request_fulfilment_context(record=record, user=user))
    context.update(extra)
    return context


def record_page(request, record, *, status: int = 200, **extra):
    """The full record page for an agent (dispatched to by `views.record_detail`)."""
    if not IncidentPolicy.is_agent(request.user):
        raise Http404
    return render(
        request, "incidents/workspace/record.html", _context(request, record, **extra), status=status
    )


def _answer(request, record, *, main: str, page_version, before: int, message: str = "", **extra):
    """After an action: the record page again (no JavaScript), or the changed panels (htmx)."""
    if not request.htmx:
        if message:
            messages.success(request, message)
        return redirect("record", record.number)
    record = record_for(request, record.number)
    if record.status in FINAL_STATUSES:
        # A finished record's page loses its forms: load it whole.
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    others = ["header", "sla", "assignment", "transitions", "timeline"]
    if main == "conversation":
        others.remove("timeline")
    elif main in others:
        others.remove(main)
    context = _context(request, record, **extra)
    context["parts"] = [(PARTS[main], False), *[(PARTS[name], True) for name in others]]
    context["version_oob"] = page_version == str(before)
    context["flash"] = message
    context["flash_target"] = main
    return render(request, "incidents/workspace/_record_htmx.html", context)


def _failed(request, record, *, main: str, status: int, **extra):
    """A refused action: the panel with its errors (htmx swaps only 2xx answers), or the whole page."""
    if request.htmx:
        context = _context(request, record, **extra)
        context["parts"] = [(PARTS[main], False)]
        return render(request, "incidents/workspace/_record_htmx.html", context)
    return record_page(request, record, status=status, **extra)


def _edit_conflicts(request, record, form: RecordEditForm, merge):
    """The record as it is now, with the agent's changes kept and the fields both changed to choose (412)."""
    kept, conflicts = form.rebased(
        RecordEditForm.current_values(record), version=record.version, merge=merge, record=record
    )
    return record_page(request, record, status=412, edit_form=kept, stale=True, conflicts=conflicts)


@agent_required
@require_POST
def record_edit(request, number):
    """Save the fields the agent changed, merged over what others saved since the page was read.

    A field that someone else changed too, to another value, is a conflict: nothing is saved, and the page
    (412) shows both values for the agent to choose. Fields the agent did not touch are never written.
    """
    record = record_for(request, number)
    form = RecordEditForm(request.POST, record=record)
    if not form.is_valid():
        return record_page(request, record, status=400, edit_form=form)
    try:
        record, merge = merge_and_save(
            form,
            record,
            values=RecordEditForm.current_values,
            reload=lambda: record_for(request, number),
            save=lambda row, changes, version: services.incident_update(
                record=row, actor=request.user, expected_version=version, **changes
            ),
        )
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return record_page(request, record, status=400, edit_form=form)
    if not merge.saved:
        return _edit_conflicts(request, record, form, merge)
    if merge.others:
        labels = ", ".join(str(form.fields[name].label) for name in merge.others)
        messages.success(
            request,
            _("The record was saved. Others changed %(fields)s meanwhile; their changes are kept.")
            % {"fields": labels},
        )
    else:
        messages.success(request, _("The record was saved."))
    return redirect("record", record.number)


@agent_required
@require_POST
def record_assign(request, number):
    """Save the assignment panel, or "Assign to me" (`assign_to_me` or `take_into`), whose refusal is
    shown beside its button (and, without htmx, at the top of the page) rather than on the form's fields.
    """
    record = record_for(request, number)
    before, page_version = record.version, request.POST.get("version")
    form = AssignForm(request.POST, record=record)
    to_me = "assign_to_me" in request.POST or "take_into" in request.POST
    try:
        if to_me:
            changes = AssignToMeForm(request.POST, user=request.user).changes()
        elif form.is_valid():
            current = AssignForm.current_values(record)
            merge = form.merge(current)
            form.report_conflicts(current, merge)
            if merge.conflicts:
                return _failed(request, record, main="assignment", status=412, assign_form=form)
            changes = merge.changes
        else:
            return _failed(request, record, main="assignment", status=400, assign_form=form)
        record = services.incident_assign(record=record, actor=request.user, **changes)
    except ValidationError as exc:
        if not to_me:
            apply_service_errors(form, exc)
            return _failed(request, record, main="assignment", status=400, assign_form=form)
        # Where the agent is looking: beside the button in the swapped panel, or atop a reloaded page.
        error = " ".join(exc.messages)
        if request.htmx:
            return _failed(request, record, main="assignment", status=400, assign_error=error)
        messages.error(request, error)
        return record_page(request, record, status=400)
    return _answer(
        request,
        record,
        main="assignment",
        page_version=page_version,
        before=before,
        message=_("The assignment was saved."),
    )


@agent_required
@require_POST
def record_transition(request, number):
    """Fire one of the allowed transitions with the inputs its small form collected."""
    record = record_for(request, number)
    before, page_version = record.version, request.POST.get("version")
    name = request.POST.get("transition", "")
    allowed = {t["name"]: t for t in services.allowed_transitions(record=record, user=request.user)}
    if name not in allowed:
        message = _("This record cannot be moved that way now.")
        if request.htmx:
            return _failed(request, record, main="transitions", status=409, transition_error=message)
        messages.error(request, message)
        return record_page(request, record, status=409)
    transition = allowed[name]
    form = transition_form_class(transition, group=record.support_group)(request.POST, prefix=name)
    if not form.is_valid():
        return _failed(request, record, main="transitions", status=400, transition_form=form)
    inputs = {key: value for key, value in form.cleaned_data.items() if value not in (None, "")}
    try:
        record = services.incident_transition(
            record=record, actor=request.user, to=transition["to"], **inputs
        )
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return _failed(request, record, main="transitions", status=400, transition_form=form)
    except InvalidTransition as exc:
        return _failed(request, record, main="transitions", status=409, transition_error=str(exc.message))
    return _answer(
        request,
        record,
        main="transitions",
        page_version=page_version,
        before=before,
        message=_("The record is now %(status)s.") % {"status": record.get_status_display().lower()},
    )


@agent_required
@require_POST
def record_comment(request, number):
    """A public reply or an internal work note, with files."""
    record = record_for(request, number)
    before, page_version = record.version, request.POST.get("version")
    form = CommentForm(request.POST, request.FILES)
    if not form.is_valid():
        return _failed(request, record, main="conversation", status=400, comment_form=form)
    try:
        services.incident_comment(
            record=record,
            actor=request.user,
            body=form.cleaned_data["body"],
            is_public=form.cleaned_data["visibility"] == CommentForm.PUBLIC,
            uploads=form.cleaned_data["attachments"],
        )
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return _failed(request, record, main="conversation", status=400, comment_form=form)
    message = (
        _("Your reply was added.")
        if form.cleaned_data["visibility"] == CommentForm.PUBLIC
        else _("Your work note was added.")
    )
    return _answer(
        request, record, main="conversation", page_version=page_version, before=before, message=message
    )


def _other_record(request, form, field: str = "number"):
    try:
        return record_for(request, form.cleaned_data[field])
    except (NotFound, Http404):
        return None


def _report(request, exc: Exception) -> None:
    if isinstance(exc, ValidationError):
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.error(request, str(exc.message))


@agent_required
@require_POST
def record_parent(request, number):
    """Make this record a child of another (by number), or detach it from its parent."""
    record = record_for(request, number)
    if "detach" in request.POST:
        parent = None
    else:
        form = NumberForm(request.POST, prefix="parent")
        parent = _other_record(request, form) if form.is_valid() else None
        if parent is None:
            messages.error(request, _("No record with that number was found."))
            return redirect("record", record.number)
    try:
        services.incident_set_parent(record=record, actor=request.user, parent=parent)
    except (ValidationError, InvalidTransition) as exc:
        _report(request, exc)
    else:
        if parent is None:
            messages.success(request, _("The record was detached from its parent."))
        else:
            messages.success(
                request, _("The record is now a child of %(number)s.") % {"number": parent.number}
            )
    return redirect("record", record.number)


@agent_required
@require_POST
def record_merge(request, number):
    """Close this record as a duplicate of another (confirmed), and go to that one."""
    record = record_for(request, number)
    form = MergeForm(request.POST, prefix="merge")
    if not form.is_valid():
        for errors in form.errors.values():
            for text in errors:
                messages.error(request, text)
        return redirect("record", record.number)
    target = _other_record(request, form)
    if target is None:
        messages.error(request, _("No record with that number was found."))
        return redirect("record", record.number)
    try:
        target = services.incident_merge(duplicate=record, target=target, actor=request.user)
    except ValidationError as exc:
        _report(request, exc)
        return redirect("record", record.number)
    messages.success(request, _("%(duplicate)s was merged into this record.") % {"duplicate": record.number})
    return redirect("record", target.number)


@agent_required
@require_POST
def record_major(request, number):
    """Declare or stand down a major incident; refused (403) without the right to."""
    record = record_for(request, number)
    form = MajorForm(request.POST)
    form.is_valid()
    is_major = bool(form.cleaned_data.get("is_major"))
    services.incident_declare_major(
        record=record, actor=request.user, is_major=is_major, reason=form.cleaned_data.get("reason", "")
    )
    messages.success(
        request,
        _("A major incident was declared.") if is_major else _("The major incident was stood down."),
    )
    return redirect("record", record.number)
