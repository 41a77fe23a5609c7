"""Requester portal pages: my records, filing an incident or a request, and the record page with its actions.

Every write goes through `incidents.services`; a refused write (permission, conflict, stale version) becomes
a message on the page, a ValidationError becomes form errors (status 400), never a server error.
"""

from contextlib import nullcontext
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from knowledge.selectors import knowledge_search
from servicedesk.approvals.selectors import approvals_pending_for_user, record_approval_context
from servicedesk.errors import ApplicationError, PermissionDenied
from servicedesk.form_errors import apply_service_errors
from servicedesk.intake.records import follow_up_note
from servicedesk.kinds import parse_number, record_kind
from servicedesk.pagination import CappedPaginator
from servicedesk.records.search import records_search
from servicedesk.services.watchers import watching
from servicedesk.slots import slot_submitted

from . import workflow as wf
from .forms_catalogue import RequestFieldsForm, split_answer_errors
from .forms_portal import (
    CloseForm,
    IncidentForm,
    RateForm,
    ReasonForm,
    ReplyForm,
    RequestForm,
)
from .models import Incident
from .permissions import IncidentPolicy
from .selectors import (
    incident_get_for_user,
    incident_portal_list_for_user,
    incident_timeline,
    request_type_catalogue,
)
from .selectors_fulfilment import request_fulfilment_context
from .selectors_portal import (
    FOLLOWING_SHOWN,
    OUTAGES_SHOWN,
    WAITING_SHOWN,
    incident_following_for_user,
    incident_waiting_for_user,
    outage_list_for_user,
    with_waiting_mark,
)
from .services import (
    allowed_transitions,
    incident_comment,
    incident_create,
    incident_rate,
    incident_transition,
)

PAGE_SIZE = 20
RESOLVED_TAB = [wf.RESOLVED, wf.CLOSED]
TABS = [
    ("open", gettext_lazy("Open")),
    ("resolved", gettext_lazy("Resolved")),
    ("all", gettext_lazy("All")),
]
# Portal action -> (status it leads to, its form)
ACTIONS = {
    "close": (wf.CLOSED, CloseForm),
    "reopen": (wf.IN_PROGRESS, ReasonForm),
    "cancel": (wf.CANCELLED, ReasonForm),
}


def _require_portal(user) -> None:
    if not user.has_perm("servicedesk.access_portal"):
        raise PermissionDenied(_("You may not use the self-service portal."))


def _require_filing(user) -> None:
    _require_portal(user)
    if not IncidentPolicy.can_file(user):
        raise PermissionDenied(_("You may not file records."))


def portal_context(request) -> dict:
    """The portal home's records: one tab (open, resolved, all), one page, counts by tab; constant queries."""
    tab = request.GET.get("tab", "open")
    if tab not in dict(TABS):
        tab = "open"
    records = with_waiting_mark(incident_portal_list_for_user(user=request.user), user=request.user)
    words = request.GET.get("q", "").strip()[:200]
    if words:
        # Best match first, within what the person follows (servicedesk.records.search).
        records = records_search(records, words, kind=record_kind("incident"))
    counts = records.order_by().aggregate(
        open=Count("pk", filter=Q(status__in=wf.OPEN_STATUSES)),
        resolved=Count("pk", filter=Q(status__in=RESOLVED_TAB)),
        all=Count("pk"),
    )
    if tab == "open":
        records = records.filter(status__in=wf.OPEN_STATUSES)
    elif tab == "resolved":
        records = records.filter(status__in=RESOLVED_TAB)
    # The tab's size is already counted: the paginator needs no count query of its own.
    page = CappedPaginator(records, PAGE_SIZE, count=counts[tab]).get_page(request.GET.get("page"))
    return {
        "tab": tab,
        "q": words,
        "page_query": urlencode({"tab": tab, **({"q": words} if words else {})}),
        "tabs": [(key, label, counts[key]) for key, label in TABS],
        "page": page,
        "shares_records": IncidentPolicy.shared_organisation(request.user) is not None,
        "can_file": IncidentPolicy.can_file(request.user),
        **portal_news_context(request),
    }


def portal_news_context(request) -> dict:
    """Above the records: what waits for the person (records, approvals they must give), the outages on
    the services and the records they follow; a few queries whatever the rows."""
    user = request.user
    return {
        "waiting": list(incident_waiting_for_user(user=user)[:WAITING_SHOWN]),
        "approvals_waiting": approvals_pending_for_user(user=user).count(),
        "outages": list(outage_list_for_user(user=user)[:OUTAGES_SHOWN]),
        "following": list(incident_following_for_user(user=user)[:FOLLOWING_SHOWN]),
    }


@login_required
def portal_home(request):
    _require_portal(request.user)
    return render(
        request,
        "incidents/portal/home.html",
        {"profile": request.user, **portal_context(request)},
    )


# Filing


def _filed(request, record: Incident):
    if record.is_request:
        message = _("Thank you. Your request %(number)s is recorded; you can follow it here.")
    else:
        message = _("Thank you. Your incident %(number)s is recorded; you can follow it here.")
    messages.success(request, message % {"number": record.number})
    return redirect("record", record.number)


def _follow_up_of(request) -> Incident | None:
    """The closed record a new incident follows up ("Still a problem?"), from `follow_up` (a number):
    one the person sees and that is closed; 404 otherwise."""
    number = (request.POST if request.method == "POST" else request.GET).get("follow_up", "")
    if not number:
        return None
    previous = _get(request, number)
    if previous.status != wf.CLOSED or not IncidentPolicy.takes_part(request.user, previous):
        raise Http404()
    return previous


def _follow_up_initial(previous: Incident) -> dict:
    title = _("Still a problem: %(title)s") % {"title": previous.title}
    return {
        "title": title[:200],
        "service": previous.service_id,
        "description": _("This follows up %(number)s, which was closed.") % {"number": previous.number},
    }


@login_required
def new_incident(request):
    """Report a problem: title, description, optional service, urgency in words, files. With
    `follow_up` (a closed record's number), the new incident is prefilled from it and linked to it."""
    _require_filing(request.user)
    previous = _follow_up_of(request)
    status = 200
    if request.method == "POST":
        form = IncidentForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                # A follow-up is filed and noted on both records at once.
                with transaction.atomic() if previous is not None else nullcontext():
                    record = incident_create(
                        actor=request.user,
                        kind=Incident.Kind.INCIDENT,
                        title=data["title"],
                        description=data["description"],
                        service=data["service"],
                        urgency=data["urgency"],
                        channel=Incident.Channel.PORTAL,
                        uploads=data["attachments"],
                    )
                    if previous is not None:
                        follow_up_note(record=record, previous=previous, actor=request.user)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                slot_submitted("portal_new_incident", request, record=record)
                return _filed(request, record)
        status = 400
    else:
        form = IncidentForm(initial=_follow_up_initial(previous) if previous is not None else None)
    return render(
        request,
        "incidents/portal/new_incident.html",
        {"form": form, "follow_up_of": previous},
        status=status,
    )


@login_required
def catalogue(request):
    """Request something: the business services and the request types they offer."""
    _require_filing(request.user)
    return render(request, "incidents/portal/catalogue.html", {"request_types": request_type_catalogue()})


@login_required
def new_request(request, request_type):
    """Request one thing from the catalogue: the title starts as the request type's name, and the type's
    own fields (its form schema) follow the common ones."""
    _require_filing(request.user)
    request_type = request_type_catalogue().filter(pk=request_type).first()
    if request_type is None:
        raise Http404()
    status = 200
    if request.method == "POST":
        form = RequestForm(request.POST, request.FILES, request_type=request_type)
        fields_form = RequestFieldsForm(request.POST, request.FILES, schema=request_type.form_schema)
        if form.is_valid() & fields_form.is_valid():
            data = form.cleaned_data
            answers, files = fields_form.answers()
            try:
                record = incident_create(
                    actor=request.user,
                    kind=Incident.Kind.REQUEST,
                    title=data["title"],
                    description=data["description"],
                    request_type=request_type,
                    urgency=data["urgency"],
                    channel=Incident.Channel.PORTAL,
                    uploads=data["attachments"],
                    form_data=answers,
                    form_files=files,
                )
            except ValidationError as exc:
                split_answer_errors(exc, main=form, fields=fields_form)
            else:
                return _filed(request, record)
        status = 400
    else:
        form = RequestForm(request_type=request_type)
        fields_form = RequestFieldsForm(schema=request_type.form_schema)
    return render(
        request,
        "incidents/portal/new_request.html",
        {"form": form, "fields_form": fields_form, "request_type": request_type},
        status=status,
    )


# The record page


def _get(request, number: str) -> Incident:
    parsed = parse_number(number)
    return incident_get_for_user(user=request.user, number=parsed[1] if parsed else number)


def _version_initial(record: Incident) -> dict:
    return {"version": record.version}


def _record_context(request, record: Incident, **forms) -> dict:
    user = request.user
    is_requester = wf.is_requester(record, user)
    reopen_until = None
    if record.status == wf.RESOLVED and record.resolved_at is not None:
        reopen_until = record.resolved_at + timedelta(days=settings.ITSM_REOPEN_WINDOW_DAYS)
    context = {
        "record": record,
        "entries": incident_timeline(record=record, user=user),
        "transitions": {t["name"]: t for t in allowed_transitions(record=record, user=user)},
        "is_requester": is_requester,
        "can_reply": IncidentPolicy.can_comment(user, record),
        "reply_reopens": is_requester and record.status == wf.RESOLVED and wf.within_reopen_window(record),
        "reopen_until": reopen_until,
        "can_rate": record.status == wf.CLOSED and IncidentPolicy.can_rate(user, record),
        "can_follow_up": record.status == wf.CLOSED
        and IncidentPolicy.can_file(user)
        and IncidentPolicy.takes_part(user, record),
        "watching": not is_requester and watching(record, user),
        "reply_form": ReplyForm(),
        "close_form": CloseForm(prefix="close", initial=_version_initial(record)),
        "reopen_form": ReasonForm(prefix="reopen", initial=_version_initial(record)),
        "cancel_form": ReasonForm(prefix="cancel", initial=_version_initial(record)),
        "rate_form": RateForm(prefix="rate"),
    }
    context.update(record_approval_context(record))
    context.update(request_fulfilment_context(record=record, user=user))
    context.update(forms)
    return context


def record_page(request, record: Incident, *, status: int = 200, **forms):
    """The requester's view of a record (dispatched from `views.record_detail`)."""
    return render(
        request, "incidents/portal/record.html", _record_context(request, record, **forms), status=status
    )


@login_required
@require_POST
def reply(request, number):
    """A public comment with files. A requester's reply to a resolved record reopens it (the service does)."""
    record = _get(request, number)
    was_resolved = record.status == wf.RESOLVED
    was_waiting = record.status == wf.ON_HOLD and record.hold_reason == Incident.HoldReason.REQUESTER
    form = ReplyForm(request.POST, request.FILES)
    status = 200
    if form.is_valid():
        try:
            incident_comment(
                record=record,
                actor=request.user,
                body=form.cleaned_data["body"],
                is_public=True,
                uploads=form.cleaned_data["attachments"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
            status = 400
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
        else:
            record = _get(request, number)
            if was_resolved and record.status != wf.RESOLVED:
                messages.warning(
                    request,
                    _("Your reply reopened %(number)s. The service desk will look at it again.")
                    % {"number": record.number},
                )
            elif was_waiting and record.status != wf.ON_HOLD:
                messages.success(
                    request,
                    _("Thank you for your answer. The service desk is working on %(number)s again.")
                    % {"number": record.number},
                )
            else:
                messages.success(request, _("Your reply was added."))
            form = ReplyForm()
    else:
        status = 400
    if request.htmx:
        context = _record_context(request, record, reply_form=form)
        return render(request, "incidents/portal/_record_body.html", context, status=status)
    if status == 400:
        return record_page(request, record, status=400, reply_form=form)
    return redirect("record", record.number)


SUCCESS = {
    "close": gettext_lazy("Thank you for confirming. %(number)s is closed."),
    "reopen": gettext_lazy("%(number)s is reopened. The service desk will look at it again."),
    "cancel": gettext_lazy("%(number)s is withdrawn."),
}


@login_required
@require_POST
def record_transition(request, number, action):
    """Confirm the resolution (close, with an optional rating), reopen or withdraw (cancel)."""
    record = _get(request, number)
    target, form_class = ACTIONS[action]
    form = form_class(request.POST, prefix=action)
    if form.is_valid():
        data = form.cleaned_data
        if action == "close":
            inputs = {}
            if data["csat_score"] is not None:
                inputs = {"csat_score": data["csat_score"], "csat_comment": data["csat_comment"]}
        else:
            inputs = {"reason": data["reason"]}
        try:
            incident_transition(
                record=record, actor=request.user, to=target, expected_version=data["version"], **inputs
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
            return redirect("record", record.number)
        else:
            messages.success(request, SUCCESS[action] % {"number": record.number})
            return redirect("record", record.number)
    return record_page(request, record, status=400, **{f"{action}_form": form})


@login_required
@require_POST
def rate(request, number):
    """Rate a closed record once (a resolved one is rated while confirming it)."""
    record = _get(request, number)
    form = RateForm(request.POST, prefix="rate")
    if form.is_valid():
        try:
            incident_rate(
                record=record,
                actor=request.user,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except ApplicationError as exc:
            messages.error(request, str(exc.message))
            return redirect("record", record.number)
        else:
            messages.success(request, _("Thank you for your rating."))
            return redirect("record", record.number)
    return record_page(request, record, status=400, rate_form=form)


# One search box


SEARCH_RECORDS = 10
SEARCH_KNOWLEDGE = 5


@login_required
def portal_search(request):
    """One search over what the requester may see: their records (and those shared with them), and the
    knowledge published to the portal (articles, workarounds), grouped; a constant number of queries."""
    _require_portal(request.user)
    words = " ".join(request.GET.get("q", "").split())[:200]
    records, groups = [], []
    if words:
        rows = incident_portal_list_for_user(user=request.user)
        records = list(records_search(rows, words, kind=record_kind("incident"))[:SEARCH_RECORDS])
        groups = knowledge_search(user=request.user, text=words, portal=True, limit=SEARCH_KNOWLEDGE)
    context = {"q": words, "records": records, "groups": groups}
    return render(request, "incidents/portal/search.html", context)
