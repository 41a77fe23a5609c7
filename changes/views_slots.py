"""What changes show in the pages of lower apps, through the kernel's page slots (`servicedesk.slots`),
registered in `ChangesConfig.ready()`: problems and incidents never import this app.

- `record_side` on a problem's page: "Resolve via change" (a change prefilled from its known error);
- `record_side` on an incident's page: the changes it is linked to (fixing it, awaited by it, possibly
  having caused it) and, while it is on hold waiting for a change, the form to name that change (the
  kernel's link, `change_awaited`: the incident resumes when the change is implemented).
"""

from incidents import workflow as incident_wf
from incidents.models import Incident
from problems import workflow as problem_wf
from servicedesk.kinds import kind_of
from servicedesk.records.links import INCOMING
from servicedesk.records.selectors import record_links
from servicedesk.slots import SlotContent, register_slot_content

from .links import CHANGE_AWAITED, LINK_TYPES
from .permissions import ChangePolicy
from .views import may_read_changes

# A problem past these takes no new change from its page.
PROBLEM_DONE = (problem_wf.RESOLVED, problem_wf.CLOSED, problem_wf.CANCELLED)


def _kind_code(record) -> str | None:
    try:
        return kind_of(record).code
    except LookupError:
        return None


def problem_side(request, record=None, **values) -> dict | None:
    """For who may raise changes, on a problem's page that is not finished: "Resolve via change"."""
    user = getattr(request, "user", None)
    if record is None or user is None or _kind_code(record) != "problem":
        return None
    if not may_read_changes(user) or not ChangePolicy.can_file(user) or record.status in PROBLEM_DONE:
        return None
    return {}


def incident_side(request, record=None, **values) -> dict | None:
    """For who may read changes, on an incident's page: its changes, and when it waits for a change
    that is not named yet, the form to name it."""
    user = getattr(request, "user", None)
    if record is None or user is None or _kind_code(record) != "incident" or not may_read_changes(user):
        return None
    links = record_links(record=record, user=user, types=[t.code for t in LINK_TYPES])
    waiting = record.status == incident_wf.ON_HOLD and record.hold_reason == Incident.HoldReason.CHANGE
    awaited = [link for link in links if link.link_type.code == CHANGE_AWAITED]
    if not links and not waiting:
        return None
    return {
        "change_links": links,
        "waits_for_change": waiting,
        "awaited_change": awaited[0].record if awaited else None,
        "awaited_link": f"{INCOMING}:{CHANGE_AWAITED}",
        "can_link_change": waiting and not awaited and ChangePolicy.is_agent(user),
    }


SLOT_CONTENTS = (
    SlotContent(
        slot="record_side",
        name="changes.resolve_via_change",
        template="changes/_problem_side.html",
        context=problem_side,
        order=60,
    ),
    SlotContent(
        slot="record_side",
        name="changes.incident_changes",
        template="changes/_incident_side.html",
        context=incident_side,
        order=60,
    ),
)


def register_change_slots() -> None:
    for content in SLOT_CONTENTS:
        register_slot_content(content)
