"""What a macro may change on an incident or request (the kind's `MacroTarget`), through this app's
services: the comment (first response, the requester's reply rules), impact and urgency (the priority
matrix, the SLA), and the status through the transition table (its guards, its notifications)."""

from django.utils.translation import gettext_lazy as _

from servicedesk.macros import MacroTarget
from servicedesk.models import Impact, Urgency

from . import workflow as wf
from .models import Incident

# The statuses a macro may move a record to: what agents do by hand with a canned answer.
STATUSES = (wf.IN_PROGRESS, wf.ON_HOLD, wf.RESOLVED)


def _choices(field: str) -> list[tuple]:
    if field == "status":
        labels = dict(Incident.Status.choices)
        return [(status, labels[status]) for status in STATUSES]
    return {
        "hold_reason": Incident.HoldReason.choices,
        "resolution_code": Incident.ResolutionCode.choices,
        "impact": Impact.choices,
        "urgency": Urgency.choices,
    }.get(field, [])


def _comment(*, record, actor, body, is_public):
    from .services import incident_comment

    return incident_comment(record=record, actor=actor, body=body, is_public=is_public)


def _update(*, record, actor, **changes):
    from .services import incident_update

    return incident_update(record=record, actor=actor, **changes)


def _transition(*, record, actor, to, **inputs):
    from .services import incident_transition

    return incident_transition(record=record, actor=actor, to=to, **inputs)


INCIDENT_MACROS = MacroTarget(
    fields={
        "status": _("Status"),
        "hold_reason": _("Reason for the hold"),
        "resolution_code": _("Resolution code"),
        "impact": _("Impact"),
        "urgency": _("Urgency"),
    },
    choices=_choices,
    comment=_comment,
    update=_update,
    transition=_transition,
    transition_inputs=("hold_reason", "resolution_code"),
)
