"""The known error database for agents: browse and search it (words, service, CI; problem managers also
see drafts and retired entries), and from an incident find a known error and apply its workaround
(`services.workaround_apply`), optionally resolving the incident with the code "workaround".
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from incidents.views_record import record_page as incident_page
from servicedesk.errors import ApplicationError
from servicedesk.pagination import CappedPaginator

from .deflection import deflection_counts
from .forms import KnownErrorSearchForm
from .models import KnownError, WorkaroundApplication
from .permissions import ProblemPolicy
from .selectors import incident_by_number_for_user, known_error_search, known_error_usage
from .services import workaround_apply
from .views import problems_reader_required

PAGE_SIZE = 25
PANEL_HITS = 5
APPLICABLE = (KnownError.Status.AGENTS, KnownError.Status.PORTAL)


def _search(request, form: KnownErrorSearchForm, *, applicable: bool):
    data = form.cleaned_data
    rows = known_error_search(
        user=request.user, text=data.get("q") or "", service=data.get("service"), ci=data.get("ci")
    )
    if applicable:
        rows = rows.filter(status__in=APPLICABLE)
    elif data.get("status"):
        rows = rows.filter(status=data["status"])
    return rows.prefetch_related("services")


NO_DEFLECTIONS = {"shown": 0, "accepted": 0, "filed": 0}


def _with_usage(rows, *, deflections: bool = False) -> list:
    """The rows, each with how often its workaround was applied and reopened (one query for all), and
    with `deflections` how often the portal suggested it, it solved the requester's issue and they filed
    anyway (one more query for all)."""
    rows = list(rows)
    usage = known_error_usage(rows)
    counts = deflection_counts(rows) if deflections and rows else {}
    for row in rows:
        row.usage = usage.get(row.pk, {"applied": 0, "reopened": 0})
        if deflections:
            row.portal_counts = {**NO_DEFLECTIONS, **counts.get(row.pk, {})}
    return rows


def _applied_to(incident) -> set[int]:
    if incident is None:
        return set()
    return set(
        WorkaroundApplication.objects.filter(incident=incident).values_list("known_error_id", flat=True)
    )


@problems_reader_required
@require_GET
def kedb(request):
    """The KEDB's page: entries matching the words, service and CI, best match first (newest first
    without words); `?incident=INC…` (the incident panel without JavaScript) offers to apply each."""
    manager = ProblemPolicy.is_manager(request.user)
    form = KnownErrorSearchForm(request.GET or None, statuses=manager)
    valid = not form.is_bound or form.is_valid()
    if not form.is_bound:
        form.cleaned_data = {}
    incident = incident_by_number_for_user(user=request.user, number=request.GET.get("incident", ""))
    rows = _search(request, form, applicable=False) if valid else KnownError.objects.none()
    page = CappedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = _with_usage(page.object_list, deflections=True)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "incident": incident,
        "applied": _applied_to(incident),
        "can_apply": incident is not None and ProblemPolicy.can_apply_workaround(request.user),
        "applicable": APPLICABLE,
    }
    return render(request, "problems/kedb.html", context, status=200 if valid else 400)


@problems_reader_required
@require_GET
def incident_known_errors(request, number):
    """The incident panel's hits (htmx): the published known errors matching what was typed, with their
    workarounds and the buttons to apply them. 404 for an incident the agent may not see."""
    incident = incident_by_number_for_user(user=request.user, number=number)
    if incident is None:
        raise Http404
    form = KnownErrorSearchForm(request.GET)
    valid = form.is_valid()
    hits = _with_usage(_search(request, form, applicable=True)[:PANEL_HITS]) if valid else []
    context = {
        "record": incident,
        "hits": hits,
        "applied": _applied_to(incident),
        "can_apply": ProblemPolicy.can_apply_workaround(request.user),
        "searched": valid,
    }
    return render(request, "problems/_incident_hits.html", context, status=200 if valid else 400)


@problems_reader_required
@require_POST
def workaround_apply_view(request, number):
    """Apply a published known error's workaround to the incident (a work note, the problem linked), and
    with `resolve` resolve it with the code "workaround"; back to the incident's page. The incident's page
    again with why when refused: 403, 400 (not applicable), 409 (already applied, another problem's
    incident, a status that cannot be resolved)."""
    incident = incident_by_number_for_user(user=request.user, number=number)
    if incident is None:
        raise Http404
    key = request.POST.get("known_error", "")
    known_error = (
        ProblemPolicy.known_errors_visible_to(request.user).filter(pk=key).select_related("problem").first()
        if key.isdigit()
        else None
    )
    if known_error is None:
        raise Http404
    resolve = request.POST.get("resolve") == "1"
    try:
        workaround_apply(actor=request.user, incident=incident, known_error=known_error, resolve=resolve)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return incident_page(request, incident, status=400)
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
        return incident_page(request, incident, status=exc.status_code)
    if resolve:
        text = _("The workaround of %(number)s was applied and the incident resolved.")
    else:
        text = _("The workaround of %(number)s was applied.")
    messages.success(request, text % {"number": known_error.problem.number})
    return redirect("record", incident.number)
