"""E-mail notifications: one outbox message per recipient, in the recipient's language.

`notify` is called by the process apps' services inside the transaction of the change it reports
(incidents: `incidents.services.events`), so a message exists exactly when the change does.

Each event has three templates: a subject, a plain-text body and an HTML body. An administrator's
`NotificationTemplate` for the event and language wins; otherwise the shipped default
`templates/servicedesk/notifications/<event>.{subject.txt,txt,html}` is used, its wording translated
through the catalogue. Subject and text render with autoescaping off, HTML with it on. An administrator's
template that does not compile or fails to render falls back to the default: a typo never loses a message.
"""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.template import Context, TemplateSyntaxError, engines
from django.template.base import Template
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from servicedesk import mailthreads
from servicedesk.kinds import kind_of, parse_number
from servicedesk.markdown import render_markdown
from servicedesk.models import (
    AGENT_PERMISSION,
    NotificationEvent,
    NotificationOptOut,
    NotificationTemplate,
    OutboxMessage,
    TimelineEntry,
    User,
)
from servicedesk.selectors import users_with_perm

from .audit import audit_record

logger = logging.getLogger(__name__)

SUBJECT_MAX_LENGTH = 200
PARTS = ("subject", "text", "html")
DEFAULT_TEMPLATE = "servicedesk/notifications/{event}.{suffix}"
_SUFFIXES = {"subject": "subject.txt", "text": "txt", "html": "html"}
_OVERRIDE_FIELDS = {"subject": "subject", "text": "body_text", "html": "body_html"}

# Who may be told what: requesters follow their own records; agents also hear about their work.
REQUESTER_EVENTS = (
    NotificationEvent.CREATED,
    NotificationEvent.COMMENTED,
    NotificationEvent.WAITING,
    NotificationEvent.RESOLVED,
    NotificationEvent.CLOSED,
)
AGENT_EVENTS = (
    NotificationEvent.ASSIGNED,
    NotificationEvent.REOPENED,
    NotificationEvent.SLA_WARNING,
    NotificationEvent.SLA_BREACHED,
    NotificationEvent.ESCALATED,
)
# Anyone may be an approver, or ask for an approval (servicedesk.approvals).
APPROVAL_EVENTS = (
    NotificationEvent.APPROVAL_REQUESTED,
    NotificationEvent.APPROVAL_REMINDER,
    NotificationEvent.APPROVAL_DECIDED,
)

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
    "target, due_at": _("SLA events: the target at risk and when it is due"),
    "data.approval_url, data.approval_title, data.outcome": _(
        "approval events: the approver's own link to the decision page, the approval, how it was decided"
    ),
    "auto_close_days": _("days after which a resolved record closes by itself"),
    "data": _("the event's details"),
    "site_name": _("the desk's name"),
    "preferences_url": _("where a person turns notifications off"),
    "record": _("the record itself"),
}


def default_template_source(*, event: str, part: str) -> str:
    """The shipped template of one part (subject, text, html) of `event`, as source text."""
    template = _engine().get_template(DEFAULT_TEMPLATE.format(event=event, suffix=_SUFFIXES[part]))
    return template.source


def template_check(source: str) -> None:
    """Raise TemplateSyntaxError when `source` does not compile as a Django template."""
    _engine().from_string(source)


def notification_events_for(user: User) -> list[str]:
    """The events that can concern `user`: the requester's, plus the agent's for agents."""
    events = [*REQUESTER_EVENTS, *APPROVAL_EVENTS]
    if user.is_agent:
        events += AGENT_EVENTS
    return [event for event in NotificationEvent.values if event in events]


def notification_preferences_get(*, user: User) -> list[str]:
    """The events that concern `user` and that they did not turn off, in order."""
    events = notification_events_for(user)
    off = set(NotificationOptOut.objects.filter(user=user, event__in=events).values_list("event", flat=True))
    return [event for event in events if event not in off]


@transaction.atomic
def notification_preferences_set(*, user: User, enabled_events: Iterable[str]) -> list[str]:
    """Turn on exactly `enabled_events` among the events that concern `user`; the others are turned off.

    Events that do not concern the user are left as they are. Audited when something changed; returns
    the events now turned off, in order.
    """
    applicable = notification_events_for(user)
    wanted_off = {event for event in applicable if event not in set(enabled_events)}
    current_off = set(
        NotificationOptOut.objects.filter(user=user, event__in=applicable).values_list("event", flat=True)
    )
    turned_on, turned_off = sorted(current_off - wanted_off), sorted(wanted_off - current_off)
    if turned_on:
        NotificationOptOut.objects.filter(user=user, event__in=turned_on).delete()
    NotificationOptOut.objects.bulk_create(
        [NotificationOptOut(user=user, event=event) for event in turned_off], ignore_conflicts=True
    )
    if turned_on or turned_off:
        audit_record(
            actor=user,
            action="user.notifications_changed",
            target=user,
            data={"enabled": turned_on, "disabled": turned_off},
        )
    return [event for event in applicable if event in wanted_off]


def notify(
    *,
    event: str,
    record,
    recipients: Iterable[User | str],
    actor: User | None = None,
    context: dict | None = None,
) -> list[OutboxMessage]:
    """E-mail `recipients` (users, or plain addresses such as a group's list) about `event`
    (a `NotificationEvent`) on `record`. Skips the actor, inactive people, people without an address
    and people who turned this event off; renders each message in the recipient's language. The one
    exception to skipping the actor: the requester who filed the record gets its acknowledgement.

    A message to a person carries their reply token in its Message-ID (`mailthreads.message_id`): their
    reply by e-mail then proves who wrote it. Runs inside the caller's transaction (the outbox refuses
    otherwise). A work note is never shown to anyone but an agent: for a requester or a plain address
    its body is left out, and a `commented` notification about one is not sent at all.
    """
    context = context or {}
    entry = context.get("entry")
    targets = _targets(event, record, recipients, actor)
    if not targets:
        return []
    overrides = _overrides(event, {target[2] for target in targets})
    number = record.number
    messages = []
    for address, user, language in targets:
        may_see_entry = entry is not None and (entry.is_public or _is_agent_of(user, record))
        if event == NotificationEvent.COMMENTED and entry is not None and not may_see_entry:
            logger.warning("notifications: a work note on %s is not sent to %s", number, address)
            continue
        with translation.override(language):
            values = _context(
                record=record,
                user=user,
                actor=actor,
                entry=entry if may_see_entry else None,
                data=context.get("data") or {},
            )
            rendered = {part: _render(event, part, language, overrides, values) for part in PARTS}
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


def _targets(event: str, record, recipients: Iterable[User | str], actor: User | None) -> list[tuple]:
    """Who gets a message: (address, user, language), one per address, in the given order.

    The actor is not told about their own action, except the requester about the record they filed:
    that acknowledgement carries the number and starts the mail thread their replies will join. The
    agents' events (`AGENT_EVENTS`) reach people only if they are agents.
    """
    recipients = [r for r in recipients if r]
    users = [r for r in recipients if isinstance(r, User)]
    opted_out = set(
        NotificationOptOut.objects.filter(user__in=[u.pk for u in users], event=event).values_list(
            "user_id", flat=True
        )
    )
    agents = None
    if event in AGENT_EVENTS and users:
        agents = set(
            users_with_perm(AGENT_PERMISSION)
            .filter(pk__in=[u.pk for u in users])
            .values_list("pk", flat=True)
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
            if agents is not None and recipient.pk not in agents:
                # Work on other people's records (queues, SLA, escalations) is told to agents only.
                logger.info(
                    "notifications: %s about %s is not sent to %s, not an agent", event, record, recipient
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
    return event == NotificationEvent.CREATED and actor.pk == getattr(record, "requester_id", None)


def _language(preferred: str) -> str:
    codes = [language[0] for language in settings.LANGUAGES]
    return preferred if preferred in codes else settings.LANGUAGE_CODE


def _is_agent_of(user: User | None, record) -> bool:
    """May this recipient read internal work notes of the record? Whoever did not file it and whom the
    record kind's policy lets see them (the record page's rule), else an agent."""
    if user is None or user.pk == getattr(record, "requester_id", None):
        return False
    try:
        can_see_internal = kind_of(record).can_see_internal
    except LookupError:
        can_see_internal = None
    if can_see_internal is not None:
        return bool(can_see_internal(user, record))
    return user.is_agent


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
        "site_name": settings.ITSM_SITE_NAME,
        "preferences_url": settings.ITSM_SITE_URL + reverse("notification_preferences") if user else "",
    }


def _display(record, field: str) -> str:
    method = getattr(record, f"get_{field}_display", None)
    return str(method()) if method is not None else ""


def _engine():
    return engines["django"].engine


def _overrides(event: str, languages: set[str]) -> dict[tuple[str, str], Template | None]:
    """The administrator's compiled templates for `event`, by (language, part): None for an empty HTML
    body (plain text only); broken ones left out, so the default takes their place."""
    compiled = {}
    for row in NotificationTemplate.objects.filter(event=event, language__in=languages):
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


def _render(event: str, part: str, language: str, overrides: dict, values: dict) -> str:
    context = Context(values, autoescape=part == "html")
    if (language, part) in overrides and overrides[language, part] is None:
        return ""
    override = overrides.get((language, part))
    if override is not None:
        try:
            return override.render(context)
        except Exception:  # an administrator's template must not lose the message
            logger.exception(
                "notifications: the %s template of %s (%s) failed; using the default", part, event, language
            )
            context = Context(values, autoescape=part == "html")
    template = _engine().get_template(DEFAULT_TEMPLATE.format(event=event, suffix=_SUFFIXES[part]))
    return template.render(context)


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
