"""The release's record page (`RELEASE_KIND.page`, dispatched to by the kernel's `/records/<number>/`) and
its actions: edit, the changes it bundles, the go/no-go checklist, transitions with their inputs, comments
and work notes. The artifacts, the waves and the rollback are drawn by their own modules
(`views_artifacts`, `views_deployments`, `views_rollback`), whose contexts this page merges; links and
approvals are the kernel's.

Who sees every release sees the whole page; the requester who raised one sees it read-only (its details
and public activity, and may comment); anyone else gets 404. Each action posts to its own address, calls
one service and goes back to the page; a refusal draws the page again with the form's errors (400), a
refusal (403), the allowed moves or the illegal state (409) or the current values (412).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicedesk.api.records import records_from_numbers
from servicedesk.approvals.selectors import record_approval_context
from servicedesk.errors import ApplicationError, InvalidTransition, NotFound, StaleWrite
from servicedesk.form_errors import apply_service_errors
from servicedesk.kinds import parse_number
from servicedesk.records.page_forms import CommentForm, comment_submit, edit_submit, posted_version
from servicedesk.records.selectors import links_context, record_timeline
from servicedesk.records.transitions import record_transition, transitions_allowed

from .forms import BundleForm, ChecklistForm, ReleaseEditForm, transition_form, transition_inputs
from .links import RELEASE_CHANGES
from .permissions import ReleasePolicy
from .selectors import release_changes, release_get_for_user
from .services.gonogo import checklist, release_checklist_update
from .services.lifecycle import release_change_add, release_change_remove, release_update
from .views import may_read_releases
from .views_artifacts import artifacts_context
from .views_deployments import deployment_context
from .views_rollback import rollback_context

MAX_CIS_SHOWN = 100  # target CIs drawn on the page; more are counted


def release_for(request, number: str):
    """The release this address names, if the person may see it; 404 otherwise."""
    parsed = parse_number(number)
    if parsed is None or parsed[0].code != "release":
        raise Http404
    try:
        return release_get_for_user(user=request.user, number=parsed[1])
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


def _panels(request, record) -> dict:
    """The artifacts, the waves and the rollback, drawn by their own modules."""
    return {
        **artifacts_context(request, record),
        **deployment_context(request, record),
        **rollback_context(request, record),
    }


def _workspace_context(request, record, extra: dict) -> dict:
    user = request.user
    links = links_context(record, user)
    # The bundled changes have their own card: the links panel shows the others.
    links["record_links"] = [group for group in links["record_links"] if group["type"] != RELEASE_CHANGES]
    can_keep_checklist = ReleasePolicy.can_keep_checklist(user, record)
    checklist_form = extra.pop("checklist_form", None)
    if checklist_form is None and can_keep_checklist:
        checklist_form = ChecklistForm(record=record)
    return {
        "workspace": True,
        "edit_form": extra.pop("edit_form", None) or ReleaseEditForm(record=record),
        "transitions": _transitions(record, user, extra.pop("transition_form", None)),
        "can_edit": ReleasePolicy.can_edit(user, record),
        "can_add_work_note": ReleasePolicy.can_add_work_note(user, record),
        "can_bundle": ReleasePolicy.can_bundle(user, record),
        "bundle_form": extra.pop("bundle_form", None) or BundleForm(),
        "checklist": checklist(record),
        "can_keep_checklist": can_keep_checklist,
        "checklist_form": checklist_form,
        **links,
        **record_approval_context(record),
        **_panels(request, record),
    }


def _context(request, record, **extra) -> dict:
    user = request.user
    cis = record.target_cis.select_related("ci_class").order_by("name", "pk")
    shown = list(cis[: MAX_CIS_SHOWN + 1])
    context = {
        "record": record,
        "workspace": False,
        "comment_form": extra.pop("comment_form", None) or CommentForm(),
        "entries": record_timeline(record=record, user=user),
        "show_internal": ReleasePolicy.can_see_internal(user, record),
        "can_comment": ReleasePolicy.can_comment(user, record),
        "services": list(record.services.order_by("name", "pk")),
        "target_cis": shown[:MAX_CIS_SHOWN],
        "target_ci_count": cis.count() if len(shown) > MAX_CIS_SHOWN else len(shown),
        "bundled": list(release_changes(record).select_related("assignee")),
    }
    if may_read_releases(user):
        context.update(_workspace_context(request, record, extra))
    context.update(extra)
    return context


def release_page(request, record, *, status: int = 200, **extra):
    """The release's page: whole for who sees every release, read-only for the requester who raised it
    (the kernel's dispatch has already refused anyone who may not see it)."""
    if not ReleasePolicy.can_see(request.user, record):
        raise Http404
    return render(request, "releases/record.html", _context(request, record, **extra), status=status)


def _refused(request, number: str, exc: ApplicationError, **extra):
    """The page again as the release is now, with the refusal."""
    return release_page(request, release_for(request, number), status=exc.status_code, **extra)


def _stale(request, number: str, **extra):
    text = _("Someone changed this release meanwhile: check it as it is now, then try again.")
    return release_page(request, release_for(request, number), status=412, **{**extra, "error": text})


@login_required
@require_POST
def release_edit(request, number):
    """Save the fields the person changed, merged over what others saved since the page was read; a field
    both changed is a conflict: nothing is saved and the page (412) shows both values to choose from."""
    record = release_for(request, number)
    if not may_read_releases(request.user) or not ReleasePolicy.can_edit(request.user, record):
        return release_page(request, record, status=403, error=_("You may not change this release."))
    return edit_submit(
        request,
        record,
        form_class=ReleaseEditForm,
        page=release_page,
        reload=lambda: release_for(request, number),
        update=release_update,
        saved=_("The release was saved."),
        saved_with_others=_(
            "The release was saved. Others changed %(fields)s meanwhile; their changes are kept."
        ),
    )


@login_required
@require_POST
def release_transition(request, number):
    """Fire one of the allowed transitions with the inputs its form collected, at the version the page
    showed: 409 for a move not open now, 400 for missing inputs or a guard's refusal (the checklist
    incomplete, no wave planned), 412 when the release moved on meanwhile."""
    record = release_for(request, number)
    name = request.POST.get("transition", "")
    allowed = {t["name"]: t for t in transitions_allowed(record=record, user=request.user)}
    if name not in allowed or not may_read_releases(request.user):
        return release_page(
            request, record, status=409, transition_error=_("This release cannot be moved that way now.")
        )
    transition = allowed[name]
    form = transition_form(transition, request.POST)
    if not form.is_valid():
        return release_page(request, record, status=400, transition_form=form)
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
        return release_page(request, record, status=400, transition_form=form)
    except StaleWrite:
        return release_page(
            request,
            release_for(request, number),
            status=412,
            transition_error=_(
                "Someone changed this release meanwhile: check it as it is now, then try again."
            ),
        )
    except InvalidTransition as exc:
        return release_page(request, record, status=409, transition_error=str(exc.message))
    except ApplicationError as exc:
        return _refused(request, number, exc, transition_error=str(exc.message))
    messages.success(
        request, _("The release is now %(status)s.") % {"status": record.get_status_display().lower()}
    )
    return redirect("record", record.number)


@login_required
@require_POST
def release_comment(request, number):
    """A work note (who works releases) or a comment (also the requester of the release)."""
    record = release_for(request, number)
    return comment_submit(
        request, record, page=release_page, refused=_("You may not comment on this release.")
    )


@login_required
@require_POST
def release_checklist(request, number):
    """Keep the go/no-go checklist at the version the page showed: 403 for who may not keep it (or not
    now), 400 without the summary or the note, 412 when the release moved on meanwhile."""
    record = release_for(request, number)
    if not may_read_releases(request.user) or not ReleasePolicy.can_keep_checklist(request.user, record):
        return release_page(
            request, record, status=403, error=_("You may not keep this release's checklist.")
        )
    form = ChecklistForm(request.POST, record=record)
    if not form.is_valid():
        return release_page(request, record, status=400, checklist_form=form)
    data = form.cleaned_data
    try:
        release_checklist_update(
            release=record,
            actor=request.user,
            expected_version=data["version"],
            tests_passed=data["tests_passed"],
            test_summary=data["test_summary"],
            communication_sent=data["communication_sent"],
            communication_note=data["communication_note"],
        )
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return release_page(request, record, status=400, checklist_form=form)
    except StaleWrite:
        return _stale(request, number)
    except ApplicationError as exc:
        return _refused(request, number, exc, error=str(exc.message))
    messages.success(request, _("The checklist was saved."))
    return redirect("record", record.number)


def _bundle(request, number, *, add: bool):
    record = release_for(request, number)
    if not may_read_releases(request.user) or not ReleasePolicy.can_bundle(request.user, record):
        return release_page(
            request, record, status=403, error=_("You may not change what this release bundles.")
        )
    form = BundleForm(request.POST)
    if not form.is_valid():
        return release_page(request, record, status=400, bundle_form=form)
    service = release_change_add if add else release_change_remove
    try:
        with transaction.atomic():
            changes = records_from_numbers(
                request.user, form.cleaned_data["changes"], kind="change", field="changes"
            )
            for change in changes:
                service(actor=request.user, release=record, change=change)
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return release_page(request, record, status=400, bundle_form=form)
    except ApplicationError as exc:
        return _refused(request, number, exc, error=str(exc.message))
    numbers = ", ".join(change.number for change in changes)
    if add:
        messages.success(request, _("The release now bundles %(numbers)s.") % {"numbers": numbers})
    else:
        messages.success(request, _("%(numbers)s left the release.") % {"numbers": numbers})
    return redirect("record", record.number)


@login_required
@require_POST
def release_changes_add(request, number):
    """Bundle the approved or scheduled changes named (while the release is prepared): 409 for a change
    another release has or that is not approved, 400 for a number that names no change one may see."""
    return _bundle(request, number, add=True)


@login_required
@require_POST
def release_changes_remove(request, number):
    """Take the changes named out of the release (while it is prepared)."""
    return _bundle(request, number, add=False)
