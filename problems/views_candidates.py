"""The problem candidates page: what the trend detection proposes, for problem managers to accept or
dismiss, and a button to run the detection now. Anyone else gets 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicedesk.errors import Conflict, NotFound

from .models import ProblemCandidate
from .permissions import ProblemPolicy
from .selectors import candidate_get_for_user, candidate_list_for_user
from .services.candidates import (
    candidate_accept,
    candidate_dismiss,
    candidates_detect,
    trend_days,
    trend_threshold,
)

DECIDED_SHOWN = 20


def _require_manager(user) -> None:
    if not ProblemPolicy.can_decide_candidates(user):
        raise NotFound()


@login_required
def candidate_list(request):
    _require_manager(request.user)
    rows = candidate_list_for_user(user=request.user)
    return render(
        request,
        "problems/candidates.html",
        {
            "proposed": rows.filter(status=ProblemCandidate.Status.PROPOSED).order_by(
                "-incident_count", "-id"
            ),
            "decided": rows.exclude(status=ProblemCandidate.Status.PROPOSED).order_by("-decided_at", "-id")[
                :DECIDED_SHOWN
            ],
            "days": trend_days(),
            "threshold": trend_threshold(),
        },
    )


@login_required
@require_POST
def candidates_detect_view(request):
    _require_manager(request.user)
    summary = candidates_detect()
    messages.success(
        request,
        _("Detection done: %(proposed)d proposed, %(updated)d updated, %(withdrawn)d withdrawn.") % summary,
    )
    return redirect("problem_candidates:list")


@login_required
@require_POST
def candidate_accept_view(request, pk):
    candidate = candidate_get_for_user(user=request.user, pk=pk)
    try:
        problem = candidate_accept(
            actor=request.user, candidate=candidate, title=request.POST.get("title", "")[:200]
        )
    except (Conflict, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(getattr(exc, "message", exc))])))
        return redirect("problem_candidates:list")
    messages.success(
        request, _("%(number)s raised with the candidate's incidents.") % {"number": problem.number}
    )
    return redirect("record", number=problem.number)


@login_required
@require_POST
def candidate_dismiss_view(request, pk):
    candidate = candidate_get_for_user(user=request.user, pk=pk)
    try:
        candidate_dismiss(actor=request.user, candidate=candidate)
    except Conflict as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Dismissed: proposed again only if the group grows."))
    return redirect("problem_candidates:list")
