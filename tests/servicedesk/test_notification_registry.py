"""Notification events are a registry: an app adds its own (audience, templates, recipients) with one call,
no migration; a kind's rules say which of its events send which, and its policy who works the record."""

import re

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from servicedesk import kinds
from servicedesk.errors import NotFound
from servicedesk.kinds import RecordKind, register_record_kind
from servicedesk.models import NotificationOptOut, NotificationTemplate, OutboxMessage, TimelineEntry
from servicedesk.notifications import audiences
from servicedesk.notifications.registry import (
    AGENT,
    REQUESTER,
    NotificationEventType,
    NotificationRule,
    UnknownNotificationEvent,
    notification_event,
    notification_event_label,
    notification_events,
    register_notification_event,
    unregister_notification_event,
)
from servicedesk.notifications.standard import STANDARD_EVENTS
from servicedesk.services.notifications import (
    default_template_source,
    notification_preferences_set,
    notify,
    record_event_notify,
)
from servicedesk.services.timeline import timeline_add
from tests.kernelkind.services import chore_create

from ..factories import UserFactory

# A process app ("gadgets") registers two events of its own, ordered after every real app's.
READY = NotificationEventType(
    code="gadget_ready",
    label=_("A gadget I work on is ready"),
    audience=(AGENT,),
    app="gadgets",
    order=9000,
    recipients=audiences.workers,
    context=lambda record, data: {"bay": data.get("bay", "?")},
    variables={"bay": _("the bay the gadget waits in")},
)
SHIPPED = NotificationEventType(
    code="gadget_shipped",
    label=_("A gadget I asked for was shipped"),
    audience=(REQUESTER,),
    app="gadgets",
    order=9010,
    recipients=audiences.requester,
)


def _not_a_process_apps(code: str) -> bool:
    """The foundation's events and the gadgets' of these tests; not those of the installed apps."""
    return notification_event(code).app in ("servicedesk", "gadgets")


@pytest.fixture
def gadget_events():
    """The app's events, registered for one test and taken away again."""
    for event_type in (READY, SHIPPED):
        register_notification_event(event_type)
    yield
    for event_type in (READY, SHIPPED):
        unregister_notification_event(event_type.code)


@pytest.fixture
def gadget_templates(settings, tmp_path):
    """The app ships the subject of gadget_ready; its bodies fall back to the foundation's folder."""
    for name, source in {
        "gadgets/notifications/gadget_ready.subject.txt": "Ready in bay {{ bay }}: {{ title }}",
        "servicedesk/notifications/gadget_ready.txt": "{{ number }} waits in bay {{ bay }}. {{ link }}",
        "servicedesk/notifications/gadget_ready.html": "<!DOCTYPE html><p>{{ number }}: bay {{ bay }}</p>",
    }.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]


@pytest.fixture
def record(worker, requester):
    """A chore (the test-only kind), filed by the worker for the requester; the outbox starts empty."""
    created = chore_create(actor=worker, requester=requester, title="Printer on floor 3 jams")
    OutboxMessage.objects.all().delete()
    return created


def send(event, record, recipients, actor=None, **context):
    with transaction.atomic():
        return notify(event=event, record=record, recipients=recipients, actor=actor, context=context)


# The registry


def test_the_foundation_registers_its_eleven_generic_events_in_order():
    """The ten standard ones and the watchers' (issue 19), then the four of approvals, a foundation
    service too (the process apps add theirs)."""
    assert [event.code for event in notification_events() if event.app == "servicedesk"] == [
        "created",
        "assigned",
        "commented",
        "mentioned",
        "watched_update",
        "waiting",
        "resolved",
        "reopened",
        "closed",
        "sla_warning",
        "sla_breached",
        "escalated",
        "approval_requested",
        "approval_reminder",
        "approval_decided",
        "approval_delegated",
    ]
    assert [
        event.code for event in notification_events(audience=REQUESTER) if event.app == "servicedesk"
    ] == [
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
    assert notification_event("resolved").template_names("text") == ["servicedesk/notifications/resolved.txt"]


def test_an_apps_event_is_listed_after_the_foundations_and_its_templates_fall_back(gadget_events):
    assert [event.code for event in notification_events()][-2:] == ["gadget_ready", "gadget_shipped"]
    assert notification_event("gadget_ready").template_names("subject") == [
        "gadgets/notifications/gadget_ready.subject.txt",
        "servicedesk/notifications/gadget_ready.subject.txt",
    ]


def test_registering_the_same_event_twice_is_harmless_and_a_taken_code_is_refused(gadget_events):
    register_notification_event(READY)
    with pytest.raises(ValueError, match="gadget_ready is already registered by gadgets"):
        register_notification_event(NotificationEventType(code="gadget_ready", label="x", audience=(AGENT,)))
    with pytest.raises(ValueError, match="already registered by servicedesk"):
        register_notification_event(NotificationEventType(code="resolved", label="x", audience=(AGENT,)))


@pytest.mark.parametrize(
    ("code", "audience"),
    [
        ("Gadget", (AGENT,)),
        ("gadget-ready", (AGENT,)),
        ("g" * 51, (AGENT,)),
        ("gadget", ()),
        ("gadget", ("cab",)),
    ],
)
def test_a_malformed_event_is_refused(code, audience):
    with pytest.raises(ValueError, match="Notification event"):
        register_notification_event(NotificationEventType(code=code, label="x", audience=audience))
    assert code not in [event.code for event in notification_events()]


def test_an_unknown_event_is_refused_by_the_services_with_a_clear_error(record, requester):
    with pytest.raises(UnknownNotificationEvent) as refused:
        send("gadget_ready", record, [requester])
    assert refused.value.status_code == 400
    assert refused.value.code == "unknown_notification_event"
    assert str(refused.value) == "“gadget_ready” is not a notification event."
    with pytest.raises(UnknownNotificationEvent):
        notification_preferences_set(user=requester, enabled_events=["created", "gadget_ready"])
    with pytest.raises(UnknownNotificationEvent):
        default_template_source(event="gadget_ready", part="text")
    assert not NotificationOptOut.objects.exists()


def test_labels_come_from_the_registry_and_a_row_of_an_event_no_longer_registered_keeps_its_code(requester):
    assert str(NotificationTemplate(event="resolved", language="en")) == "A record I filed was resolved (en)"
    assert (
        NotificationOptOut(user=requester, event="closed").get_event_display()
        == "A record I filed was closed"
    )
    assert notification_event_label("gadget_ready") == "gadget_ready"
    assert str(NotificationTemplate(event="gadget_ready", language="en")) == "gadget_ready (en)"


def test_the_foundations_events_are_the_ones_shipped_with_templates():
    for event in STANDARD_EVENTS:
        for part in ("subject", "text", "html"):
            assert default_template_source(event=event.code, part=part)


# An app's event, end to end, without a migration


def test_notify_renders_an_apps_event_from_its_own_templates_falling_back_per_part(
    record, worker, gadget_events, gadget_templates
):
    [message] = send("gadget_ready", record, [worker], data={"bay": "7"})

    assert message.event == "notification.gadget_ready"
    assert message.payload["subject"] == "[TST0000001] Ready in bay 7: Printer on floor 3 jams"
    assert message.payload["text"] == "TST0000001 waits in bay 7. http://localhost:8000/records/TST0000001/\n"
    assert message.payload["html"] == "<!DOCTYPE html><p>TST0000001: bay 7</p>"


def test_an_apps_agents_event_is_not_sent_to_a_requester(record, requester, gadget_events, gadget_templates):
    assert send("gadget_ready", record, [requester], data={"bay": "7"}) == []


def test_the_preferences_page_lists_an_apps_events_by_audience_and_stores_their_opt_out(
    client, requester, agent, gadget_events
):
    client.force_login(requester)
    page = client.get("/profile/notifications/")
    assert [code for code, _ in page.context["form"]["email"].field.choices][-1] == "gadget_shipped"
    assert "gadget_ready" not in page.content.decode()

    client.force_login(agent)
    page = client.get("/profile/notifications/")
    # The registered process apps' events (problems...) sit between the foundation's and the gadgets'.
    sections = [
        (str(heading), [event for event, _label, _boxes in rows if _not_a_process_apps(event)])
        for heading, rows in page.context["form"].sections()
    ]
    assert sections == [
        (
            "About records I filed or follow",
            [
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
                "gadget_shipped",
            ],
        ),
        (
            "About records I work on",
            ["assigned", "reopened", "sla_warning", "sla_breached", "escalated", "gadget_ready"],
        ),
    ]
    html = page.content.decode()
    assert "A gadget I work on is ready" in html
    assert html.index("About records I work on") < html.index("A gadget I work on is ready")

    choices = [code for code, _ in page.context["form"]["email"].field.choices]
    response = client.post(
        "/profile/notifications/",
        {"email": [code for code in choices if code != "gadget_ready"], "in_app": choices},
    )

    assert response.status_code == 302
    assert list(NotificationOptOut.objects.filter(user=agent).values_list("event", "channel")) == [
        ("gadget_ready", "email")
    ]


def test_an_unregistered_event_posted_to_the_preferences_page_is_an_error_on_the_page(client, requester):
    client.force_login(requester)

    response = client.post("/profile/notifications/", {"email": ["created", "gadget_ready"]})

    assert response.status_code == 200
    assert "gadget_ready is not one of the available choices" in response.content.decode()
    assert not NotificationOptOut.objects.exists()


def test_the_admin_lists_the_registered_events_with_their_variables_and_saves_an_apps_template(
    client, superuser, gadget_events
):
    client.force_login(superuser)

    page = client.get("/admin/servicedesk/notificationtemplate/add/")

    assert ("gadget_ready", "A gadget I work on is ready") in [
        (code, str(label)) for code, label in page.context["adminform"].form.fields["event"].choices
    ]
    html = page.content.decode()
    assert "<code>gadget_ready</code>: A gadget I work on is ready" in html
    assert "<code>bay</code>: the bay the gadget waits in" in html
    # The kinds whose rules send it follow who may subscribe (incidents': tests/incidents/test_admin.py).
    breached = re.search(
        r"<code>sla_breached</code>: A record breached its SLA target <small>\((.*?)\)", html
    )
    assert breached[1].startswith("agents; ")
    assert "Chore" in breached[1]

    response = client.post(
        "/admin/servicedesk/notificationtemplate/add/",
        {"event": "gadget_ready", "language": "en", "subject": "Bay {{ bay }}", "body_text": "{{ number }}"},
    )

    assert response.status_code == 302
    template = NotificationTemplate.objects.get()
    assert (template.event, str(template)) == ("gadget_ready", "A gadget I work on is ready (en)")
    listing = client.get("/admin/servicedesk/notificationtemplate/?event=gadget_ready")
    assert "A gadget I work on is ready" in listing.content.decode()


def test_the_admin_prefills_an_apps_event_from_its_default_templates(
    client, superuser, gadget_events, gadget_templates
):
    client.force_login(superuser)

    page = client.get("/admin/servicedesk/notificationtemplate/add/?event=gadget_ready&language=en")

    initial = page.context["adminform"].form.initial
    assert initial["subject"] == "Ready in bay {{ bay }}: {{ title }}"
    assert initial["body_text"] == "{{ number }} waits in bay {{ bay }}. {{ link }}"


def test_the_admin_refuses_an_event_nobody_registered(client, superuser):
    client.force_login(superuser)

    response = client.post(
        "/admin/servicedesk/notificationtemplate/add/",
        {"event": "gadget_ready", "language": "en", "subject": "x", "body_text": "y"},
    )

    assert response.status_code == 200
    assert "event" in response.context["adminform"].form.errors
    assert not NotificationTemplate.objects.exists()


def test_an_app_registering_an_event_needs_no_migration(db, gadget_events):
    call_command("makemigrations", "servicedesk", check=True, dry_run=True, verbosity=0)


# A kind's rules and its policy


def _no_record(*, user, number):
    raise NotFound()


def _kind(**overrides):
    return RecordKind(
        **{
            "code": "gadget",
            "prefix": "GAD",
            "label": _("Gadget"),
            "model": "kernelkind.Chore",
            "get_for_user": _no_record,
            "url_name": "record",
            **overrides,
        }
    )


@pytest.fixture
def gadget(monkeypatch, record, agent):
    """A record of a kind registered for this test only (GAD), worked by the agent."""
    monkeypatch.setattr(kinds, "_KINDS", dict(kinds._KINDS))
    record.number = "GAD0000001"
    record.assignee = agent
    return record


def _work_note(record, author):
    with transaction.atomic():
        return timeline_add(
            record=record,
            kind=TimelineEntry.Kind.WORK_NOTE,
            author=author,
            body="Vendor ticket 4711",
            is_public=False,
        )


def _by_the_requester(record, actor, entry, data):
    return actor is not None and actor.pk == record.requester_id


def test_a_kinds_rules_decide_which_events_notify_whom(
    gadget, requester, agent, gadget_events, gadget_templates
):
    register_record_kind(
        _kind(
            can_see_internal=lambda user, record: user.pk == agent.pk,
            notifications=(
                NotificationRule(on="packed", send="gadget_ready"),  # the event's own recipients: workers
                NotificationRule(on="shipped", send="gadget_shipped", when=_by_the_requester),
                NotificationRule(on="shipped", send="closed", recipients=lambda *args: ["desk@example.com"]),
            ),
        )
    )

    with transaction.atomic():
        packed = record_event_notify(record=gadget, event="packed", actor=None, data={"bay": "2"})
        shipped = record_event_notify(record=gadget, event="shipped", actor=agent)
        nothing = record_event_notify(record=gadget, event="unpacked", actor=agent)

    assert [(m.event, m.recipient) for m in packed] == [("notification.gadget_ready", agent.email)]
    assert packed[0].payload["subject"] == "[GAD0000001] Ready in bay 2: Printer on floor 3 jams"
    assert [(m.event, m.recipient) for m in shipped] == [("notification.closed", "desk@example.com")]
    assert nothing == []


def test_a_kind_that_does_not_say_who_works_it_mails_work_notes_and_agents_events_to_nobody(
    gadget, requester, agent
):
    register_record_kind(_kind())
    note = _work_note(gadget, agent)

    assert send("assigned", gadget, [agent]) == []
    [closed] = send("closed", gadget, [agent], entry=note)
    assert "Vendor ticket 4711" not in closed.payload["text"]
    assert send("commented", gadget, [agent], entry=note) == []


def test_who_reads_work_notes_is_the_kinds_answer_whoever_is_an_agent(gadget, requester, agent):
    outsider = UserFactory(username="outsider", email="outsider@example.com")
    register_record_kind(_kind(can_see_internal=lambda user, record: user.pk == outsider.pk))
    note = _work_note(gadget, agent)

    messages = send("commented", gadget, [agent, outsider], entry=note)

    assert agent.is_agent
    assert not outsider.is_agent
    assert [m.recipient for m in messages] == ["outsider@example.com"]
    assert "Vendor ticket 4711" in messages[0].payload["text"]
