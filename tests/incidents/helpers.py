"""Driving records through the workflow in tests, the way people would (through the services)."""

from incidents import services
from incidents import workflow as wf
from incidents.models import Incident

# How the helper drives a fresh record to each status (targets fired in turn by an agent).
PATHS = {
    wf.NEW: [],
    wf.ASSIGNED: [wf.ASSIGNED],
    wf.IN_PROGRESS: [wf.IN_PROGRESS],
    wf.ON_HOLD: [wf.IN_PROGRESS, wf.ON_HOLD],
    wf.RESOLVED: [wf.IN_PROGRESS, wf.RESOLVED],
    wf.CLOSED: [wf.IN_PROGRESS, wf.RESOLVED, wf.CLOSED],
    wf.CANCELLED: [wf.CANCELLED],
}


def inputs_for(target: str, *, assignee=None) -> dict:
    """What a person gives to reach `target` (enough for whichever transition leads there)."""
    return {
        wf.ASSIGNED: {"assignee": assignee},
        wf.ON_HOLD: {"hold_reason": Incident.HoldReason.VENDOR},
        wf.RESOLVED: {"resolution_code": "solved", "resolution_notes": "Restarted the mail service."},
        wf.IN_PROGRESS: {"reason": "It broke again."},
        wf.CANCELLED: {"reason": "Filed twice."},
    }.get(target, {})


def drive_to(record: Incident, status: str, *, agent) -> Incident:
    """Move `record` to `status` through the services, as `agent` would."""
    for target in PATHS[status]:
        record = services.incident_transition(
            record=record, actor=agent, to=target, **inputs_for(target, assignee=agent)
        )
    assert record.status == status
    return record
