"""Every write to incidents and requests; portal, workspace, API, admin and tasks all call these."""

from .assignment import UNSET, incident_assign
from .conversation import incident_attach, incident_comment
from .housekeeping import incidents_close_resolved
from .lifecycle import EDITABLE_FIELDS, incident_create, incident_declare_major, incident_update
from .linking import incident_merge, incident_set_parent
from .transitions import allowed_transitions, incident_rate, incident_transition

__all__ = [
    "EDITABLE_FIELDS",
    "UNSET",
    "allowed_transitions",
    "incident_assign",
    "incident_attach",
    "incident_comment",
    "incident_create",
    "incident_declare_major",
    "incident_merge",
    "incident_rate",
    "incident_set_parent",
    "incident_transition",
    "incident_update",
    "incidents_close_resolved",
]
