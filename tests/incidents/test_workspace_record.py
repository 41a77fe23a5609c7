import re

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cmdb.models import CIClass, CIRelationship, ConfigurationItem, RelationshipType
from incidents import services
from incidents.models import Incident
from servicedesk import roles
from servicedesk.models import Attachment, TimelineEntry

from ..factories import SupportGroupFactory, UserFactory
from .factories import IncidentFactory


def url(name, record):
    return reverse(f"incidents:{name}", args=[record.number])


def page(record):
    return reverse("record", args=[record.number])


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def shown_transitions(body: str) -> set[str]:
    return set(re.findall(r'data-testid="transition" data-transition="(\w+)"', body))


def test_the_record_page_shows_the_header(client, agent, requester, incident):
    requester.phone = "+44 20 7946 0000"
    requester.save(update_fields=["phone"])
    client.force_login(agent)
    response = client.get(page(incident))
    body = response.content.decode()
    assert response.status_code == 200
    assert incident.number in body
    assert incident.title in body
    assert 'data-status="new"' in body
    assert requester.email in body
    assert "+44 20 7946 0000" in body
    assert "Portal" in body  # the channel
    assert 'id="record-version"' in body
    assert f'value="{incident.version}"' in body
    assert 'data-testid="timeline"' in body


# Editing the working fields


def test_editing_saves_the_fields_and_recomputes_the_priority(client, agent, incident):
    client.force_login(agent)
    response = client.post(
        url("record_edit", incident),
        {
            "version": incident.version,
            "title": "Outlook crashes for the whole floor",
            "description": incident.description,
            "service": incident.service_id,
            "impact": 2,
            "urgency": 1,
            "affected_cis": "",
        },
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.title == "Outlook crashes for the whole floor"
    assert (incident.impact, incident.urgency, incident.priority) == (2, 1, 2)


def test_a_stale_edit_answers_412_and_overwrites_nothing(client, agent, incident):
    read_version = incident.version
    services.incident_update(record=incident, actor=agent, title="Changed by a colleague")
    client.force_login(agent)
    response = client.post(
        url("record_edit", incident),
        {
            "version": read_version,
            "title": "My older idea",
            "description": "",
            "impact": 3,
            "urgency": 2,
        },
    )
    assert response.status_code == 412
    assert "changed meanwhile" in response.content.decode()
    incident.refresh_from_db()
    assert incident.title == "Changed by a colleague"
    # The form keeps the agent's text, now against the current version.
    assert response.context["edit_form"]["version"].value() == str(incident.version)


def test_affected_cis_are_chosen_on_a_picker_and_their_impact_shown(client, agent, incident, service):
    server = ConfigurationItem.objects.create(
        name="srv-mail-01", ci_class=CIClass.objects.filter(path__startswith="/hardware/").first()
    )
    depends = RelationshipType.objects.filter(impact=RelationshipType.Impact.TARGET_TO_SOURCE).first()
    assert depends is not None
    CIRelationship.objects.create(source=service, target=server, type=depends)
    client.force_login(agent)
    client.post(
        url("record_edit", incident),
        {
            "version": incident.version,
            "title": incident.title,
            "description": incident.description,
            "service": service.pk,
            "impact": incident.impact,
            "urgency": incident.urgency,
            "affected_cis": [str(server.pk)],
        },
    )
    assert list(incident.affected_cis.all()) == [server]
    body = client.get(page(incident)).content.decode()
    assert 'data-testid="affected-ci"' in body
    assert re.search(r'data-testid="impacted-service">E-mail<', body)


def test_an_unknown_ci_is_a_form_error(client, agent, incident):
    client.force_login(agent)
    response = client.post(
        url("record_edit", incident),
        {"version": incident.version, "title": "x", "impact": 3, "urgency": 2, "affected_cis": ["999999"]},
    )
    assert response.status_code == 400
    assert "999999 is not one of the available choices." in response.content.decode()


# Assignment


def test_assign_to_me(client, agent, incident):
    client.force_login(agent)
    response = client.post(url("record_assign", incident), {"assign_to_me": "1"})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.assignee == agent
    assert incident.status == "assigned"


def test_assign_under_htmx_answers_the_panels(client, agent, incident):
    client.force_login(agent)
    response = client.post(
        url("record_assign", incident),
        {"assign_to_me": "1", "version": incident.version},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert 'id="record-assignment"' in body
    assert 'id="record-transitions" hx-swap-oob="true"' in body
    assert 'id="record-header" hx-swap-oob="true"' in body
    incident.refresh_from_db()
    version = f'name="version" value="{incident.version}" id="record-version" hx-swap-oob="true"'
    assert version in body


def test_assigning_someone_outside_the_group_is_a_form_error(client, agent, group_manager, incident):
    elsewhere = SupportGroupFactory(name="Elsewhere")
    client.force_login(agent)
    response = client.post(
        url("record_assign", incident), {"support_group": elsewhere.pk, "assignee": group_manager.pk}
    )
    assert response.status_code == 400
    assert response.context["assign_form"].errors["assignee"] == [
        f"{group_manager.get_full_name()} is not a member of Elsewhere; choose one of its members."
    ]
    incident.refresh_from_db()
    assert incident.assignee is None


def _options(body: str, name: str) -> set[str]:
    """The labels of the options of the select named `name` in `body`."""
    select = re.search(rf'<select name="{name}".*?</select>', body, re.S)
    assert select, f"no select {name}"
    return set(re.findall(r"<option[^>]*>([^<]*)</option>", select.group(0)))


@pytest.fixture
def outsider(db):
    return UserFactory(roles=[roles.AGENT], full_name="Olga Outsider")


def test_the_assignee_menu_lists_the_records_group_members(client, agent, group_manager, outsider, incident):
    client.force_login(agent)
    body = client.get(page(incident)).content.decode()
    assert _options(body, "assignee") == {"Nobody", agent.get_full_name(), group_manager.get_full_name()}
    # The group menu asks for the new group's members when it changes.
    assert f'hx-get="{reverse("incidents:assignee_options")}"' in body
    assert 'hx-target="#id_assignee-field"' in body
    assert 'id="id_assignee-field"' in body


def test_the_assignee_options_are_the_chosen_groups_members(client, agent, group_manager, outsider):
    network = SupportGroupFactory(name="Network", members=[outsider, agent])
    client.force_login(agent)
    options = reverse("incidents:assignee_options")
    # Olga stays chosen: she is a member of Network.
    body = client.get(options, {"form": "assign", "support_group": network.pk, "assignee": outsider.pk})
    body = body.content.decode()
    assert _options(body, "assignee") == {"Nobody", agent.get_full_name(), outsider.get_full_name()}
    assert re.search(rf'<option value="{outsider.pk}" selected>', body)
    # The manager is not a member: the menu no longer offers (nor chooses) them.
    body = client.get(options, {"form": "assign", "support_group": network.pk, "assignee": group_manager.pk})
    body = body.content.decode()
    assert group_manager.get_full_name() not in body
    assert '<option value="" selected>Nobody</option>' in body
    # No group: every agent.
    body = client.get(options, {"form": "entry", "support_group": ""}).content.decode()
    assert {agent.get_full_name(), group_manager.get_full_name(), outsider.get_full_name()} <= _options(
        body, "assignee"
    )


def test_the_assignee_options_refuse_unknown_forms_and_non_agents(client, agent, requester):
    options = reverse("incidents:assignee_options")
    client.force_login(agent)
    assert client.get(options, {"form": "nope"}).status_code == 404
    client.force_login(requester)
    assert client.get(options, {"form": "assign"}).status_code == 403


def test_the_assign_transition_offers_the_records_group_members(client, agent, outsider, incident):
    client.force_login(agent)
    body = client.get(page(incident)).content.decode()
    assert outsider.get_full_name() not in _options(body, "assign-assignee")
    assert agent.get_full_name() in _options(body, "assign-assignee")


# "Assign to me"


def test_assign_to_me_outside_the_records_group_offers_my_groups(client, outsider, incident):
    network = SupportGroupFactory(name="Network", members=[outsider])
    client.force_login(outsider)
    body = client.get(page(incident)).content.decode()
    assert "You are not a member of Service Desk" in body
    assert f'name="take_into" value="{network.pk}"' in body
    assert 'name="assign_to_me"' not in body

    response = client.post(url("record_assign", incident), {"take_into": network.pk})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.support_group, incident.assignee, incident.status) == (network, outsider, "assigned")


def test_assign_to_me_without_any_group_says_so(client, outsider, incident):
    client.force_login(outsider)
    body = client.get(page(incident)).content.decode()
    assert "You are in no support group" in body
    assert 'data-testid="assign-to-me"' not in body


def test_a_refused_assign_to_me_is_shown_beside_its_button(client, agent, outsider, incident):
    """The record moved to a group the agent is not in after the page was drawn: under htmx the
    answer is the panel with the refusal beside the buttons, not on the assignee field."""
    network = SupportGroupFactory(name="Network", members=[outsider])
    services.incident_assign(record=incident, actor=agent, support_group=network)
    client.force_login(agent)
    response = client.post(
        url("record_assign", incident), {"assign_to_me": "1"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert response.status_code == 200  # htmx swaps the panel
    error = re.search(r'data-testid="assign-error">([^<]*)<', body)
    assert error
    assert error.group(1) == f"{agent.get_full_name()} is not a member of Network; choose one of its members."
    assert body.index('data-testid="assign-to-me-area"') < body.index('data-testid="assign-error"')
    assert body.index('data-testid="assign-error"') < body.index('name="support_group"')
    assert 'class="invalid-feedback' not in body
    incident.refresh_from_db()
    assert incident.assignee is None


def test_a_refused_assign_to_me_without_htmx_is_at_the_top_of_the_page(client, agent, outsider, incident):
    elsewhere = SupportGroupFactory(name="Elsewhere", members=[outsider])
    client.force_login(agent)
    response = client.post(url("record_assign", incident), {"take_into": elsewhere.pk})
    assert response.status_code == 400
    assert messages_of(response) == ["You are not a member of that group (any more)."]
    body = response.content.decode()
    assert body.index("You are not a member of that group") < body.index('id="record-header"')


# Transitions

EXPECTED = {
    "new": {"assign", "start", "resolve", "cancel"},
    "assigned": {"start", "hold", "resolve", "cancel"},
    "in_progress": {"hold", "resolve", "cancel"},
    "on_hold": {"resume", "resolve", "cancel"},
    "resolved": {"reopen", "close"},
    "closed": set(),
    "cancelled": set(),
}


def _record_in(status, support_group, agent):
    extra = {}
    if status != "new":
        extra["assignee"] = agent
    if status == "on_hold":
        extra["hold_reason"] = "vendor"
    if status in ("resolved", "closed"):
        extra.update(resolution_code="solved", resolution_notes="Fixed.")
    return IncidentFactory(support_group=support_group, status=status, **extra)


@pytest.mark.parametrize("status", list(EXPECTED))
def test_exactly_the_allowed_transitions_are_buttons(client, agent, support_group, status):
    record = _record_in(status, support_group, agent)
    client.force_login(agent)
    body = client.get(page(record)).content.decode()
    allowed = {t["name"] for t in services.allowed_transitions(record=record, user=agent)}
    assert shown_transitions(body) == allowed == EXPECTED[status]


FIRING = [
    ("new", "assign", {"assign-assignee": "AGENT"}, "assigned"),
    ("new", "start", {}, "in_progress"),
    ("assigned", "hold", {"hold-hold_reason": "vendor", "hold-reason": "Waiting for the RMA"}, "on_hold"),
    ("on_hold", "resume", {}, "in_progress"),
    (
        "in_progress",
        "resolve",
        {
            "resolve-resolution_code": "solved",
            "resolve-resolution_notes": "Replaced the cable.",
            "resolve-first_contact_resolution": "on",
        },
        "resolved",
    ),
    ("resolved", "reopen", {"reopen-reason": "It came back."}, "in_progress"),
    ("resolved", "close", {}, "closed"),
    ("assigned", "cancel", {"cancel-reason": "Filed twice."}, "cancelled"),
]


@pytest.mark.parametrize(("status", "name", "data", "target"), FIRING)
def test_firing_a_transition(client, agent, support_group, status, name, data, target):
    record = _record_in(status, support_group, agent)
    data = {key: str(agent.pk) if value == "AGENT" else value for key, value in data.items()}
    client.force_login(agent)
    response = client.post(url("record_transition", record), {"transition": name, **data})
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.status == target
    if name == "resolve":
        assert record.first_contact_resolution is True
        assert record.resolution_notes == "Replaced the cable."


def test_a_transition_missing_its_inputs_is_a_form_error(client, agent, support_group):
    record = _record_in("in_progress", support_group, agent)
    client.force_login(agent)
    response = client.post(url("record_transition", record), {"transition": "resolve"})
    assert response.status_code == 400
    record.refresh_from_db()
    assert record.status == "in_progress"


def test_a_transition_that_is_not_allowed_answers_409(client, agent, support_group):
    record = _record_in("closed", support_group, agent)
    client.force_login(agent)
    response = client.post(url("record_transition", record), {"transition": "reopen", "reopen-reason": "x"})
    assert response.status_code == 409
    record.refresh_from_db()
    assert record.status == "closed"


def test_a_transition_under_htmx_answers_the_transition_area(client, agent, support_group):
    record = _record_in("new", support_group, agent)
    client.force_login(agent)
    response = client.post(
        url("record_transition", record), {"transition": "start"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert body.lstrip().startswith('<section class="card mb-3" id="record-transitions"')
    assert shown_transitions(body) == EXPECTED["in_progress"]


# Conversation


def test_a_public_reply_and_a_work_note(client, agent, incident):
    client.force_login(agent)
    client.post(url("record_comment", incident), {"visibility": "public", "body": "We are on it."})
    client.post(url("record_comment", incident), {"visibility": "note", "body": "Looks like the profile."})
    entries = {e.body: e for e in TimelineEntry.objects.filter(kind__in=["comment", "work_note"])}
    assert entries["We are on it."].kind == "comment"
    assert entries["We are on it."].is_public
    assert entries["Looks like the profile."].kind == "work_note"
    assert not entries["Looks like the profile."].is_public
    incident.refresh_from_db()
    assert incident.responded_at is not None


def test_a_comment_under_htmx_answers_the_conversation(client, agent, incident):
    client.force_login(agent)
    response = client.post(
        url("record_comment", incident),
        {"visibility": "note", "body": "Checked the logs.", "version": incident.version},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="mb-4" id="conversation"')
    assert "Checked the logs." in body
    assert 'id="record-version" hx-swap-oob="true"' in body


def test_a_comment_with_a_file(client, agent, incident):
    client.force_login(agent)
    upload = SimpleUploadedFile("trace.txt", b"Stack trace\n", content_type="text/plain")
    response = client.post(
        url("record_comment", incident), {"visibility": "note", "body": "", "attachments": [upload]}
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.name == "trace.txt"
    assert not attachment.entry.is_public
    assert "trace.txt" in client.get(page(incident)).content.decode()


def test_an_empty_comment_is_refused(client, agent, incident):
    client.force_login(agent)
    response = client.post(url("record_comment", incident), {"visibility": "public", "body": " "})
    assert response.status_code == 400
    assert not TimelineEntry.objects.filter(kind="comment").exists()


# Parent and child, merge


@pytest.fixture
def master(db, requester, service):
    return services.incident_create(actor=requester, title="Mail is down for everyone", service=service)


def test_set_the_parent_by_number_then_detach(client, agent, incident, master):
    client.force_login(agent)
    response = client.post(url("record_parent", incident), {"parent-number": master.number.lower()})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.parent == master
    body = client.get(page(master)).content.decode()
    assert incident.number in body.split('data-testid="children"')[1]
    client.post(url("record_parent", incident), {"detach": "1"})
    incident.refresh_from_db()
    assert incident.parent is None


def test_an_unknown_parent_is_reported(client, agent, incident):
    client.force_login(agent)
    response = client.post(url("record_parent", incident), {"parent-number": "INC9999999"})
    assert response.status_code == 302
    assert "No record with that number was found." in messages_of(response)


def test_merge_needs_confirmation(client, agent, incident, master):
    client.force_login(agent)
    response = client.post(url("record_merge", incident), {"merge-number": master.number})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.merged_into is None
    assert "Confirm the merge." in messages_of(response)


def test_merge_into_another_record(client, agent, incident, master):
    client.force_login(agent)
    response = client.post(
        url("record_merge", incident), {"merge-number": master.number, "merge-confirm": "on"}
    )
    assert response.status_code == 302
    assert response.url == page(master)
    incident.refresh_from_db()
    assert incident.merged_into == master
    assert incident.status == "closed"


# Major incident


def test_a_group_manager_declares_and_stands_down_a_major_incident(client, group_manager, incident):
    client.force_login(group_manager)
    assert 'data-testid="major-form"' in client.get(page(incident)).content.decode()
    client.post(url("record_major", incident), {"is_major": "1", "reason": "Whole site"})
    incident.refresh_from_db()
    assert incident.is_major
    assert 'data-testid="major-badge"' in client.get(page(incident)).content.decode()
    client.post(url("record_major", incident), {"reason": "Contained"})
    incident.refresh_from_db()
    assert not incident.is_major


def test_an_agent_without_the_right_cannot_declare_a_major_incident(client, agent, incident):
    client.force_login(agent)
    assert 'data-testid="major-form"' not in client.get(page(incident)).content.decode()
    response = client.post(url("record_major", incident), {"is_major": "1"})
    assert response.status_code == 403
    incident.refresh_from_db()
    assert not incident.is_major


def test_a_request_cannot_be_major(client, group_manager, service_request):
    client.force_login(group_manager)
    response = client.post(url("record_major", service_request), {"is_major": "1"})
    assert response.status_code == 403
    assert Incident.objects.get(pk=service_request.pk).is_major is False


@pytest.mark.parametrize("cis", [1, 12])
def test_the_record_page_queries_are_bounded(
    client, agent, incident, service, cis, django_assert_max_num_queries
):
    server = CIClass.objects.filter(path__startswith="/hardware/").first()
    items = [ConfigurationItem.objects.create(name=f"srv-{n:02}", ci_class=server) for n in range(cis)]
    incident.affected_cis.set(items)
    for text in ("First", "Second", "Third"):
        services.incident_comment(record=incident, actor=agent, body=text, is_public=False)
    client.force_login(agent)
    client.get(page(incident))
    # A constant base (with the agent's own groups, for "Assign to me"; the record's approvals, and whether
    # one holds it, for "Assign" and "Start"; the visit noted for the queue's unread marker), plus the impact
    # of the first ten CIs walked together: one statement per level reached (only the first here: the CIs
    # relate to nothing), whatever their number.
    # + 3: the macro chooser's macros, the watchers box's watchers and the bell's unread count (issue 19).
    with django_assert_max_num_queries(23 + 1 + 3):
        response = client.get(page(incident))
    assert response.content.decode().count('data-testid="affected-ci"') == min(cis, 10)


def test_closing_under_htmx_reloads_the_whole_page(client, agent, support_group):
    record = _record_in("resolved", support_group, agent)
    client.force_login(agent)
    response = client.post(
        url("record_transition", record), {"transition": "close"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 204
    assert response["HX-Refresh"] == "true"
    record.refresh_from_db()
    assert record.status == "closed"


def test_the_timeline_names_fields_people_and_groups_in_words(client, agent, incident):
    from tests.factories import SupportGroupFactory

    network = SupportGroupFactory(name="Network Operations", members=[agent])
    services.incident_assign(record=incident, actor=agent, support_group=network, assignee=agent)
    services.incident_update(record=incident, actor=agent, impact=1)
    client.force_login(agent)

    body = client.get(page(incident)).content.decode()

    changes = re.search(r'data-testid="timeline".*', body, re.S).group(0)
    assert "Support group" in changes
    assert "Service Desk → Network Operations" in changes
    assert f"— → {agent.get_full_name()}" in changes
    assert "User → Enterprise" in changes  # impact in words, not 3 → 1
    assert f"{network.pk}" not in re.findall(r"→ (\S+)", changes)


def test_the_timeline_shows_field_changes_written_before_labels_were_kept(client, agent, incident):
    from django.contrib.contenttypes.models import ContentType

    TimelineEntry.objects.create(
        content_type=ContentType.objects.get_for_model(Incident),
        object_id=incident.pk,
        kind=TimelineEntry.Kind.FIELD_CHANGE,
        data={"changes": {"affected_cis": {"from": [], "to": [39]}, "assignee": {"from": None, "to": 12}}},
    )
    client.force_login(agent)

    response = client.get(page(incident))

    assert response.status_code == 200
    assert "[39]" in response.content.decode()
