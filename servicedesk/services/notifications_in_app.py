"""In-app notifications (the bell): one row per person, written beside the e-mails of the same event.

`notify` and `notify_many` (the batch) call these with the recipients they were given, inside the same
transaction. The people told are the e-mail's people who have an account, whether or not they have an
address: a support group's shared address stands for its agents here, since a mailbox has no bell. The
actor is never told of their own action; nor is anyone who turned the in-app channel off for the event;
an agents' event reaches only who works the record, and a work note's text only who may read it.
"""

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.text import Truncator

from servicedesk.kinds import kind_of
from servicedesk.models import InAppNotification, NotificationOptOut, User
from servicedesk.notifications.audiences import group_agents, reads_internal
from servicedesk.notifications.registry import NotificationEventType
from servicedesk.notifications.standard import COMMENTED

TEXT_LENGTH = 300
DEFAULT_KEEP_DAYS = 90
PRUNE_BATCH = 2000


def in_app_opted_out(*, user_ids: Iterable[int], events: Iterable[str]) -> set[tuple[str, int]]:
    """(event, user id) of the people among `user_ids` who turned the in-app channel off for `events`."""
    user_ids, events = set(user_ids), set(events)
    if not user_ids or not events:
        return set()
    return set(
        NotificationOptOut.objects.filter(
            user__in=user_ids, event__in=events, channel=NotificationOptOut.Channel.IN_APP
        ).values_list("event", "user_id")
    )


def in_app_people(record, recipients: Iterable) -> list[User]:
    """The people with an account among `recipients`; the record's group address stands for its agents."""
    group = getattr(record, "support_group", None) if getattr(record, "support_group_id", None) else None
    group_address = (getattr(group, "email", "") or "").strip().lower()
    people = []
    for recipient in recipients:
        if isinstance(recipient, User):
            people.append(recipient)
        elif recipient and group_address and str(recipient).strip().lower() == group_address:
            people += group_agents(group)
    return people


def in_app_rows(
    *,
    event_type: NotificationEventType,
    record,
    recipients: Iterable,
    actor: User | None = None,
    entry=None,
    data: dict | None = None,
    opted_out: set[tuple[str, int]],
) -> list[InAppNotification]:
    """The unsaved rows telling `recipients` of `event_type` on `record` (see the module for who)."""
    event = event_type.code
    rows, seen = [], set()
    for user in in_app_people(record, recipients):
        if user.pk in seen or not user.is_active or (event, user.pk) in opted_out:
            continue
        if actor is not None and user.pk == actor.pk:
            continue
        if event_type.is_for_agents_only and not reads_internal(user, record):
            continue
        may_see_entry = entry is not None and (entry.is_public or reads_internal(user, record))
        if event == COMMENTED and entry is not None and not may_see_entry:
            continue
        seen.add(user.pk)
        rows.append(_row(event, record, user, actor, entry if may_see_entry else None, data or {}))
    return rows


def _row(event: str, record, user: User, actor: User | None, entry, data: dict) -> InAppNotification:
    # A reason may be lazy (an escalation's "75 % of the resolution target"): put it in the reader's words.
    with translation.override(user.language or settings.LANGUAGE_CODE):
        reason = str(data.get("reason") or "")
    text = " ".join((entry.body if entry is not None else reason).split())
    return InAppNotification(
        user=user,
        event=event,
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        number=record.number,
        title=Truncator(record.title or "").chars(200),
        text=Truncator(str(text)).chars(TEXT_LENGTH),
        url=record_path(record),
        actor=actor,
        data={"entry": entry.pk} if entry is not None else {},
    )


def record_path(record) -> str:
    """The record's page, as a path (the bell links there); empty for a record of no registered kind."""
    try:
        return reverse(kind_of(record).url_name, args=[record.number])
    except (LookupError, NoReverseMatch):
        return ""


def in_app_notify(
    *,
    event_type: NotificationEventType,
    record,
    recipients: Iterable,
    actor: User | None = None,
    entry=None,
    data: dict | None = None,
) -> list[InAppNotification]:
    """Write the in-app notifications of one event (two statements at most: the opt-outs, the insert)."""
    recipients = list(recipients)
    users = [r.pk for r in recipients if isinstance(r, User)]
    opted_out = in_app_opted_out(user_ids=users, events=[event_type.code]) if users else set()
    rows = in_app_rows(
        event_type=event_type,
        record=record,
        recipients=recipients,
        actor=actor,
        entry=entry,
        data=data,
        opted_out=opted_out,
    )
    return in_app_write(rows)


def in_app_write(rows: list[InAppNotification]) -> list[InAppNotification]:
    return InAppNotification.objects.bulk_create(rows) if rows else []


def in_app_notification_read(*, notification: InAppNotification) -> InAppNotification:
    """Mark one notification read (once: a second read keeps the first time)."""
    if notification.read_at is None:
        now = timezone.now()
        InAppNotification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
    return notification


def in_app_notifications_read_all(*, user: User) -> int:
    """Mark every unread notification of `user` read; how many were."""
    return InAppNotification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


def in_app_notifications_prune(*, keep_days: int | None = None, batch_size: int = PRUNE_BATCH) -> int:
    """Delete read notifications older than `keep_days` (setting `ITSM_IN_APP_NOTIFICATIONS_KEEP_DAYS`,
    90 by default), in batches of `batch_size` rows, each its own short transaction; unread ones stay.
    Returns how many went."""
    if keep_days is None:
        keep_days = getattr(settings, "ITSM_IN_APP_NOTIFICATIONS_KEEP_DAYS", DEFAULT_KEEP_DAYS)
    cutoff = timezone.now() - timedelta(days=keep_days)
    stale = InAppNotification.objects.filter(read_at__isnull=False, created_at__lt=cutoff)
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(stale.order_by("id").values_list("id", flat=True)[:batch_size])
            if not ids:
                return deleted
            deleted += InAppNotification.objects.filter(pk__in=ids).delete()[0]
