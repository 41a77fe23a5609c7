"""Who is told of what happens to a change, through the kernel's registries."""

from servicedesk.records.events import record_publish


def change_publish_event(*, record, event: str, actor, entry=None, data=None) -> None:
    record_publish(record=record, event=event, actor=actor, entry=entry, data=data)
