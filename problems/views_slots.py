"""What problems show in the pages of lower apps, through the kernel's page slots (`servicedesk.slots`),
registered in `ProblemsConfig.ready()`: incidents never import this app.

- `record_side` on an incident's page: its problem (or "Raise a problem" from it) and the KEDB's search,
  whose hits load by htmx and apply their workaround;
- `queue_bulk_actions` in the queue's bulk form: "Create a problem from these incidents".
"""

from servicedesk.kinds import kind_of
from servicedesk.slots import SlotContent, register_slot_content

from .permissions import ProblemPolicy
from .selectors import problem_of_incident
from .views import may_read_problems


def incident_side(request, record=None, **values) -> dict | None:
    """For agents who may read problems, on an incident's page: what its panel shows."""
    user = getattr(request, "user", None)
    if record is None or user is None or not may_read_problems(user):
        return None
    try:
        if kind_of(record).code != "incident":
            return None
    except LookupError:
        return None
    return {
        "problem": problem_of_incident(record),
        "can_file": ProblemPolicy.can_file(user),
        "can_apply": ProblemPolicy.can_apply_workaround(user),
        "incident_cis": list(record.affected_cis.all()),
    }


def queue_bulk(request, **values) -> dict | None:
    user = getattr(request, "user", None)
    if user is None or not may_read_problems(user) or not ProblemPolicy.can_file(user):
        return None
    return {}


SLOT_CONTENTS = (
    SlotContent(
        slot="record_side",
        name="problems.known_errors",
        template="problems/_incident_panel.html",
        context=incident_side,
        order=50,
    ),
    SlotContent(
        slot="queue_bulk_actions",
        name="problems.from_incidents",
        template="problems/_queue_bulk.html",
        context=queue_bulk,
    ),
)


def register_problem_slots() -> None:
    for content in SLOT_CONTENTS:
        register_slot_content(content)
