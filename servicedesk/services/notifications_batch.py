"""E-mail notifications of many system events at once (the SLA sweep's batch), in a constant number of
statements: the opt-outs read once, each event's administrator templates once, every message in one
insert, and the in-app notifications (the bell) in another. Who is told what, and what they read, is
exactly what `record_event_notify` and `notify` decide one event at a time; only the reading and writing
are batched.
"""

from django.contrib.contenttypes.models import ContentType
from django.utils import translation

from servicedesk.kinds import kind_of
from servicedesk.models import NotificationOptOut, OutboxMessage, User
from servicedesk.notifications.registry import notification_event
from servicedesk.permissions import permissions_prefetch

from .notifications import PARTS, _context, _headers, _overrides, _render, _subject, _targets
from .notifications_in_app import in_app_opted_out, in_app_people, in_app_rows, in_app_write
from .outbox import outbox_enqueue_many


def record_event_notify_many(*, events: list[tuple[object, str, dict]]) -> list[OutboxMessage]:
    """`record_event_notify` for many (record, event, data) of the system (no actor, no timeline entry):
    each rule of the record's kind on its event whose condition holds sends its notification event to
    its recipients, or to the event type's."""
    sends = []
    for record, event, data in events:
        try:
            rules = kind_of(record).notifications
        except LookupError:
            continue
        for rule in rules:
            if rule.on != event or (rule.when is not None and not rule.when(record, None, None, data)):
                continue
            choose = rule.recipients or notification_event(rule.send).recipients
            if choose is None:  # a configuration error, as `record_event_notify` says
                raise ValueError(f"The rule {rule.on} -> {rule.send} names no recipients.")
            sends.append((rule.send, record, choose(record, None, None, data), data))
    return notify_many(sends=sends)


def notify_many(*, sends: list[tuple[str, object, list, dict]]) -> list[OutboxMessage]:
    """`notify` for many (notification event, record, recipients, data) with no actor and no entry: the
    same people skipped, the same messages rendered in each recipient's language."""
    sends = [(event, record, [r for r in recipients if r], data) for event, record, recipients, data in sends]
    user_ids = {r.pk for _e, _r, recipients, _d in sends for r in recipients if isinstance(r, User)}
    opted = set(
        NotificationOptOut.objects.filter(
            user__in=user_ids,
            channel=NotificationOptOut.Channel.EMAIL,
            event__in={event for event, *_rest in sends},
        ).values_list("event", "user_id")
    )
    # A group's address stands for its agents in the app (read once each inside `audiences_memo`).
    people = [person for _e, record, recipients, _d in sends for person in in_app_people(record, recipients)]
    # Whether each recipient works the record is a permission question: ask it of everyone at once.
    permissions_prefetch(
        [*(r for _e, _r, recipients, _d in sends for r in recipients if isinstance(r, User)), *people]
    )
    in_app_off = in_app_opted_out(
        user_ids={person.pk for person in people}, events={event for event, *_rest in sends}
    )
    in_app = []
    for event, record, recipients, data in sends:
        in_app += in_app_rows(
            event_type=notification_event(event),
            record=record,
            recipients=recipients,
            data=data,
            opted_out=in_app_off,
        )
    in_app_write(in_app)
    planned, languages = [], {}
    for event, record, recipients, data in sends:
        event_type = notification_event(event)
        opted_out = {user_id for opted_event, user_id in opted if opted_event == event}
        targets = _targets(event_type, record, recipients, None, opted_out=opted_out)
        languages.setdefault(event, set()).update(language for _a, _u, language in targets)
        planned.append((event_type, record, targets, data))
    overrides = {event: _overrides(event, found) for event, found in languages.items() if found}
    messages = []
    for event_type, record, targets, data in planned:
        for address, user, language in targets:
            with translation.override(language):
                values = _context(record=record, user=user, actor=None, entry=None, data=data)
                if event_type.context is not None:
                    values.update(event_type.context(record, data))
                rendered = {
                    part: _render(event_type, part, language, overrides[event_type.code], values)
                    for part in PARTS
                }
            payload = {
                "subject": _subject(record.number, rendered["subject"] or record.title),
                "text": rendered["text"].strip() + "\n",
                "html": rendered["html"].strip(),
                "headers": _headers(record.number, user),
            }
            messages.append(
                OutboxMessage(
                    channel=OutboxMessage.Channel.EMAIL,
                    event=f"notification.{event_type.code}",
                    recipient=address,
                    payload=payload,
                    content_type=ContentType.objects.get_for_model(record),
                    object_id=record.pk,
                )
            )
    return outbox_enqueue_many(messages=messages)
