"""Telling people and integrations what happened to a release (the kernel's notifications and webhooks)."""

from servicedesk.records.events import publisher


def release_publish(*, record, event: str, actor, data=None, entry=None) -> None:
    publisher(record)(record=record, event=event, actor=actor, entry=entry, data=data or {})
