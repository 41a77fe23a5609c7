"""What happened to a record, told to integrations (webhooks `<kind>.<event>`) and to people (e-mail, by
the kind's notification rules), inside the transaction of the change: both are outbox rows."""

from collections.abc import Callable

from servicedesk.kinds import kind_of
from servicedesk.notifications.audiences import audiences_memo
from servicedesk.services.notifications import record_event_notify
from servicedesk.services.notifications_batch import record_event_notify_many
from servicedesk.services.webhooks import webhooks_publish, webhooks_publish_many


def record_publish(*, record, event: str, actor, entry=None, data: dict | None = None) -> None:
    """Publish `event` of `record` to webhooks and e-mail the people the kind's rules name."""
    data = data or {}
    webhooks_publish(event=f"{kind_of(record).code}.{event}", record=record, actor=actor, data=data)
    record_event_notify(record=record, event=event, actor=actor, entry=entry, data=data)


# (kind code, event) -> the functions a higher app registered to act on it (`register_event_listener`).
_LISTENERS: dict[tuple[str, str], list[Callable[..., None]]] = {}


def register_event_listener(kind: str, event: str, listener: Callable[..., None]) -> None:
    """Call `listener(record=, event=, actor=, data=)` whenever a record of kind `kind` publishes `event`,
    inside the transaction of the change (a change links the incidents raised on the CIs it is working
    on). For a higher app acting on a lower app's records without the lower app importing it; register
    from `AppConfig.ready()`. A listener writes through services; it raises only to refuse the change."""
    listeners = _LISTENERS.setdefault((kind, event), [])
    if listener not in listeners:
        listeners.append(listener)


def _tell_listeners(*, record, event: str, actor, data: dict) -> None:
    for listener in _LISTENERS.get((kind_of(record).code, event), ()):
        listener(record=record, event=event, actor=actor, data=data)


def publisher(record):
    """The kind's own `publish`, or the kernel's; then the listeners registered for the event."""
    publish = kind_of(record).publish or record_publish
    if not any(kind == kind_of(record).code for kind, _event in _LISTENERS):
        return publish

    def publish_and_tell(*, record, event: str, actor, entry=None, data: dict | None = None) -> None:
        publish(record=record, event=event, actor=actor, entry=entry, data=data)
        _tell_listeners(record=record, event=event, actor=actor, data=data or {})

    return publish_and_tell


def record_publish_many(*, events: list[tuple[object, str, dict]]) -> None:
    """Publish many (record, event, data) of the system (no actor), as `publisher(record)` would one by
    one. The records whose kind publishes through the kernel are published together in a constant number
    of statements (`webhooks_publish_many`, `record_event_notify_many`, each group's agents read once); a
    kind with its own `publish` is called with each of its events."""
    kernel = []
    for record, event, data in events:
        publish = kind_of(record).publish
        if publish is not None:
            publish(record=record, event=event, actor=None, data=data)
            _tell_listeners(record=record, event=event, actor=None, data=data)
        else:
            kernel.append((record, event, data))
    webhooks_publish_many(
        events=[(f"{kind_of(record).code}.{event}", record, None, data) for record, event, data in kernel]
    )
    with audiences_memo():
        record_event_notify_many(events=kernel)
    for record, event, data in kernel:
        _tell_listeners(record=record, event=event, actor=None, data=data)
