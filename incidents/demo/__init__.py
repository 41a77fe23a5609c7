"""Demo incidents and service requests for `seed_demo`: a catalogue, then about 300 records with timelines.

Every record is written through `incidents.services` by the demo people (requesters file and reply,
agents assign, work, hold, resolve, link and merge), step by step in the order the desk would have seen
them. The planned time of each step is kept, and afterwards every timestamp the steps wrote (records and
their timeline entries) is moved back to it by one increasing map from real time to planned time, so
each timeline keeps its order and the desk looks two months old. Audit events keep their real time: the
audit trail is never rewritten.

Idempotent: categories and request types are looked up by name, and the records are made once (alice's
first record marks a seeded desk). Deterministic: one seeded random generator and a fixed plan.
"""

from django.conf import settings
from django.utils import timezone

from servicedesk.models import User

from ..models import Incident
from .catalogue import (
    seed_catalogue,
)
from .data import (
    INCIDENT_TOPICS,
)
from .desk import (
    Desk,
    random_record,
)
from .extras import seed_approvals, seed_email_reply, seed_saved_views
from .fulfilment import seed_laptop_fulfilment
from .macros import seed_macros, seed_watchers
from .sla import policies_paused, rebuild_demo_clocks
from .stories import (
    MARKER,
    alice_story,
    last_month_stories,
    major_stories,
    sla_stories,
)

NEEDED = ["alice", "tom", "liwei", "frank", "erin", "bob", "carol", "dave", "wang", "grace", "nina", "heidi"]


def seed_incidents_demo(stdout) -> None:
    """Create the catalogue (what is missing of it) and, once, the demo records; say how much was created."""
    new_categories, new_types = seed_catalogue()
    made = _seed_records(stdout)
    views = seed_saved_views()
    replied = seed_email_reply(MARKER)
    asked = seed_approvals()
    macros = seed_macros()
    seed_watchers(MARKER)
    # After the stories: they file "New laptop" requests of before it had a form and an approval.
    fulfilled = seed_laptop_fulfilment()
    stdout.write(
        f"Incidents demo ready ({new_categories} new categories, {new_types} new request types, "
        f"{made} new incidents and requests, {views} new saved views, {macros} new macros"
        f"{', a reply by e-mail' if replied else ''}{', a request awaiting approval' if asked else ''}"
        f"{', a laptop request being fulfilled' if fulfilled else ''})."
    )


def _seed_records(stdout) -> int:
    alice = User.objects.filter(username="alice").first()
    if alice is not None and Incident.objects.filter(requester=alice, title=MARKER).exists():
        return 0
    desk = Desk(timezone.now().replace(second=0, microsecond=0))
    missing = [name for name in NEEDED if name not in desk.users]
    missing += [name for name in INCIDENT_TOPICS if name not in desk.services]
    if missing or not all(desk.members.get(g) for g in ("Service Desk", "Network", "Applications")):
        stdout.write(
            f"Demo incidents skipped: the demo people or services are missing ({', '.join(missing)})."
        )
        return 0
    alice_story(desk)
    major_stories(desk)
    sla_stories(desk)
    last_month_stories(desk)
    # ITSM_DEMO_RECORDS: about how many records to make (the test settings make fewer, for speed).
    wanted = settings.ITSM_DEMO_RECORDS
    for n in range(max(wanted - desk.planned_records(), 0)):
        random_record(desk, n)
    with policies_paused():
        desk.run()
    checked = rebuild_demo_clocks(desk.made)
    stdout.write(f"Demo SLA clocks replayed through the records' history ({checked} checked by the sweep).")
    return len(desk.made)
