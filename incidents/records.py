"""The record kinds this app registers with the kernel: incidents (INC) and service requests (REQ)."""

from django.utils.translation import gettext_lazy as _

from servicedesk.kinds import RecordKind

from .intake import IncidentMailIntake
from .notifications import NOTIFICATION_RULES
from .sla import INCIDENT_SLA
from .workflow import EVENTS


def _get_incident(*, user, number):
    from .selectors import incident_get_for_user

    return incident_get_for_user(user=user, number=number)


def _can_see_internal(user, record) -> bool:
    from .permissions import IncidentPolicy

    return IncidentPolicy.can_see_internal(user, record)


def _represent(record) -> dict:
    """The record as `GET /api/v1/incidents/{number}/` shows it, less what depends on who asks."""
    from .api.serializers import IncidentDetailSerializer

    data = dict(IncidentDetailSerializer(record).data)
    data.pop("allowed_transitions", None)
    return data


INCIDENT_KIND = RecordKind(
    code="incident",
    prefix="INC",
    label=_("Incident"),
    model="incidents.Incident",
    get_for_user=_get_incident,
    url_name="incidents:detail",
    filters={"kind": "incident"},
    represent=_represent,
    events=tuple(EVENTS),
    mail=IncidentMailIntake("incident"),
    sla=INCIDENT_SLA,
    can_see_internal=_can_see_internal,
    notifications=NOTIFICATION_RULES,
)
REQUEST_KIND = RecordKind(
    code="request",
    prefix="REQ",
    label=_("Service request"),
    model="incidents.Incident",
    get_for_user=_get_incident,
    url_name="incidents:detail",
    filters={"kind": "request"},
    represent=_represent,
    events=tuple(EVENTS),
    mail=IncidentMailIntake("request"),
    sla=INCIDENT_SLA,
    can_see_internal=_can_see_internal,
    notifications=NOTIFICATION_RULES,
)
PREFIXES = {"incident": INCIDENT_KIND.prefix, "request": REQUEST_KIND.prefix}
