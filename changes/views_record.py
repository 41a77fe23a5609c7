"""The change's record page (`CHANGE_KIND.page`, dispatched to by the kernel's `/records/<number>/`) and
its actions: edit (fields, plans, planned times), transitions with their inputs, comments and work notes,
and the post-implementation review. Links are the kernel's panel and forms; approvals the kernel's.

Who works changes sees the whole page; a requester who requested the change sees it read-only (its
details, plans and public activity, and may comment), as every requester sees their own records; anyone
else gets 404. Each action posts to its own address, calls one service and goes back to the page; a
refusal draws the page again with the form's errors (400), the allowed moves (409), a refusal (403) or the
current values to choose from (412).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cmdb.models import ConfigurationItem
from incidents.models import Incident
from servicedesk.approvals.selectors import record_approval_context
from servicedesk.errors import ApplicationError, InvalidTransition, NotFound, StaleWrite
from servicedesk.form_errors import apply_service_errors
from servicedesk.kinds import parse_number
from servicedesk.records.page_forms import CommentForm, comment_submit, edit_submit, posted_version
from servicedesk.records.selectors import links_context, record_timeline
from servicedesk.records.transitions import record_transition, transitions_allowed

from . import workflow as wf
from .forms_record import ChangeEditForm, ReviewForm, transition_form, transition_inputs
from .links import CHANGE_AWAITED, CHANGE_CAUSED
from .permissions import ChangePolicy
from .selectors import change_get_for_user
from .services import change_update
from .services.implementation import MAX_CAUSED, change_review, incidents_in_window
from .views import may_read_changes
from .views_agenda import assessment_context
from .views_schedule import conflicts_context


def change_for(request, number: str):
    """The change this address names, if the person may see it; 404 otherwise."""
    parsed = parse_number(number)
    if parsed is None or parsed[0].code != "change":
        raise Http404
    try:
        return change_get_for_user(user=request.user, number=parsed[1])
    except NotFound:
        raise Http404 from None


def _transitions(record, user, bound=None) -> list[dict]:
    allowed = transitions_allowed(record=record, user=user)
    for transition in allowed:
        if bound is not None and bound.prefix == transition["name"]:
            transition["form"] = bound
        else:
            transition["form"] = transition_form(transition)
        transition["has_inputs"] = bool(transition["form"].fields)
    return allowed


def suggested_incidents(record):
    """The incidents the review offers as caused: raised on the change's CIs while it was implemented."""
    ids = list(incidents_in_window(record).values_list("pk", flat=True)[:MAX_CAUSED])
    return Incident.objects.filter(pk__in=ids).order_by("created_at", "id")


def _panels(request, record) -> dict:
    """The assessment (its impact and risk) and the conflicts, drawn by their own modules."""
    return {**assessment_context(request, record), **conflicts_context(record)}


def _workspace_context(request, record, extra: dict) -> dict:
    user = request.user
    links = links_context(record, user)
    by_type = {group["type"]: group["links"] for group in links["record_links"]}
    can_review = ChangePolicy.can_review(user, record)
    review_form = extra.pop("review_form", None)
    if review_form is None and can_review:
        review_form = ReviewForm(record=record, suggested=suggested_incidents(record))
    return {
        "workspace": True,
        "edit_form": extra.pop("edit_form", None) or ChangeEditForm(record=record),
        "transitions": _transitions(record, user, extra.pop("transition_form", None)),
        "can_edit": ChangePolicy.can_edit(user, record),
        "can_add_work_note": ChangePolicy.can_add_work_note(user, record),
        "can_review": can_review,
        "review_form": review_form,
        "maintenance_cis": list(
            ConfigurationItem.objects.filter(pk__in=record.maintenance_cis or []).order_by("name")
        ),
        "caused_links": by_type.get(CHANGE_CAUSED, []),
        "waiting_links": by_type.get(CHANGE_AWAITED, []),
        **links,
        **record_approval_context(record),
        **_panels(request, record),
    }


def _context(request, record, **extra) -> dict:
    user = request.user
    context = {
        "record": record,
        "workspace": False,
        "comment_form": extra.pop("comment_form", None) or CommentForm(),
        "entries": record_timeline(record=record, user=user),
        "show_internal": ChangePolicy.can_see_internal(user, record),
        "can_comment": ChangePolicy.can_comment(user, record),
        "services": list(record.services.all()),
        "affected_cis": list(record.affected_cis.select_related("ci_class")),
        "reviewable_statuses": wf.REVIEWABLE_STATUSES,
    }
    if may_read_changes(user):
        context.update(_workspace_context(request, record, extra))
    context.update(extra)
    return context


def change_page(request, record, *, status: int = 200, **extra):
    """The change's page: whole for who works changes, read-only for the requester who requested it (the
    kernel's dispatch has already refused anyone who may not see it)."""
    if not ChangePolicy.can_see(request.user, record):
        raise Http404
    return render(request, "changes/record.html", _context(request, record, **extra), status=status)


@login_required
@require_POST
def change_edit(request, number):
    """Save the fields the person changed, merged over what others saved since the page was read; a field
    both changed is a conflict: nothing is saved and the page (412) shows both values to choose from."""
    record = change_for(request, number)
    if not may_read_changes(request.user) or not ChangePolicy.can_edit(request.user, record):
        return change_page(request, record, status=403, error=_("You may not change this change."))
    return edit_submit(
        request,
        record,
        form_class=ChangeEditForm,
        page=change_page,
        reload=lambda: change_for(request, number),
        update=change_update,
        saved=_("The change was saved."),
        saved_with_others=_(
            "The change was saved. Others changed %(fields)s meanwhile; their changes are kept."
        ),
    )


@login_required
@require_POST
def change_transition(request, number):
    """Fire one of the allowed transitions with the inputs its form collected, at the version the page
    showed: 409 for a move not open now (or refused by its guard: a conflict, missing plans), 400 for
    missing inputs, 412 when the change moved on meanwhile."""
    record = change_for(request, number)
    name = request.POST.get("transition", "")
    allowed = {t["name"]: t for t in transitions_allowed(record=record, user=request.user)}
    if name not in allowed or not may_read_changes(request.user):
        return change_page(
            request, record, status=409, transition_error=_("This change cannot be moved that way now.")
        )
    transition = allowed[name]
    form = transition_form(transition, request.POST)
    if not form.is_valid():
        return change_page(request, record, status=400, transition_form=form)
    try:
        record = record_transition(
            record=record,
            actor=request.user,
            to=transition["to"],
            expected_version=posted_version(request),
            **transition_inputs(form),
        )
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return change_page(request, record, status=400, transition_form=form)
    except StaleWrite:
        return change_page(
            request,
            change_for(request, number),
            status=412,
            transition_error=_(
                "Someone changed this change meanwhile: check it as it is now, then try again."
            ),
        )
    except InvalidTransition as exc:
        return change_page(request, record, status=409, transition_error=str(exc.message))
    except ApplicationError as exc:
        return change_page(
            request, change_for(request, number), status=exc.status_code, transition_error=str(exc.message)
        )
    messages.success(
        request, _("The change is now %(status)s.") % {"status": record.get_status_display().lower()}
    )
    return redirect("record", record.number)


@login_required
@require_POST
def change_comment(request, number):
    """A work note (who works changes) or a comment (also the requester of the change)."""
    record = change_for(request, number)
    return comment_submit(request, record, page=change_page, refused=_("You may not comment on this change."))


@login_required
@require_POST
def change_review_submit(request, number):
    """Record the post-implementation review (outcome, incidents caused, lessons) at the version the page
    showed: 409 before the change is implemented, failed or backed out, 412 when it moved on meanwhile."""
    record = change_for(request, number)
    if not may_read_changes(request.user):
        return change_page(request, record, status=403, error=_("You may not review this change."))
    form = ReviewForm(request.POST, record=record, suggested=suggested_incidents(record))
    if not form.is_valid():
        return change_page(request, record, status=400, review_form=form)
    data = form.cleaned_data
    try:
        change_review(
            record=record,
            actor=request.user,
            outcome=data["outcome"],
            lessons=data.get("lessons") or "",
            caused=list(data.get("caused") or ()),
            expected_version=data["version"],
        )
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return change_page(request, record, status=400, review_form=form)
    except StaleWrite:
        return change_page(
            request,
            change_for(request, number),
            status=412,
            error=_("Someone changed this change meanwhile: check it as it is now, then try again."),
        )
    except ApplicationError as exc:
        return change_page(
            request, change_for(request, number), status=exc.status_code, error=str(exc.message)
        )
    messages.success(request, _("The review was recorded."))
    return redirect("record", record.number)
