"""The record kinds this app registers with the kernel: incidents (INC) and service requests (REQ)."""

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from servicedesk.kinds import RecordKind, kind_of
from servicedesk.models import Metric
from servicedesk.records.cis import CIRelation
from servicedesk.records.search import TICKET_SEARCH

from .intake import IncidentMailIntake
from .macros import INCIDENT_MACROS
from .notifications import NOTIFICATION_RULES
from .permissions import IncidentPolicy
from .reporting import facts as reporting_facts
from .sla import INCIDENT_SLA
from .workflow import EVENTS, OPEN_STATUSES, WORKFLOW


def _get_incident(*, user, number):
    from .selectors import incident_get_for_user

    return incident_get_for_user(user=user, number=number)


def _page(request, record):
    from .views import record_page

    return record_page(request, record)


def _queue_url(words: str) -> str:
    """The agent queue; with words, every record matching them."""
    url = reverse("incidents:queue")
    return f"{url}?{urlencode({'view': 'all', 'q': words})}" if words else url


def _merged_into(*, user, record_id):
    """For agents, the record that a duplicate was merged into: its timeline shows the duplicate's entries."""
    from .permissions import IncidentPolicy

    if not IncidentPolicy.can_see_internal(user):
        return None
    return IncidentPolicy.visible_to(user).filter(duplicates__pk=record_id).first()


def _on_approval(approval, actor) -> None:
    """An approval on a request settled: a rejected or expired one cancels the request (as the system),
    with the rejection's comment as the reason; an approved one lets it be worked (the guard lifts) and
    gives it its fulfilment tasks."""
    from servicedesk.models import ApprovalRequest

    from . import workflow as wf
    from .models import Incident
    from .services import incident_transition

    if approval.status == ApprovalRequest.Status.APPROVED:
        from .services.fulfilment import fulfilment_start

        fulfilment_start(record=Incident.objects.get(pk=approval.object_id), actor=actor)
        return
    if approval.status not in (ApprovalRequest.Status.REJECTED, ApprovalRequest.Status.EXPIRED):
        return
    record = Incident.objects.get(pk=approval.object_id)
    if not kind_of(record).is_open(record):
        return
    if approval.status == ApprovalRequest.Status.REJECTED:
        reason = _("Not approved: %(comment)s") % {"comment": approval.outcome_note}
    else:
        reason = _("Not approved in time.")
    incident_transition(record=record, actor=None, to=wf.CANCELLED, reason=str(reason))


def _represent(record) -> dict:
    """The record as `GET /api/v1/incidents/{number}/` shows it, less what depends on who asks."""
    from .api.serializers import IncidentDetailSerializer

    data = dict(IncidentDetailSerializer(record).data)
    data.pop("allowed_transitions", None)
    return data


# What incidents and requests share: one model, one table, one policy, one page.
_SHARED = {
    "model": "incidents.Incident",
    "get_for_user": _get_incident,
    "represent": _represent,
    "events": tuple(EVENTS),
    "sla": INCIDENT_SLA,
    "sla_metrics": (Metric.RESPONSE, Metric.RESOLUTION),
    "policy": IncidentPolicy,
    "workflow": WORKFLOW,
    "open_statuses": tuple(OPEN_STATUSES),  # not resolved: it waits for the requester's confirmation
    "page": _page,
    "list_url": _queue_url,
    "entry_host": _merged_into,
    "notifications": NOTIFICATION_RULES,
    "on_approval": _on_approval,
    # title, description and public comments, weighted in that order (the column is the Ticket's)
    "search": TICKET_SEARCH,
    # channel, service, category, first contact, satisfaction: management information's facts
    "facts": reporting_facts,
    # what a canned response may change: status (and its hold reason, resolution code), impact, urgency
    "macros": INCIDENT_MACROS,
}
INCIDENT_KIND = RecordKind(
    code="incident",
    prefix="INC",
    label=_("Incident"),
    api_path="incidents",
    api_viewset="incidents.api.views.IncidentViewSet",
    filters={"kind": "incident"},
    mail=IncidentMailIntake("incident"),
    **_SHARED,
)
REQUEST_KIND = RecordKind(
    code="request",
    prefix="REQ",
    label=_("Service request"),
    api_path="requests",
    api_viewset="incidents.api.views.RequestViewSet",
    filters={"kind": "request"},
    mail=IncidentMailIntake("request"),
    **_SHARED,
)
PREFIXES = {"incident": INCIDENT_KIND.prefix, "request": REQUEST_KIND.prefix}
# The CIs its records name, for the CI page (servicedesk.records.cis).
CI_RELATIONS = (
    CIRelation(kind="incident", field="affected_cis", label=_("Affected")),
    CIRelation(kind="request", field="affected_cis", label=_("Affected")),
)
