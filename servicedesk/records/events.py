"""What happened to a record, told to integrations (webhooks `<kind>.<event>`) and to people (e-mail, by
the kind's notification rules), inside the transaction of the change: both are outbox rows."""

from servicedesk.kinds import kind_of
from servicedesk.services.notifications import record_event_notify
from servicedesk.services.webhooks import webhooks_publish


def record_publish(*, record, event: str, actor, entry=None, data: dict | None = None) -> None:
    """Publish `event` of `record` to webhooks and e-mail the people the kind's rules name."""
    data = data or {}
    webhooks_publish(event=f"{kind_of(record).code}.{event}", record=record, actor=actor, data=data)
    record_event_notify(record=record, event=event, actor=actor, entry=entry, data=data)


def publisher(record):
    """The kind's own `publish`, or the kernel's."""
    return kind_of(record).publish or record_publish
