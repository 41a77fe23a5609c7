"""E-mail notifications: one outbox message per recipient, in the recipient's language.

`record_event_notify` is called by the process apps' services inside the transaction of the change it
reports (incidents: `incidents.services.events`), so a message exists exactly when the change does; it
decides who is told of what, from the record kind's rules and the registered events
(`servicedesk.notifications`). `notify` writes the messages for one event and a list of recipients.

Each event has three templates: a subject, a plain-text body and an HTML body. An administrator's
`NotificationTemplate` for the event and language wins; otherwise the shipped default
`templates/<app>/notifications/<event>.{subject.txt,txt,html}` (falling back to the foundation's
`templates/servicedesk/notifications/`) is used, its wording translated through the catalogue. Subject
and text render with autoescaping off, HTML with it on. An administrator's template that does not compile
or fails to render falls back to the default: a typo never loses a message.
"""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.template import Context, TemplateSyntaxError, engines
from django.template.base import Template
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from servicedesk import mailthreads
from servicedesk.configmemo import config_memo
from servicedesk.kinds import kind_of, parse_number
from servicedesk.markdown import render_markdown
from servicedesk.models import NotificationOptOut, NotificationTemplate, OutboxMessage, TimelineEntry, User
from servicedesk.notifications.audiences import reads_internal
from servicedesk.notifications.mentions import mentioned_people
from servicedesk.notifications.registry import (
    NotificationEventType,
    notification_event,
)
from servicedesk.notifications.standard import COMMENTED, CREATED, MENTIONED
from servicedesk.notifications.watchers import watchers_notify

from .notifications_in_app import in_app_notify
from .notifications_preferences import (  # noqa: F401 - where callers have always found them
    CHANNELS,
    notification_audiences_of,
    notification_events_for,
    notification_preferences_get,
    notification_preferences_set,
)

logger = logging.getLogger(__name__)

SUBJECT_MAX_LENGTH = 200
DEFAULT_SITE_NAME = gettext_noop("ITSM Service Desk")  # settings.ITSM_SITE_NAME's default
# The record events whose timeline entry (a comment, a work note) may name people with @username.
MENTIONING_EVENTS = ("commented", "work_noted")
PARTS = ("subject", "text", "html")
_OVERRIDE_FIELDS = {"subject": "subject", "text": "body_text", "html": "body_html"}

# The variables every template may use (shown to administrators next to the template fields).
CONTEXT_VARIABLES = {
    "number": _("the record's number, e.g. INC0000123"),
    "title": _("the record's title"),
    "status": _("its status, in the recipient's language"),
    "kind": _("Incident, Service request..."),
    "priority": _("its priority (P1...P5)"),
    "link": _("the record's page (requesters confirm or reopen a resolution there)"),
    "assignee, group": _("who works it: the assignee's name and the support group"),
    "recipient_name": _("the recipient's name (empty for a group address)"),
    "recipient_is_requester, recipient_is_assignee": _("true when the recipient filed / works the record"),
    "actor": _("who did it (empty for the system)"),
    "comment_text, comment_html": _("the public comment, as text and as HTML"),
    "reason": _("the reason given with the change (hold, reopen, resolution)"),
    "resolution": _("the resolution notes"),
    "data": _("the event's details"),
    "site_name": _("the desk's name"),
    "preferences_url": _("where a person turns notifications off"),
    "record": _("the record itself"),
}


def default_template_source(*, event: str, part: str) -> str:
    """The shipped template of one part (subject, text, html) of `event`, as source text: the event's
    app's own, else the foundation's. UnknownNotificationEvent for an event nobody registered."""
    return _default_template(notification_event(event), part).source


def template_check(source: str) -> None:
    """Raise TemplateSyntaxError when `source` does not compile as a Django template."""
    _engine().from_string(source)


def record_event_notify(
    *, record, event: str, actor: User | None, entry: TimelineEntry | None = None, data: dict | None = None
) -> list[OutboxMessage]:
    """E-mail the people `event` (one of the record's events, e.g. "on_hold") concerns: each rule of the
    record's kind (`RecordKind.notifications`) on this event whose condition holds sends its notification
    event to its recipients, or to the event type's; then the record's watchers hear of a public update,
    once each (`servicedesk.notifications.watchers`). The one place that decides who is told what; runs
    inside the caller's transaction. A record of no registered kind tells nobody."""
    data = data or {}
    try:
        rules = kind_of(record).notifications
    except LookupError:
        return []
    messages, told = [], set()
    for rule in rules:
        if rule.on != event or (rule.when is not None and not rule.when(record, actor, entry, data)):
            continue
        event_type = notification_event(rule.send)
        choose = rule.recipients or event_type.recipients
        if choose is None:
            raise ValueError(f"The rule {rule.on} -> {rule.send} names no recipients, nor does the event.")
        recipients = list(choose(record, actor, entry, data))
        told.update(r.pk for r in recipients if isinstance(r, User))
        messages += notify(
            event=rule.send,
            record=record,
            recipients=recipients,
            actor=actor,
            context={"entry": entry, "data": data},
        )
    if entry is not None and event in MENTIONING_EVENTS:
        # Who already hears of the reply is not told twice; the others named with @ are.
        mentioned = [p for p in mentioned_people(record=record, entry=entry, actor=actor) if p.pk not in told]
        if mentioned:
            messages += notify(
                event=MENTIONED, record=record, recipients=mentioned, actor=actor, context={"entry": entry}
            )
    messages += watchers_notify(
        record=record,
        event=event,
        actor=actor,
        entry=entry,
        data=data,
        # (a message not written, such as while the demo is seeded, is None)
        already={message.recipient.strip().lower() for message in messages if message is not None},
    )
    return messages


def notify(
    *,
    event: str,
    record,
    recipients: Iterable[User | str],
    actor: User | None = None,
    context: dict | None = None,
) -> list[OutboxMessage]:
    """E-mail `recipients` (users, or plain addresses such as a group's list) about `event`
    (a registered notification event; UnknownNotificationEvent otherwise) on `record`. Skips the actor,
    inactive people, people without an address and people who turned this event off; renders each
    message in the recipient's language. The one exception to skipping the actor: the requester who
    filed the record gets its acknowledgement.

    A message to a person carries their reply token in its Message-ID (`mailthreads.message_id`): their
    reply by e-mail then proves who wrote it. Runs inside the caller's transaction (the outbox refuses
    otherwise). Who works the record is the record kind's answer (`audiences.reads_internal`): only they
    hear of an agents' event, and only they read a work note: for anyone else, or a plain address, its
    body is left out, and a `commented` notification about one is not sent at all. The same people with
    an account get it in the app too (`notifications_in_app`), unless they turned that channel off.
    """
    event_type = notification_event(event)
    context = context or {}
    entry = context.get("entry")
    recipients = list(recipients)
    in_app_notify(
        event_type=event_type,
        record=record,
        recipients=recipients,
        actor=actor,
        entry=entry,
        data=context.get("data"),
    )
    targets = _targets(event_type, record, recipients, actor)
    if not targets:
        return []
    overrides = _overrides(event, {target[2] for target in targets})
    number = record.number
    data = context.get("data") or {}
    messages = []
    for address, user, language in targets:
        may_see_entry = entry is not None and (entry.is_public or reads_internal(user, record))
        if event == COMMENTED and entry is not None and not may_see_entry:
            logger.warning("notifications: a work note on %s is not sent to %s", number, address)
            continue
        with translation.override(language):
            values = _context(
                record=record, user=user, actor=actor, entry=entry if may_see_entry else None, data=data
            )
            if event_type.context is not None:
                values.update(event_type.context(record, data))
            rendered = {part: _render(event_type, part, language, overrides, values) for part in PARTS}
        payload = {
            "subject": _subject(number, rendered["subject"] or record.title),
            "text": rendered["text"].strip() + "\n",
            "html": rendered["html"].strip(),
            "headers": _headers(number, user),
        }
        messages.append(
            _enqueue(event=event, address=address, payload=payload, record=record),
        )
    return messages


def _enqueue(*, event: str, address: str, payload: dict, record) -> OutboxMessage:
    from .outbox import outbox_enqueue

    return outbox_enqueue(
        channel=OutboxMessage.Channel.EMAIL,
        event=f"notification.{event}",
        recipient=address,
        payload=payload,
        record=record,
    )


def _targets(
    event_type: NotificationEventType,
    record,
    recipients: Iterable[User | str],
    actor: User | None,
    opted_out: set[int] | None = None,
) -> list[tuple]:
    """Who gets a message: (address, user, language), one per address, in the given order.

    The actor is not told about their own action, except the requester about the record they filed:
    that acknowledgement carries the number and starts the mail thread their replies will join. An
    agents' event (its audience has no requesters) reaches only people who work the record, as its
    kind's policy says.
    """
    event = event_type.code
    recipients = [r for r in recipients if r]
    users = [r for r in recipients if isinstance(r, User)]
    if opted_out is None:
        opted_out = set(
            NotificationOptOut.objects.filter(
                user__in=[u.pk for u in users], channel=NotificationOptOut.Channel.EMAIL, event=event
            ).values_list("user_id", flat=True)
        )
    actor_address = (getattr(actor, "email", "") or "").strip().lower()
    seen = set()
    targets = []
    for recipient in recipients:
        if isinstance(recipient, User):
            if actor is not None and recipient.pk == actor.pk and not _acknowledges(event, record, actor):
                continue
            if not recipient.is_active or not recipient.email or recipient.pk in opted_out:
                continue
            if event_type.is_for_agents_only and not reads_internal(recipient, record):
                # Work on other people's records (queues, SLA, escalations) is told to who works them.
                logger.info(
                    "notifications: %s about %s is not sent to %s, who does not work it",
                    event,
                    record,
                    recipient,
                )
                continue
            address, user, language = recipient.email.strip(), recipient, _language(recipient.language)
        else:
            address, user, language = str(recipient).strip(), None, _language("")
        key = address.lower()
        if not address or key in seen or (key == actor_address and user is None):
            continue
        seen.add(key)
        targets.append((address, user, language))
    return targets


def _acknowledges(event: str, record, actor: User) -> bool:
    return event == CREATED and actor.pk == getattr(record, "requester_id", None)


def _language(preferred: str) -> str:
    codes = [language[0] for language in settings.LANGUAGES]
    return preferred if preferred in codes else settings.LANGUAGE_CODE


def _context(*, record, user: User | None, actor: User | None, entry: TimelineEntry | None, data: dict):
    parsed = parse_number(record.number)
    kind = parsed[0] if parsed else None
    link = ""
    if kind is not None:
        link = settings.ITSM_SITE_URL + reverse(kind.url_name, args=[record.number])
    body = entry.body if entry is not None else ""
    return {
        "record": record,
        "number": record.number,
        "title": record.title,
        "status": _display(record, "status"),
        "priority": _display(record, "priority"),
        "kind": str(kind.label) if kind is not None else "",
        "link": link,
        "assignee": str(record.assignee) if getattr(record, "assignee_id", None) else "",
        "group": str(record.support_group) if getattr(record, "support_group_id", None) else "",
        "recipient": user,
        "recipient_name": user.get_short_name() if user is not None else "",
        "recipient_is_requester": user is not None and user.pk == getattr(record, "requester_id", None),
        "recipient_is_assignee": user is not None and user.pk == getattr(record, "assignee_id", None),
        "actor": str(actor) if actor is not None else "",
        "entry": entry,
        "comment_text": body,
        "comment_html": render_markdown(body),
        "reason": data.get("reason", ""),
        "resolution": getattr(record, "resolution_notes", ""),
        "data": data,
        "target": data.get("target", ""),
        "due_at": data.get("due_at", ""),
        "auto_close_days": settings.ITSM_AUTO_CLOSE_DAYS,
        "site_name": site_name(),
        "preferences_url": settings.ITSM_SITE_URL + reverse("notification_preferences") if user else "",
    }


def site_name() -> str:
    """The desk's name in the active language: the shipped name is translated as the pages' brand is; a
    name the site chose (`ITSM_SITE_NAME`) is its own, shown as written."""
    name = settings.ITSM_SITE_NAME
    return gettext(DEFAULT_SITE_NAME) if name == DEFAULT_SITE_NAME else name


def _display(record, field: str) -> str:
    method = getattr(record, f"get_{field}_display", None)
    return str(method()) if method is not None else ""


def _engine():
    return engines["django"].engine


def _overrides(event: str, languages: set[str]) -> dict[tuple[str, str], Template | None]:
    """The administrator's compiled templates for `event`, by (language, part): None for an empty HTML
    body (plain text only); broken ones left out, so the default takes their place."""
    every = config_memo(f"notifications.templates:{event}", lambda: _compile_overrides(event))
    return {key: template for key, template in every.items() if key[0] in languages}


def _compile_overrides(event: str) -> dict[tuple[str, str], Template | None]:
    """Every language's compiled templates for `event`, read once per process until an edit."""
    compiled = {}
    for row in NotificationTemplate.objects.filter(event=event):
        for part, field in _OVERRIDE_FIELDS.items():
            source = getattr(row, field)
            if not source.strip():
                if part == "html":
                    compiled[row.language, part] = None
                continue
            try:
                compiled[row.language, part] = _engine().from_string(source)
            except TemplateSyntaxError:
                logger.exception(
                    "notifications: the %s template of %s (%s) does not compile; using the default",
                    part,
                    event,
                    row.language,
                )
    return compiled


def _default_template(event_type: NotificationEventType, part: str) -> Template:
    return _engine().select_template(event_type.template_names(part))


def _render(
    event_type: NotificationEventType, part: str, language: str, overrides: dict, values: dict
) -> str:
    context = Context(values, autoescape=part == "html")
    if (language, part) in overrides and overrides[language, part] is None:
        return ""
    override = overrides.get((language, part))
    if override is not None:
        try:
            return override.render(context)
        except Exception:  # an administrator's template must not lose the message
            logger.exception(
                "notifications: the %s template of %s (%s) failed; using the default",
                part,
                event_type.code,
                language,
            )
            context = Context(values, autoescape=part == "html")
    return _default_template(event_type, part).render(context)


def _subject(number: str, subject: str) -> str:
    subject = f"{mailthreads.subject_token(number)} {' '.join(subject.split())}".strip()
    if len(subject) > SUBJECT_MAX_LENGTH:
        subject = subject[: SUBJECT_MAX_LENGTH - 1].rstrip() + "…"
    return subject


def _headers(number: str, user: User | None) -> dict[str, str]:
    """Threading headers; a message to a person carries their reply token in its Message-ID, so their
    reply by e-mail is known to come from them (a list address gets none: anyone on it could reply)."""
    thread = mailthreads.thread_id(number)
    return {
        "Message-ID": mailthreads.message_id(number, recipient=user),
        "In-Reply-To": thread,
        "References": thread,
        # Automatic mail: no out-of-office or other auto-replies, which would come back as comments.
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
    }
