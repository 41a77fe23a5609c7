"""Who may hear of which notification events, and which of them a person turned off, per channel:
e-mail, or in the app (the bell). The preferences page reads and writes them here."""

from collections.abc import Iterable

from django.db import transaction

from servicedesk.models import NotificationOptOut, User
from servicedesk.notifications.registry import AGENT, REQUESTER, notification_event, notification_events

from .audit import audit_record


def notification_audiences_of(user: User) -> list[str]:
    """The audiences `user` belongs to: everyone files records; agents (`User.is_agent`) also work them."""
    return [REQUESTER, AGENT] if user.is_agent else [REQUESTER]


def notification_events_for(user: User) -> list[str]:
    """The registered events that can concern `user` (their audiences'), in order."""
    audiences = set(notification_audiences_of(user))
    return [event.code for event in notification_events() if audiences & set(event.audience)]


CHANNELS = (NotificationOptOut.Channel.EMAIL, NotificationOptOut.Channel.IN_APP)


def _opt_outs(user, channel: str):
    return NotificationOptOut.objects.filter(user=user, channel=channel)


def _channel(channel: str) -> str:
    if channel not in CHANNELS:
        raise ValueError(f"Notification channel {channel!r}: one of {CHANNELS}.")
    return channel


def notification_preferences_get(*, user: User, channel: str = NotificationOptOut.Channel.EMAIL) -> list[str]:
    """The events that concern `user` and that they did not turn off on `channel` (e-mail, in the app),
    in order."""
    events = notification_events_for(user)
    off = set(_opt_outs(user, _channel(channel)).filter(event__in=events).values_list("event", flat=True))
    return [event for event in events if event not in off]


@transaction.atomic
def notification_preferences_set(
    *, user: User, enabled_events: Iterable[str], channel: str = NotificationOptOut.Channel.EMAIL
) -> list[str]:
    """Turn on exactly `enabled_events` on `channel` (e-mail, in the app) among the events that concern
    `user`; the others are turned off on that channel, the other channel is left alone.

    Events that do not concern the user are left as they are; an event nobody registered is refused
    (UnknownNotificationEvent). Audited when something changed; returns the events now turned off on the
    channel, in order.
    """
    channel = _channel(channel)
    enabled_events = set(enabled_events)
    for event in sorted(enabled_events):
        notification_event(event)
    applicable = notification_events_for(user)
    wanted_off = {event for event in applicable if event not in enabled_events}
    current_off = set(_opt_outs(user, channel).filter(event__in=applicable).values_list("event", flat=True))
    turned_on, turned_off = sorted(current_off - wanted_off), sorted(wanted_off - current_off)
    if turned_on:
        _opt_outs(user, channel).filter(event__in=turned_on).delete()
    NotificationOptOut.objects.bulk_create(
        [NotificationOptOut(user=user, event=event, channel=channel) for event in turned_off],
        ignore_conflicts=True,
    )
    if turned_on or turned_off:
        audit_record(
            actor=user,
            action="user.notifications_changed",
            target=user,
            data={"channel": channel, "enabled": turned_on, "disabled": turned_off},
        )
    return [event for event in applicable if event in wanted_off]
