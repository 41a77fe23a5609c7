"""The registry of notification events: what a person may be told by e-mail, and may turn off.

The foundation registers the events every kind of record shares (`servicedesk.notifications.standard`);
a process app registers its own in `AppConfig.ready()`, one call each, with no migration:

    register_notification_event(NotificationEventType(
        code="approval_requested", label=_("My approval is requested"), audience=(AGENT,), app="changes",
        recipients=approvers, order=300,
    ))

Its default wording is `templates/<app>/notifications/<code>.{subject.txt,txt,html}`, falling back to
`templates/servicedesk/notifications/<code>.…`; an administrator's `NotificationTemplate` overrides both.
Which of a kind's record events send which notification is the kind's `notifications` rules
(`NotificationRule`, on `servicedesk.kinds.RecordKind`).
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from servicedesk.errors import ApplicationError

# Who may subscribe to an event (and sees it on their preferences page): requesters follow the records
# they filed, and everyone files records; agents also hear about the records they work.
REQUESTER = "requester"
AGENT = "agent"
AUDIENCES = (REQUESTER, AGENT)

CODE_MAX_LENGTH = 50  # NotificationTemplate.event and NotificationOptOut.event
CODE_PATTERN = re.compile(rf"^[a-z][a-z0-9_]{{0,{CODE_MAX_LENGTH - 1}}}$")
PARTS = {"subject": "subject.txt", "text": "txt", "html": "html"}  # part -> template suffix
DEFAULT_APP = "servicedesk"

# (record, actor, entry, data) -> the users and plain addresses to tell
Recipients = Callable[[Any, Any, Any, dict], list]


class UnknownNotificationEvent(ApplicationError, LookupError):
    default_code = "unknown_notification_event"

    def __init__(self, code: str):
        super().__init__(
            _("“%(event)s” is not a notification event.") % {"event": code},
            fields={"event": [_("Choose one of the notification events.")]},
            extra={"event": code},
        )


@dataclass(frozen=True)
class NotificationEventType:
    """One notification event: its code, its label (what a person turns off), who may subscribe."""

    code: str  # "resolved"; also the outbox event `notification.<code>`
    label: Any  # a lazy translation, e.g. "A record I filed was resolved"
    audience: tuple[str, ...]  # (REQUESTER,), (AGENT,) or both
    app: str = DEFAULT_APP  # whose templates: `<app>/notifications/<code>.…`
    order: int = 1000  # place on the preferences page and in the admin
    # who is told when a kind's rule sends it without naming recipients; None: the caller names them
    recipients: Recipients | None = None
    # (record, data) -> extra template variables; `variables` describes them to administrators
    context: Callable[[Any, dict], dict] | None = None
    variables: Mapping[str, Any] = field(default_factory=dict)
    # what the notification centre (the bell) says of it, e.g. "Assigned to you"; default: the label
    headline: Any = None

    @property
    def is_for_requesters(self) -> bool:
        return REQUESTER in self.audience

    @property
    def is_for_agents_only(self) -> bool:
        """Told only to the people who work the record: a requester never gets it."""
        return REQUESTER not in self.audience

    def template_names(self, part: str) -> list[str]:
        """The default template of `part` (subject, text, html): the app's own, then the foundation's."""
        names = [f"{self.app}/notifications/{self.code}.{PARTS[part]}"]
        if self.app != DEFAULT_APP:
            names.append(f"{DEFAULT_APP}/notifications/{self.code}.{PARTS[part]}")
        return names


@dataclass(frozen=True)
class NotificationRule:
    """A kind's rule: when a record publishes `on`, send the notification event `send`, if `when` says so,
    to `recipients` (default: the event type's recipients). Both callables take (record, actor, entry, data).
    """

    on: str  # the record's event, e.g. "on_hold"
    send: str  # a registered notification event, e.g. "waiting"
    when: Callable[[Any, Any, Any, dict], bool] | None = None
    recipients: Recipients | None = None


_EVENTS: dict[str, NotificationEventType] = {}


def register_notification_event(event_type: NotificationEventType) -> NotificationEventType:
    """Add an event; registering the same one again is harmless, another under a taken code is refused."""
    if not CODE_PATTERN.match(event_type.code):
        raise ValueError(
            f"Notification event code {event_type.code!r}: lowercase letters, digits and _, "
            f"at most {CODE_MAX_LENGTH} characters."
        )
    if not event_type.audience or set(event_type.audience) - set(AUDIENCES):
        raise ValueError(f"Notification event {event_type.code}: audience must be among {AUDIENCES}.")
    existing = _EVENTS.get(event_type.code)
    if existing is not None and existing != event_type:
        raise ValueError(f"Notification event {event_type.code} is already registered by {existing.app}.")
    _EVENTS[event_type.code] = event_type
    return event_type


def unregister_notification_event(code: str) -> None:
    """Remove an event (tests register their own and take them away again)."""
    _EVENTS.pop(code, None)


def notification_event(code: str) -> NotificationEventType:
    """The registered event; UnknownNotificationEvent (a 400, and a LookupError) otherwise."""
    try:
        return _EVENTS[str(code)]
    except KeyError:
        raise UnknownNotificationEvent(str(code)) from None


def notification_events(*, audience: str | None = None) -> list[NotificationEventType]:
    """Every registered event (or those `audience` may subscribe to), in order."""
    events = sorted(_EVENTS.values(), key=lambda event: (event.order, event.code))
    if audience is not None:
        events = [event for event in events if audience in event.audience]
    return events


def notification_event_label(code: str) -> str:
    """The event's label, or its code for one no longer registered (kept rows still show something)."""
    event_type = _EVENTS.get(code)
    return str(event_type.label) if event_type is not None else code


def notification_event_headline(code: str) -> str:
    """What the notification centre shows for the event (its headline, else its label, else its code)."""
    event_type = _EVENTS.get(code)
    if event_type is None:
        return code
    return str(event_type.headline or event_type.label)


def notification_event_choices() -> list[tuple[str, Any]]:
    return [(event.code, event.label) for event in notification_events()]
