"""The problem's record page (`PROBLEM_KIND.page`, dispatched to by the kernel's `/records/<number>/`) and
its actions: edit (classification and root-cause analysis), transitions with their inputs, comments and
work notes, and the known error's publication. Links to incidents are the kernel's panel and forms.

Each action posts to its own address, calls one service and goes back to the page; a refusal draws the page
again with the form's errors (400), the allowed moves (409) or the current values to choose from (412).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from servicedesk.errors import ApplicationError, InvalidTransition, NotFound, StaleWrite
from servicedesk.form_errors import apply_service_errors
from servicedesk.kinds import parse_number
from servicedesk.records.page_forms import CommentForm, comment_submit, edit_submit, posted_version
from servicedesk.records.selectors import links_context, record_timeline
from servicedesk.records.transitions import record_transition, transitions_allowed

from .deflection import deflection_counts
from .forms import KnownErrorStatusForm, ProblemEditForm, transition_form
from .models import KnownError
from .permissions import ProblemPolicy
from .selectors import known_error_usage, problem_get_for_user
from .services import known_error_publish, problem_update
from .views import may_read_problems, problems_reader_required

# The publication moves offered from each status of a known error (or before there is one: None).
PUBLISH_MOVES = {
    None: (KnownError.Status.DRAFT, KnownError.Status.AGENTS, KnownError.Status.PORTAL),
    KnownError.Status.DRAFT: (KnownError.Status.AGENTS, KnownError.Status.PORTAL, KnownError.Status.RETIRED),
    KnownError.Status.AGENTS: (KnownError.Status.PORTAL, KnownError.Status.RETIRED),
    KnownError.Status.PORTAL: (KnownError.Status.AGENTS, KnownError.Status.RETIRED),
    KnownError.Status.RETIRED: (KnownError.Status.AGENTS, KnownError.Status.PORTAL),
}
PUBLISH_LABELS = {
    KnownError.Status.DRAFT: gettext_lazy("Save as a draft"),
    KnownError.Status.AGENTS: gettext_lazy("Publish to agents"),
    KnownError.Status.PORTAL: gettext_lazy("Publish to the portal"),
    KnownError.Status.RETIRED: gettext_lazy("Retire"),
}
KNOWN = ("known_error", "resolved", "closed")
NO_DEFLECTIONS = {"shown": 0, "accepted": 0, "filed": 0}


def problem_for(request, number: str):
    parsed = parse_number(number)
    if parsed is None or parsed[0].code != "problem":
        raise Http404
    try:
        return problem_get_for_user(user=request.user, number=parsed[1])
    except NotFound:
        raise Http404 from None


def _transitions(record, user, bound=None, error_for: str = "") -> list[dict]:
    allowed = transitions_allowed(record=record, user=user)
    for transition in allowed:
        if bound is not None and bound.prefix == transition["name"]:
            transition["form"] = bound
        else:
            transition["form"] = transition_form(transition, record)
        transition["has_inputs"] = bool(transition["form"].fields)
    return allowed


def _known_error_panel(record, user) -> dict:
    known_error = KnownError.objects.filter(problem=record).prefetch_related("services", "cis").first()
    usage = known_error_usage([known_error]).get(known_error.pk, {}) if known_error else {}
    deflections = deflection_counts([known_error]).get(known_error.pk, {}) if known_error else {}
    status = known_error.status if known_error else None
    moves = []
    if ProblemPolicy.is_manager(user) and (record.status in KNOWN or known_error is not None):
        moves = [
            {"status": value, "label": PUBLISH_LABELS[value]}
            for value in PUBLISH_MOVES[status]
            if record.status in KNOWN or value == KnownError.Status.RETIRED
        ]
    return {
        "known_error": known_error,
        "usage": {"applied": usage.get("applied", 0), "reopened": usage.get("reopened", 0)},
        "deflections": {**NO_DEFLECTIONS, **deflections},
        "publish_moves": moves,
    }


def _context(request, record, **extra) -> dict:
    user = request.user
    context = {
        "record": record,
        "edit_form": extra.pop("edit_form", None) or ProblemEditForm(record=record),
        "comment_form": extra.pop("comment_form", None) or CommentForm(),
        "transitions": _transitions(record, user, extra.pop("transition_form", None)),
        "entries": record_timeline(record=record, user=user),
        "show_internal": ProblemPolicy.can_see_internal(user, record),
        "can_edit": ProblemPolicy.can_edit(user, record),
        "can_comment": ProblemPolicy.can_comment(user, record),
        "affected_cis": list(record.affected_cis.select_related("ci_class")),
        "contributing_cis": list(record.contributing_cis.select_related("ci_class")),
        **_known_error_panel(record, user),
        **links_context(record, user),
    }
    context.update(extra)
    return context


def problem_page(request, record, *, status: int = 200, **extra):
    """The problem's page for who may read problems in the workspace (404 for anyone else)."""
    if not may_read_problems(request.user):
        raise Http404
    return render(request, "problems/record.html", _context(request, record, **extra), status=status)


@problems_reader_required
@require_POST
def problem_edit(request, number):
    """Save the fields the agent changed, merged over what others saved since the page was read; a field
    both changed is a conflict: nothing is saved and the page (412) shows both values to choose from."""
    record = problem_for(request, number)
    if not ProblemPolicy.can_edit(request.user, record):
        return problem_page(request, record, status=403, error=_("You may not change this problem."))
    return edit_submit(
        request,
        record,
        form_class=ProblemEditForm,
        page=problem_page,
        reload=lambda: problem_for(request, number),
        update=problem_update,
        saved=_("The problem was saved."),
        saved_with_others=_(
            "The problem was saved. Others changed %(fields)s meanwhile; their changes are kept."
        ),
    )


@problems_reader_required
@require_POST
def problem_transition(request, number):
    """Fire one of the allowed transitions with the inputs its form collected, at the version the page
    showed: 409 for a move not open now, 400 for missing inputs (the guard's words on its fields), 412 when
    the problem changed meanwhile."""
    record = problem_for(request, number)
    name = request.POST.get("transition", "")
    allowed = {t["name"]: t for t in transitions_allowed(record=record, user=request.user)}
    if name not in allowed:
        return problem_page(
            request, record, status=409, transition_error=_("This problem cannot be moved that way now.")
        )
    transition = allowed[name]
    form = transition_form(transition, record, request.POST)
    if not form.is_valid():
        return problem_page(request, record, status=400, transition_form=form)
    inputs = {key: value for key, value in form.cleaned_data.items() if value not in (None, "")}
    if "no_workaround" in form.fields:
        inputs["no_workaround"] = bool(form.cleaned_data.get("no_workaround"))
    try:
        record = record_transition(
            record=record,
            actor=request.user,
            to=transition["to"],
            expected_version=posted_version(request),
            **inputs,
        )
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return problem_page(request, record, status=400, transition_form=form)
    except StaleWrite:
        record = problem_for(request, number)
        return problem_page(
            request,
            record,
            status=412,
            transition_error=_(
                "Someone changed this problem meanwhile: check it as it is now, then try again."
            ),
        )
    except InvalidTransition as exc:
        return problem_page(request, record, status=409, transition_error=str(exc.message))
    except ApplicationError as exc:
        return problem_page(request, record, status=exc.status_code, transition_error=str(exc.message))
    messages.success(
        request, _("The problem is now %(status)s.") % {"status": record.get_status_display().lower()}
    )
    return redirect("record", record.number)


@problems_reader_required
@require_POST
def problem_comment(request, number):
    """A work note (agents only) or a comment on the problem."""
    record = problem_for(request, number)
    return comment_submit(
        request, record, page=problem_page, refused=_("You may not comment on this problem.")
    )


@problems_reader_required
@require_POST
def known_error_status(request, number):
    """Publish the problem's known error (to agents, to the portal), keep it a draft, or retire it.
    Problem managers only (403); 409 while the problem's error is not known yet."""
    record = problem_for(request, number)
    form = KnownErrorStatusForm(request.POST)
    if not form.is_valid():
        return problem_page(request, record, status=400, error=_("Choose what to do with the known error."))
    try:
        known_error_publish(actor=request.user, problem=record, status=form.cleaned_data["status"])
    except ValidationError as exc:
        return problem_page(request, record, status=400, error=" ".join(exc.messages))
    except ApplicationError as exc:
        return problem_page(request, record, status=exc.status_code, error=str(exc.message))
    label = dict(KnownError.Status.choices)[form.cleaned_data["status"]]
    messages.success(request, _("The known error is now: %(status)s.") % {"status": str(label).lower()})
    return redirect("record", record.number)
