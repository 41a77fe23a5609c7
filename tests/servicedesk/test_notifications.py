import logging
import re

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import transaction

from servicedesk import mailthreads, roles
from servicedesk.approvals.events import APPROVAL_EVENTS
from servicedesk.models import AuditEvent, NotificationOptOut, NotificationTemplate, OutboxMessage
from servicedesk.notifications import standard as events
from servicedesk.notifications.registry import REQUESTER, notification_event, notification_events
from servicedesk.notifications.standard import STANDARD_EVENTS
from servicedesk.notifications.watchers import WATCHED_EVENT
from servicedesk.records.services import record_comment
from servicedesk.services.notifications import notification_preferences_set, notify
from tests.kernelkind.models import Chore
from tests.kernelkind.services import chore_create

from ..factories import UserFactory

# The kernel's notifications, on the test-only kind (tests/kernelkind); incidents' own rules and wording
# are tested in tests/incidents/test_notifications.py.

MESSAGE_ID = re.compile(r"^<TST0000001\.[0-9a-f]{32}@itsm\.localhost>$")
# A message to a person carries their reply token (servicedesk.mailthreads).
PERSONAL_MESSAGE_ID = re.compile(r"^<TST0000001\.[0-9a-f]{32}\.[0-9a-z]+-[0-9a-f]{32}@itsm\.localhost>$")
THREAD = "<TST0000001@itsm.localhost>"
LINK = "http://localhost:8000/records/TST0000001/"


@pytest.fixture
def record(worker, requester):
    """TST0000001, a chore filed by the worker for the requester; the outbox starts empty."""
    created = chore_create(actor=worker, requester=requester, title="Printer on floor 3 jams")
    OutboxMessage.objects.all().delete()
    return created


@pytest.fixture
def chore_manager(group_manager):
    """The group manager, who works chores too (and so reads their work notes)."""
    group_manager.user_permissions.add(*Permission.objects.filter(codename__in=["work_chore", "view_chore"]))
    return type(group_manager).objects.get(pk=group_manager.pk)


@pytest.fixture
def chinese_requester(db):
    return UserFactory(username="liwei", full_name="Wei Li", language="zh-hans", roles=[roles.REQUESTER])


def send(event, record, recipients, actor=None, **context):
    with transaction.atomic():
        return notify(event=event, record=record, recipients=recipients, actor=actor, context=context)


def delivered(django_capture_on_commit_callbacks, event, record, recipients, actor=None, **context):
    with django_capture_on_commit_callbacks(execute=True):
        messages = send(event, record, recipients, actor, **context)
    return messages, list(mail.outbox)


# The message


def test_a_message_carries_the_number_in_its_subject_and_the_threading_headers(record, requester):
    [message] = send(events.RESOLVED, record, [requester])

    assert message.channel == OutboxMessage.Channel.EMAIL
    assert message.event == "notification.resolved"
    assert message.recipient == requester.email
    assert (message.content_type.model_class(), message.object_id) == (Chore, record.pk)
    assert message.payload["subject"] == "[TST0000001] Resolved: Printer on floor 3 jams"
    headers = message.payload["headers"]
    assert PERSONAL_MESSAGE_ID.match(headers["Message-ID"])
    assert headers["In-Reply-To"] == headers["References"] == THREAD
    assert headers["Auto-Submitted"] == "auto-generated"
    assert headers["X-Auto-Response-Suppress"] == "All"


def test_each_message_has_its_own_message_id_in_the_records_thread(record, requester, agent):
    first, second = send(events.CLOSED, record, [requester, "desk@example.com"], actor=agent)

    assert first.payload["headers"]["Message-ID"] != second.payload["headers"]["Message-ID"]
    assert first.payload["headers"]["References"] == second.payload["headers"]["References"] == THREAD


def test_a_persons_message_id_authenticates_their_reply_on_this_record_only(record, requester, agent):
    to_requester, to_list = send(events.CLOSED, record, [requester, "desk@example.com"], actor=agent)

    personal = to_requester.payload["headers"]["Message-ID"]
    assert PERSONAL_MESSAGE_ID.match(personal)
    assert MESSAGE_ID.match(to_list.payload["headers"]["Message-ID"])  # a list: anyone on it could reply
    assert mailthreads.reply_authenticates([THREAD, personal], number=record.number, user=requester)
    assert not mailthreads.reply_authenticates([personal], number=record.number, user=agent)
    assert not mailthreads.reply_authenticates([personal], number="TST0000002", user=requester)
    assert not mailthreads.reply_authenticates([THREAD], number=record.number, user=requester)


def test_the_delivered_email_has_a_text_body_an_html_alternative_and_the_headers(
    record, requester, django_capture_on_commit_callbacks
):
    [queued], [email] = delivered(django_capture_on_commit_callbacks, events.RESOLVED, record, [requester])

    assert email.to == [requester.email]
    assert email.subject == "[TST0000001] Resolved: Printer on floor 3 jams"
    assert email.body.startswith(f"Hello {requester.get_short_name()},")
    assert "We believe TST0000001 is resolved." in email.body
    assert LINK in email.body
    [(html, mimetype)] = email.alternatives
    assert mimetype == "text/html"
    assert f'<a href="{LINK}"' in html
    assert "Confirm or reopen" in html
    sent = email.message()
    assert sent["Message-ID"] == queued.payload["headers"]["Message-ID"]
    assert sent["In-Reply-To"] == sent["References"] == THREAD
    assert sent["Auto-Submitted"] == "auto-generated"


@pytest.mark.parametrize("event", [event.code for event in STANDARD_EVENTS])
def test_every_event_has_a_default_subject_text_and_html(record, worker, event):
    approval_url = "http://localhost:8000/approvals/link/token/"
    [message] = send(
        event,
        record,
        [worker],
        data={"target": "Resolution", "due_at": "14:30", "approval_url": approval_url},
    )
    # An approver need not see the record: the approval e-mails link to the approval's page instead.
    link = approval_url if event in ("approval_requested", "approval_reminder") else LINK

    payload = message.payload
    assert payload["subject"].startswith("[TST0000001] ")
    assert "Printer on floor 3 jams" in payload["subject"]
    assert "\n" not in payload["subject"]
    assert "TST0000001" in payload["text"]
    assert link in payload["text"]
    assert "{%" not in payload["text"]
    assert "{{" not in payload["text"]
    assert payload["html"].startswith("<!DOCTYPE html>")
    assert f'href="{link}"' in payload["html"]


def test_the_title_is_escaped_in_html_but_not_in_text(record, requester):
    record.title = "Outlook <script>alert(1)</script> & Teams"
    [message] = send(events.CLOSED, record, [requester])

    assert "Outlook <script>alert(1)</script> & Teams" in message.payload["text"]
    assert "<script>" not in message.payload["html"]
    assert "Outlook &lt;script&gt;alert(1)&lt;/script&gt; &amp; Teams" in message.payload["html"]


def test_a_long_title_gives_a_single_line_subject_of_at_most_200_characters(record, requester):
    record.title = "Word " * 60
    [message] = send(events.CLOSED, record, [requester])

    subject = message.payload["subject"]
    assert len(subject) == 200
    assert subject.startswith("[TST0000001] Closed: Word Word")
    assert subject.endswith("…")


@pytest.mark.django_db(transaction=True)
def test_a_notification_is_refused_outside_the_transaction_of_its_change(record, requester):
    with pytest.raises(RuntimeError):
        notify(event=events.CLOSED, record=record, recipients=[requester])


# Languages


def test_each_recipient_reads_the_message_in_their_own_language(record, requester, chinese_requester):
    english, chinese = send(events.WAITING, record, [requester, chinese_requester])

    assert "Chore TST0000001" in english.payload["text"]
    assert "Status: Open" in english.payload["text"]
    assert '<html lang="en">' in english.payload["html"]
    # The templates' wording from the catalogue (the kind's labels: tests/incidents/test_notifications.py).
    assert "状态：" in chinese.payload["text"]
    assert "Status:" not in chinese.payload["text"]
    assert '<html lang="zh-hans">' in chinese.payload["html"]


def test_a_plain_address_and_a_user_without_a_language_get_the_sites_language(record, settings, worker):
    worker.language = ""
    settings.LANGUAGE_CODE = "zh-hans"
    to_user, to_list = send(events.ASSIGNED, record, [worker, "desk@example.com"])

    assert to_user.recipient == worker.email
    assert "状态：" in to_user.payload["text"]
    assert "状态：" in to_list.payload["text"]


# Administrators' templates


def test_an_administrators_template_replaces_the_default_in_its_language_only(
    record, requester, chinese_requester
):
    NotificationTemplate.objects.create(
        event=events.RESOLVED,
        language="zh-hans",
        subject="已解决：{{ title }}",
        body_text="{{ recipient_name }}，您好：{{ number }} 已解决。请确认：{{ link }}",
        body_html="<p>{{ number }} 已解决：<b>{{ title }}</b></p>",
    )
    english, chinese = send(events.RESOLVED, record, [requester, chinese_requester])

    assert chinese.payload["subject"] == "[TST0000001] 已解决：Printer on floor 3 jams"
    assert chinese.payload["text"] == f"Wei，您好：TST0000001 已解决。请确认：{LINK}\n"
    assert chinese.payload["html"] == "<p>TST0000001 已解决：<b>Printer on floor 3 jams</b></p>"
    assert english.payload["subject"] == "[TST0000001] Resolved: Printer on floor 3 jams"


def test_an_administrators_template_without_html_sends_the_text_only(
    record, chinese_requester, django_capture_on_commit_callbacks
):
    NotificationTemplate.objects.create(
        event=events.CLOSED,
        language="zh-hans",
        subject="已关闭",
        body_text="{{ number }} 已关闭。",
    )
    _, [email] = delivered(django_capture_on_commit_callbacks, events.CLOSED, record, [chinese_requester])

    assert email.subject == "[TST0000001] 已关闭"
    assert email.body == "TST0000001 已关闭。\n"
    assert email.alternatives == []


@pytest.mark.parametrize(
    "broken",
    ["{% if title %}never closed", "{{ title|no_such_filter }}", "{% url 'no-such-page' %}"],
    ids=["syntax", "unknown-filter", "fails-when-rendered"],
)
def test_a_broken_administrators_template_falls_back_to_the_default(record, requester, caplog, broken):
    NotificationTemplate.objects.create(
        event=events.CLOSED, language="en", subject="Done: {{ title }}", body_text=broken
    )
    with caplog.at_level(logging.ERROR, logger="servicedesk.services.notifications"):
        [message] = send(events.CLOSED, record, [requester])

    assert message.payload["subject"] == "[TST0000001] Done: Printer on floor 3 jams"
    assert "TST0000001 is now closed (Open)." in message.payload["text"]
    assert "using the default" in caplog.text


# Who gets it


def test_the_actor_inactive_people_people_without_an_address_and_opted_out_people_are_skipped(
    record, requester, agent, group_manager
):
    inactive = UserFactory(is_active=False)
    no_email = UserFactory(email="")
    opted_out = UserFactory()
    NotificationOptOut.objects.create(user=opted_out, event=events.CLOSED)
    NotificationOptOut.objects.create(user=requester, event=events.ASSIGNED)  # another event

    messages = send(
        events.CLOSED,
        record,
        [agent, inactive, no_email, opted_out, requester, group_manager],
        actor=agent,
    )

    assert [m.recipient for m in messages] == [requester.email, group_manager.email]


def test_each_address_gets_one_message_whatever_its_case(record, requester, agent):
    messages = send(
        events.CLOSED,
        record,
        [requester, requester.email.upper(), "Desk@Example.com", "desk@example.com"],
    )

    assert [m.recipient for m in messages] == [requester.email, "Desk@Example.com"]


def test_the_actors_own_address_given_as_text_is_skipped(record, agent):
    assert send(events.ASSIGNED, record, [agent.email.upper()], actor=agent) == []


def test_the_requester_who_filed_gets_the_acknowledgement_of_their_own_record(record, requester):
    [message] = send(events.CREATED, record, [requester], actor=requester)

    assert message.recipient == requester.email
    assert "We logged your message as TST0000001" in message.payload["text"]


def test_a_work_note_is_never_sent_to_the_requester_but_reaches_an_agent(
    record, requester, worker, chore_manager
):
    note = record_comment(record=record, actor=worker, body="The **vendor** owes us money.", is_public=False)
    OutboxMessage.objects.all().delete()

    messages = send(events.COMMENTED, record, [requester, chore_manager], actor=worker, entry=note)

    [message] = messages
    assert message.recipient == chore_manager.email
    assert "The **vendor** owes us money." in message.payload["text"]
    assert "<strong>vendor</strong> owes us money." in message.payload["html"]


def test_a_work_note_given_with_another_event_is_left_out_for_the_requester(record, requester, worker):
    note = record_comment(record=record, actor=worker, body="Vendor ticket 4711", is_public=False)
    [message] = send(events.CLOSED, record, [requester], actor=worker, entry=note)

    assert "Vendor ticket 4711" not in message.payload["text"]
    assert "Vendor ticket 4711" not in message.payload["html"]


def test_a_public_comment_is_quoted_as_text_and_as_sanitised_html(record, requester, worker):
    comment = record_comment(
        record=record, actor=worker, body="Please try **again**. <img src=x onerror=alert(1)>"
    )
    OutboxMessage.objects.all().delete()
    [message] = send(events.COMMENTED, record, [requester], actor=worker, entry=comment)

    assert f"{worker} wrote on TST0000001:" in message.payload["text"]
    assert "Please try **again**." in message.payload["text"]
    assert "<strong>again</strong>" in message.payload["html"]
    assert "<img" not in message.payload["html"]


# Preferences


def _foundations(codes) -> list[str]:
    """The foundation's events among `codes`, in order; the process apps add their own (problems...)."""
    return [code for code in codes if notification_event(code).app == "servicedesk"]


def _apps_events(audience: str) -> list[str]:
    """The process apps' events `audience` may subscribe to: left on by these tests of the foundation's."""
    return [event.code for event in notification_events(audience=audience) if event.app != "servicedesk"]


def test_the_preferences_page_shows_a_requester_the_events_that_concern_them(client, requester):
    NotificationOptOut.objects.create(user=requester, event=events.WAITING)
    client.force_login(requester)

    response = client.get("/profile/notifications/")

    assert response.status_code == 200
    field = response.context["form"]["email"]
    assert _foundations(value for value, _ in field.field.choices) == [
        "created",
        "commented",
        "mentioned",
        "watched_update",
        "waiting",
        "resolved",
        "closed",
        "approval_requested",
        "approval_reminder",
        "approval_decided",
        "approval_delegated",
    ]
    assert _foundations(field.value()) == [
        "created",
        "commented",
        "mentioned",
        "watched_update",
        "resolved",
        "closed",
        "approval_requested",
        "approval_reminder",
        "approval_decided",
        "approval_delegated",
    ]
    assert "A record I filed was resolved" in response.content.decode()


def test_the_preferences_page_shows_an_agent_the_agents_events_too(client, agent):
    client.force_login(agent)

    choices = client.get("/profile/notifications/").context["form"]["email"].field.choices

    assert _foundations(value for value, _ in choices) == [
        event.code for event in sorted((*STANDARD_EVENTS, WATCHED_EVENT), key=lambda e: e.order)
    ] + [event.code for event in APPROVAL_EVENTS]


def test_saving_preferences_turns_off_the_unticked_events_and_is_audited(client, requester, record):
    NotificationOptOut.objects.create(user=requester, event=events.CREATED)
    client.force_login(requester)

    approvals = ["approval_requested", "approval_reminder", "approval_decided", "approval_delegated"]
    every = [event.code for event in notification_events(audience=REQUESTER)]
    response = client.post(
        "/profile/notifications/",
        {
            "email": [
                "created",
                "commented",
                "mentioned",
                "watched_update",
                "waiting",
                *approvals,
                *_apps_events(REQUESTER),
            ],
            "in_app": every,
        },
    )

    assert response.status_code == 302
    assert response.url == "/profile/notifications/"
    assert set(NotificationOptOut.objects.filter(user=requester).values_list("event", flat=True)) == {
        "resolved",
        "closed",
    }
    [event] = AuditEvent.objects.filter(action="user.notifications_changed")
    assert event.data == {"channel": "email", "enabled": ["created"], "disabled": ["closed", "resolved"]}
    assert send(events.RESOLVED, record, [requester]) == []
    assert len(send(events.CREATED, record, [requester])) == 1


def test_saving_the_same_preferences_again_changes_and_audits_nothing(requester):
    notification_preferences_set(user=requester, enabled_events=["created"])
    notification_preferences_set(user=requester, enabled_events=["created"])

    assert AuditEvent.objects.filter(action="user.notifications_changed").count() == 1


def test_a_requester_cannot_touch_an_event_that_does_not_concern_them(requester):
    NotificationOptOut.objects.create(user=requester, event=events.ASSIGNED)

    notification_preferences_set(
        user=requester,
        enabled_events=[
            "assigned",
            *(event.code for event in (*STANDARD_EVENTS, WATCHED_EVENT, *APPROVAL_EVENTS)),
            *_apps_events(REQUESTER),
        ],
    )

    assert list(NotificationOptOut.objects.filter(user=requester).values_list("event", flat=True)) == [
        "assigned"
    ]


def test_the_preferences_page_needs_a_signed_in_user_and_is_linked_from_the_profile(client, requester):
    assert client.get("/profile/notifications/").url.startswith("/login/")
    client.force_login(requester)
    assert 'href="/profile/notifications/"' in client.get("/profile/").content.decode()


# Admin


def test_the_admin_add_form_starts_from_the_shipped_default(client, superuser):
    client.force_login(superuser)

    response = client.get("/admin/servicedesk/notificationtemplate/add/?event=resolved&language=zh-hans")

    assert response.status_code == 200
    initial = response.context["adminform"].form.initial
    assert initial["language"] == "zh-hans"
    assert "{% blocktranslate %}Resolved: {{ title }}{% endblocktranslate %}" in initial["subject"]
    assert "We believe {{ number }} is resolved." in initial["body_text"]
    assert initial["body_html"].startswith('{% extends "servicedesk/notifications/_layout.html" %}')
    assert "recipient_is_requester" in response.content.decode()


def test_the_admin_refuses_a_template_that_does_not_compile(client, superuser):
    client.force_login(superuser)

    response = client.post(
        "/admin/servicedesk/notificationtemplate/add/",
        {"event": "closed", "language": "en", "subject": "{% if %}", "body_text": "{{ number|nope }}"},
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "This is not a valid template" in errors["subject"][0]
    assert "nope" in errors["body_text"][0]
    assert not NotificationTemplate.objects.exists()


def test_the_admin_saves_a_valid_template_and_audits_it(client, superuser):
    client.force_login(superuser)

    response = client.post(
        "/admin/servicedesk/notificationtemplate/add/",
        {"event": "closed", "language": "en", "subject": "Closed {{ title }}", "body_text": "{{ number }}"},
    )

    assert response.status_code == 302
    template = NotificationTemplate.objects.get()
    assert (template.event, template.language, template.body_html) == ("closed", "en", "")
    assert AuditEvent.objects.filter(action="notificationtemplate.created_in_admin").count() == 1
    change_page = client.get(f"/admin/servicedesk/notificationtemplate/{template.pk}/change/")
    assert change_page.status_code == 200
    assert "Closed {{ title }}" in change_page.content.decode()


def test_the_admin_lists_opt_outs_read_only(client, superuser, requester):
    NotificationOptOut.objects.create(user=requester, event=events.CLOSED)
    client.force_login(superuser)

    listing = client.get("/admin/servicedesk/notificationoptout/")

    assert listing.status_code == 200
    assert str(requester) in listing.content.decode()
    assert client.get("/admin/servicedesk/notificationoptout/add/").status_code == 403
