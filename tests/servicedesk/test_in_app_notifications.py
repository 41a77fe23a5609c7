"""In-app notifications (the bell), written beside the e-mails, on the test-only kind (tests/kernelkind)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from servicedesk import roles
from servicedesk.models import InAppNotification, NotificationOptOut, OutboxMessage
from servicedesk.notifications import standard as events
from servicedesk.notifications.mentions import mentioned_usernames
from servicedesk.records.services import record_comment
from servicedesk.services.notifications import (
    notification_preferences_get,
    notification_preferences_set,
    notify,
)
from servicedesk.services.notifications_batch import notify_many
from servicedesk.services.notifications_in_app import (
    in_app_notification_read,
    in_app_notifications_prune,
    in_app_notifications_read_all,
)
from tests.kernelkind.services import chore_create

from ..factories import SupportGroupFactory, UserFactory

CHANNEL = NotificationOptOut.Channel


@pytest.fixture
def record(worker, requester):
    created = chore_create(actor=worker, requester=requester, title="Printer on floor 3 jams")
    OutboxMessage.objects.all().delete()
    InAppNotification.objects.all().delete()
    return created


@pytest.fixture
def colleague(db):
    """Another agent who works chores."""
    user = UserFactory(username="wang", full_name="Wang Fang", roles=[roles.AGENT])
    user.user_permissions.add(*Permission.objects.filter(codename__in=["work_chore", "view_chore"]))
    return type(user).objects.get(pk=user.pk)


def send(event, record, recipients, actor=None, **context):
    with transaction.atomic():
        return notify(event=event, record=record, recipients=recipients, actor=actor, context=context)


def bell(user):
    return list(InAppNotification.objects.filter(user=user).values_list("event", flat=True))


def test_a_notification_is_written_in_the_app_beside_its_e_mail(record, requester, worker):
    [message] = send(events.RESOLVED, record, [requester], actor=worker)

    [row] = InAppNotification.objects.all()
    assert message.recipient == requester.email
    assert (row.user, row.event, row.actor) == (requester, "resolved", worker)
    assert (row.number, row.title, row.url) == (
        "TST0000001",
        "Printer on floor 3 jams",
        "/records/TST0000001/",
    )
    assert (row.record, row.read_at) == (record, None)


def test_a_person_without_an_address_still_sees_it_in_the_app(record, requester):
    requester.email = ""
    requester.save(update_fields=["email"])

    assert send(events.RESOLVED, record, [requester]) == []
    assert bell(requester) == ["resolved"]


def test_the_actor_and_inactive_people_are_not_told_in_the_app(record, requester, worker):
    inactive = UserFactory(is_active=False)

    send(events.COMMENTED, record, [requester, worker, inactive], actor=requester)

    assert bell(worker) == ["commented"]
    assert bell(requester) == bell(inactive) == []


def test_turning_the_app_off_keeps_the_e_mail_and_the_other_way_round(record, requester, worker):
    NotificationOptOut.objects.create(user=requester, event=events.RESOLVED, channel=CHANNEL.IN_APP)
    NotificationOptOut.objects.create(user=worker, event=events.RESOLVED, channel=CHANNEL.EMAIL)

    messages = send(events.RESOLVED, record, [requester, worker])

    assert [message.recipient for message in messages] == [requester.email]
    assert bell(requester) == []
    assert bell(worker) == ["resolved"]


def test_an_agents_event_reaches_only_who_works_the_record(record, requester, worker):
    send(events.SLA_WARNING, record, [requester, worker])

    assert bell(requester) == []
    assert bell(worker) == ["sla_warning"]


def test_a_work_note_is_never_told_to_the_requester_in_the_app(record, requester, worker):
    entry = record_comment(record=record, actor=worker, body="Internal: vendor ticket 42", is_public=False)
    send(events.COMMENTED, record, [requester, worker], entry=entry)

    assert bell(requester) == []


def test_a_public_reply_carries_its_text_to_the_bell(record, requester, worker):
    record_comment(record=record, actor=worker, body="Please restart   the printer.\n\nThanks")

    [row] = InAppNotification.objects.filter(user=requester)
    assert row.event == "commented"
    assert row.text == "Please restart the printer. Thanks"


def test_a_groups_address_stands_for_its_agents_in_the_app(record, worker, agent, requester):
    group = SupportGroupFactory(email="desk@example.com", members=[worker, requester])
    record.support_group = group
    record.save(update_fields=["support_group"])

    messages = send(events.ASSIGNED, record, ["desk@example.com"])

    assert [message.recipient for message in messages] == ["desk@example.com"]
    assert bell(worker) == ["assigned"]
    assert bell(requester) == []  # a member who is not an agent reads no other people's records


# @mentions


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Thanks @wang, and @bob.", ["wang", "bob"]),
        ("@wang @WANG @wang", ["wang"]),
        ("write to bob@example.com", []),
        ("see `@root` and\n```\n@admin\n```\n", []),
        ("(@li.wei) @a-b_c!", ["li.wei", "a-b_c"]),
    ],
)
def test_mentions_are_read_from_the_text(text, names):
    assert mentioned_usernames(text) == names


def test_a_mention_in_a_public_reply_tells_the_person_named(record, worker, colleague):
    record_comment(record=record, actor=worker, body="@wang can you take the vendor call?")

    [row] = InAppNotification.objects.filter(user=colleague)
    assert (row.event, row.actor, row.text) == ("mentioned", worker, "@wang can you take the vendor call?")
    assert OutboxMessage.objects.filter(recipient=colleague.email, event="notification.mentioned").exists()


def test_a_mention_in_a_work_note_tells_only_agents(record, worker, colleague, requester):
    record_comment(
        record=record, actor=worker, body=f"@wang @{requester.username} look at this", is_public=False
    )

    assert bell(colleague) == ["mentioned"]
    assert bell(requester) == []
    assert not OutboxMessage.objects.filter(recipient=requester.email).exists()


def test_a_mention_does_not_reveal_a_record_to_someone_who_cannot_see_it(record, worker, other_requester):
    record_comment(record=record, actor=worker, body=f"Same as @{other_requester.username}'s printer")

    assert bell(other_requester) == []


def test_the_author_and_who_already_hears_of_the_reply_are_not_told_of_a_mention(record, worker, requester):
    record_comment(record=record, actor=worker, body=f"@{requester.username} fixed; @{worker.username}")

    assert bell(requester) == ["commented"]  # the reply, once; not the mention too
    assert bell(worker) == []


def test_turning_mentions_off_in_the_app_silences_them_there(record, worker, colleague):
    notification_preferences_set(
        user=colleague,
        enabled_events=[e for e in notification_preferences_get(user=colleague) if e != "mentioned"],
        channel=CHANNEL.IN_APP,
    )

    record_comment(record=record, actor=worker, body="@wang ping")

    assert bell(colleague) == []
    assert OutboxMessage.objects.filter(recipient=colleague.email, event="notification.mentioned").exists()


# The batch (the SLA sweep)


def test_the_batch_writes_the_same_rows_in_one_insert(
    record, worker, requester, django_assert_max_num_queries
):
    second = chore_create(actor=worker, requester=requester, title="Scanner")
    InAppNotification.objects.all().delete()
    NotificationOptOut.objects.create(user=worker, event=events.SLA_BREACHED, channel=CHANNEL.IN_APP)
    sends = [
        (events.SLA_WARNING, record, [requester, worker], {}),
        (events.SLA_WARNING, second, [worker], {}),
        (events.SLA_BREACHED, second, [worker], {}),
    ]

    with transaction.atomic():
        notify_many(sends=sends)

    assert sorted(InAppNotification.objects.values_list("number", "event", "user__username")) == [
        ("TST0000001", "sla_warning", worker.username),
        ("TST0000002", "sla_warning", worker.username),
    ]


def test_the_batchs_in_app_statements_do_not_grow_with_the_batch(record, worker, requester):
    records = [record, *(chore_create(actor=worker, requester=requester, title=f"R{i}") for i in range(4))]

    def statements(batch):
        with CaptureQueriesContext(connection) as captured, transaction.atomic():
            notify_many(sends=[(events.SLA_WARNING, r, [worker], {}) for r in batch])
        return [q["sql"] for q in captured.captured_queries if "inappnotification" in q["sql"]]

    assert len(statements(records[:1])) == len(statements(records)) == 1


# Reading and pruning


def test_reading_one_keeps_its_first_time_and_reading_all_touches_only_mine(record, requester, worker):
    send(events.RESOLVED, record, [requester, worker])
    mine = InAppNotification.objects.get(user=requester)

    first = in_app_notification_read(notification=mine).read_at
    again = in_app_notification_read(notification=InAppNotification.objects.get(pk=mine.pk))

    assert again.read_at == first
    send(events.CLOSED, record, [requester])
    assert in_app_notifications_read_all(user=requester) == 1
    assert InAppNotification.objects.get(user=worker).read_at is None


def test_pruning_deletes_only_read_notifications_past_the_keep_time_in_batches(record, requester, settings):
    settings.ITSM_IN_APP_NOTIFICATIONS_KEEP_DAYS = 30
    for _ in range(5):
        send(events.RESOLVED, record, [requester])
    old = timezone.now() - timedelta(days=31)
    rows = list(InAppNotification.objects.order_by("id"))
    InAppNotification.objects.filter(pk__in=[r.pk for r in rows[:3]]).update(created_at=old, read_at=old)
    InAppNotification.objects.filter(pk=rows[3].pk).update(created_at=old)  # old but unread
    InAppNotification.objects.filter(pk=rows[4].pk).update(read_at=timezone.now())  # read but recent

    assert in_app_notifications_prune(batch_size=2) == 3
    assert list(InAppNotification.objects.order_by("id")) == rows[3:]


def test_the_prune_task_is_on_the_beat_schedule():
    from itsm.settings import base

    entry = base.CELERY_BEAT_SCHEDULE["servicedesk.in_app_notifications_prune"]
    assert entry["task"] == "servicedesk.in_app_notifications_prune"


# Preferences per channel


def test_preferences_are_kept_per_channel(requester):
    everything = notification_preferences_get(user=requester)
    notification_preferences_set(user=requester, enabled_events=["created"], channel=CHANNEL.IN_APP)

    assert notification_preferences_get(user=requester) == everything
    assert notification_preferences_get(user=requester, channel=CHANNEL.IN_APP) == ["created"]
    assert not NotificationOptOut.objects.filter(user=requester, channel=CHANNEL.EMAIL).exists()


def test_an_unknown_channel_is_refused(requester):
    with pytest.raises(ValueError, match="channel"):
        notification_preferences_get(user=requester, channel="sms")
