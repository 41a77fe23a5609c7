"""Watchers hear of a record's public updates: its public comments and its status changes (resolution,
hold, reopening, closing), never its work notes, its assignments or its SLA.

`record_event_notify` calls `watchers_notify` after the kind's own rules, with the addresses those
rules already wrote to: a watcher who is also the requester or the assignee gets one message, not two.
A watcher turns these messages off as any other (the `watched_update` event on their preferences page);
each is written in the watcher's language (`notify`).
"""

from django.utils.translation import gettext_lazy as _

from servicedesk.kinds import kind_of

from .registry import AGENT, REQUESTER, NotificationEventType, register_notification_event

WATCHED_UPDATE = "watched_update"
COMMENTED = "commented"
# Transitions that move a record between people rather than statuses the watchers care about.
NOT_TOLD = frozenset({"assigned", "unassigned"})

WATCHED_EVENT = NotificationEventType(
    code=WATCHED_UPDATE,
    label=_("A record I follow was updated"),
    audience=(REQUESTER, AGENT),
    order=35,
    variables={"event": _("what happened: commented, resolved, on_hold...")},
    context=lambda record, data: {"event": data.get("watched_event", "")},
)


def register_watcher_events() -> None:
    register_notification_event(WATCHED_EVENT)


def is_told_to_watchers(record, event: str, entry) -> bool:
    """A public comment, or a status change of the kind's transition table that people fire."""
    if event == COMMENTED:
        return entry is not None and entry.is_public
    if event in NOT_TOLD:
        return False
    try:
        workflow = kind_of(record).workflow
    except LookupError:
        return False
    return any(t.event == event and not t.internal for t in workflow or ())


def watchers_notify(*, record, event: str, actor, entry, data: dict, already: set[str]) -> list:
    """E-mail the record's watchers about `event` when it is one they hear of, less the addresses in
    `already` (lowercase) and the actor; the outbox messages written."""
    if not is_told_to_watchers(record, event, entry):
        return []
    from servicedesk.services.notifications import notify
    from servicedesk.services.watchers import watcher_list

    recipients = []
    for watcher in watcher_list(record=record):
        address = (watcher.user.email if watcher.user_id else watcher.email).strip().lower()
        if address and address not in already:
            recipients.append(watcher.user if watcher.user_id else watcher.email)
    if not recipients:
        return []
    return notify(
        event=WATCHED_UPDATE,
        record=record,
        recipients=recipients,
        actor=actor,
        context={"entry": entry, "data": {**data, "watched_event": event}},
    )
