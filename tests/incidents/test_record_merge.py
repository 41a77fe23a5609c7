"""Two people edit one record at once: each save writes only what its person changed, and a field both
changed is shown to the second one to choose (the record page's edit form, servicedesk.forms_merge)."""

import pytest
from django.urls import reverse

from incidents import services
from incidents.models import Incident

from ..factories import SupportGroupFactory
from ..formdata import form_data


def _page(record) -> str:
    return reverse("record", args=[record.number])


def _edit(record) -> str:
    return reverse("incidents:record_edit", args=[record.number])


@pytest.fixture
def tab(client, agent):
    """The edit form as the agent's browser tab holds it after loading the record page."""
    client.force_login(agent)

    def open_form(record: Incident) -> dict:
        return form_data(client.get(_page(record)).content, "edit-form")

    return open_form


def _save(client, record, data):
    return client.post(_edit(record), data)


def test_a_save_keeps_what_a_colleague_changed_in_another_field(client, tab, incident, group_manager):
    tab_a = tab(incident)
    tab_b = tab(incident)
    tab_b["title"] = "Outlook crashes for the whole floor"
    assert _save(client, incident, tab_b).status_code == 302

    tab_a["description"] = "It crashes when the calendar opens."
    response = _save(client, incident, tab_a)

    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.title == "Outlook crashes for the whole floor"
    assert incident.description == "It crashes when the calendar opens."


def test_a_save_after_a_colleague_changed_the_same_field_shows_both_and_saves_nothing(
    client, tab, incident, agent
):
    tab_a = tab(incident)
    services.incident_update(record=incident, actor=agent, title="Their title")
    incident.refresh_from_db()
    version = incident.version

    tab_a["title"] = "My title"
    tab_a["description"] = "My description"
    response = _save(client, incident, tab_a)

    assert response.status_code == 412
    body = response.content.decode()
    assert 'data-testid="stale-warning"' in body
    assert 'data-testid="conflict-title"' in body
    assert 'data-testid="theirs-title">Their title<' in body
    assert 'data-testid="conflict-description"' not in body
    incident.refresh_from_db()
    assert (incident.title, incident.description, incident.version) == (
        "Their title",
        "It crashes at once.",
        version,
    )
    # The form holds the agent's values, against the current version.
    again = form_data(body, "edit-form")
    assert again["title"] == "My title"
    assert again["description"] == "My description"
    assert again["version"] == str(version)


@pytest.mark.parametrize(("choice", "title"), [("mine", "My title"), ("theirs", "Their title")])
def test_choosing_a_value_in_a_conflict_saves_it_with_the_other_changes(
    client, tab, incident, agent, choice, title
):
    tab_a = tab(incident)
    services.incident_update(record=incident, actor=agent, title="Their title")
    tab_a.update(title="My title", description="My description")
    again = form_data(_save(client, incident, tab_a).content, "edit-form")

    again["resolve-title"] = choice
    response = _save(client, incident, again)

    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.title, incident.description) == (title, "My description")


def test_saving_a_conflict_without_choosing_shows_it_again(client, tab, incident, agent):
    tab_a = tab(incident)
    services.incident_update(record=incident, actor=agent, title="Their title")
    tab_a["title"] = "My title"
    again = form_data(_save(client, incident, tab_a).content, "edit-form")

    response = _save(client, incident, again)

    assert response.status_code == 412
    assert 'data-testid="conflict-title"' in response.content.decode()
    incident.refresh_from_db()
    assert incident.title == "Their title"


def test_a_choice_made_against_a_value_that_changed_again_is_asked_again(client, tab, incident, agent):
    tab_a = tab(incident)
    services.incident_update(record=incident, actor=agent, title="Their title")
    tab_a["title"] = "My title"
    again = form_data(_save(client, incident, tab_a).content, "edit-form")
    services.incident_update(record=incident, actor=agent, title="Their second title")

    again["resolve-title"] = "mine"
    response = _save(client, incident, again)

    assert response.status_code == 412
    assert 'data-testid="theirs-title">Their second title<' in response.content.decode()
    incident.refresh_from_db()
    assert incident.title == "Their second title"


def test_the_same_value_saved_by_both_is_no_conflict(client, tab, incident, agent):
    tab_a = tab(incident)
    services.incident_update(record=incident, actor=agent, title="Agreed title")
    tab_a.update(title="Agreed title", description="Mine")

    assert _save(client, incident, tab_a).status_code == 302
    incident.refresh_from_db()
    assert (incident.title, incident.description) == ("Agreed title", "Mine")


def test_an_untouched_form_writes_nothing(client, tab, incident):
    incident.description = "Line one\nLine two"
    incident.save(update_fields=["description"])
    version = Incident.objects.get(pk=incident.pk).version

    response = _save(client, incident, tab(incident))

    assert response.status_code == 302
    assert Incident.objects.get(pk=incident.pk).version == version


def test_relations_and_choices_merge_field_by_field(client, tab, incident, agent, category):
    tab_a = tab(incident)
    services.incident_update(record=incident, actor=agent, category=category)
    tab_a["urgency"] = "1"

    assert _save(client, incident, tab_a).status_code == 302
    incident.refresh_from_db()
    assert (incident.category, incident.urgency) == (category, 1)


def test_a_form_posted_without_what_it_showed_still_cannot_overwrite(client, agent, incident):
    read = incident.version
    services.incident_update(record=incident, actor=agent, title="Their title")
    client.force_login(agent)

    response = _save(
        client,
        incident,
        {"version": read, "title": "Mine", "description": incident.description, "impact": 3, "urgency": 2},
    )

    assert response.status_code == 412
    incident.refresh_from_db()
    assert incident.title == "Their title"


# The assignment panel


def _assign(record) -> str:
    return reverse("incidents:record_assign", args=[record.number])


def test_moving_a_record_keeps_the_assignee_a_colleague_chose_meanwhile(
    client, agent, group_manager, incident, support_group
):
    network = SupportGroupFactory(name="Network", members=[agent, group_manager])
    client.force_login(agent)
    panel = form_data(client.get(_page(incident)).content, "assign-form")
    services.incident_assign(record=incident, actor=group_manager, assignee=group_manager)

    panel["support_group"] = str(network.pk)
    response = client.post(_assign(incident), {k: v for k, v in panel.items() if k != "assign_to_me"})

    assert response.status_code == 302
    incident.refresh_from_db()
    assert (incident.support_group, incident.assignee) == (network, group_manager)


def test_two_agents_assigning_one_record_at_once_is_shown_then_kept_on_saving_again(
    client, agent, group_manager, incident, support_group
):
    client.force_login(agent)
    panel = form_data(client.get(_page(incident)).content, "assign-form")
    panel.pop("assign_to_me", None)
    services.incident_assign(record=incident, actor=group_manager, assignee=group_manager)

    panel["assignee"] = str(agent.pk)
    refused = client.post(_assign(incident), panel)

    assert refused.status_code == 412
    assert (
        f"Someone else changed this to “{group_manager.get_full_name()}” meanwhile"
        in refused.content.decode()
    )
    incident.refresh_from_db()
    assert incident.assignee == group_manager
    again = form_data(refused.content, "assign-form")
    again.pop("assign_to_me", None)
    assert client.post(_assign(incident), again).status_code == 302
    incident.refresh_from_db()
    assert incident.assignee == agent
