"""What happened to a record, told to people (e-mail) and to integrations (webhooks).

Every service that changes a record calls `incident_event` inside its transaction; the deliveries are
outbox rows, so they exist exactly when the change does. Who is told what is the kernel's decision
(`servicedesk.records.events.record_publish`), from this app's rules
(`incidents.notifications`); higher apps' listeners hear it too (`register_event_listener`).
"""

from servicedesk.models import TimelineEntry, User
from servicedesk.records.events import publisher

from ..models import Incident


def incident_event(
    *,
    record: Incident,
    event: str,
    actor: User | None,
    entry: TimelineEntry | None = None,
    data: dict | None = None,
) -> None:
    """Publish `event` (one of `workflow.EVENTS`) to webhooks; e-mail the people it concerns."""
    publisher(record)(record=record, event=event, actor=actor, entry=entry, data=data)
