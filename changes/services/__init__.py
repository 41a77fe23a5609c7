"""Every write to changes: raising and editing them (`lifecycle`), their assessment (`assessment`), the
CAB's approvals (`cab`), implementation and review (`implementation`). Transitions are the kernel's
(`record_transition`, through the type's table in `workflow.py`)."""

from .lifecycle import (
    change_create,
    change_from_problem,
    change_from_standard,
    change_link_incident,
    change_link_problem,
    change_update,
)

__all__ = [
    "change_create",
    "change_from_problem",
    "change_from_standard",
    "change_link_incident",
    "change_link_problem",
    "change_update",
]
