"""The macro pages: "My macros", the chooser on the record page, preview and apply (htmx and plain)."""

import pytest
from django.urls import reverse

from incidents import services
from incidents import workflow as wf
from servicedesk.models import Macro, TimelineEntry
from servicedesk.services.macros import macro_create

from ..factories import UserFactory


@pytest.fixture
def assigned(incident, agent):
    return services.incident_assign(record=incident, actor=agent, assignee=agent)


@pytest.fixture
def hold_macro(agent):
    return macro_create(
        actor=agent,
        owner=agent,
        name="Ask for a screenshot",
        body="Hello {{ requester.first_name }}, please send a screenshot.",
        changes={"status": wf.ON_HOLD, "hold_reason": "requester"},
    )


def test_my_macros_lists_mine_with_their_changes(client, agent, hold_macro, django_assert_max_num_queries):
    client.force_login(agent)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("macro_list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Ask for a screenshot" in html
    assert "Reason for the hold: Waiting for the requester" in html


def test_my_macros_is_for_agents(client, requester):
    client.force_login(requester)
    assert client.get(reverse("macro_list")).status_code == 403


def test_an_agent_creates_a_personal_macro(client, agent):
    client.force_login(agent)
    assert client.get(reverse("macro_new")).status_code == 200
    data = {
        "name": "Thanks",
        "body": "Thank you, {{ requester.first_name }}.",
        "is_public": "1",
        "scope": "personal",
        "change_status": "in_progress",
        "is_active": "on",
        "form_token": "a" * 32,
    }
    answer = client.post(reverse("macro_new"), data)
    assert answer.status_code == 302
    client.post(reverse("macro_new"), data)  # a double submit creates it once
    macro = Macro.objects.get()
    assert (macro.owner, macro.changes) == (agent, {"status": "in_progress"})


def test_an_agent_may_not_choose_a_global_scope(client, agent):
    client.force_login(agent)
    answer = client.post(reverse("macro_new"), {"name": "All", "is_public": "1", "scope": "global"})
    assert answer.status_code == 400
    assert not Macro.objects.exists()


def test_an_unknown_placeholder_is_a_form_error(client, agent):
    client.force_login(agent)
    answer = client.post(
        reverse("macro_new"), {"name": "Bad", "body": "{{ secret }}", "is_public": "1", "scope": "personal"}
    )
    assert answer.status_code == 400
    assert "Unknown placeholders: secret" in answer.content.decode()


def test_another_agents_macro_cannot_be_edited(client, hold_macro):
    other = UserFactory(roles=["Agent"])
    client.force_login(other)
    assert client.get(reverse("macro_edit", args=[hold_macro.pk])).status_code == 404
    assert client.post(reverse("macro_delete", args=[hold_macro.pk])).status_code == 404


def test_the_owner_edits_and_deletes_a_macro(client, agent, hold_macro):
    client.force_login(agent)
    assert client.get(reverse("macro_edit", args=[hold_macro.pk])).status_code == 200
    answer = client.post(
        reverse("macro_edit", args=[hold_macro.pk]),
        {"name": "Renamed", "body": "Hi", "is_public": "0", "scope": "personal", "is_active": "on"},
    )
    assert answer.status_code == 302
    hold_macro.refresh_from_db()
    assert (hold_macro.name, hold_macro.is_public, hold_macro.changes) == ("Renamed", False, {})
    client.post(reverse("macro_delete", args=[hold_macro.pk]))
    assert not Macro.objects.exists()


def test_the_record_page_offers_the_chooser(client, agent, assigned, hold_macro):
    client.force_login(agent)
    html = client.get(reverse("record", args=[assigned.number])).content.decode()
    assert 'data-testid="macro-chooser"' in html
    assert "Ask for a screenshot" in html


def test_the_preview_fills_the_placeholders(client, agent, requester, assigned, hold_macro):
    client.force_login(agent)
    url = reverse("record_macro_preview", args=[assigned.number])
    answer = client.get(
        url, {"macro": hold_macro.pk, "version": assigned.version}, headers={"HX-Request": "true"}
    )
    html = answer.content.decode()
    assert f"Hello {requester.get_short_name()}, please send a screenshot." in html
    assert f'name="version" value="{assigned.version}"' in html
    assert "<html" not in html
    assert "<html" in client.get(url, {"macro": hold_macro.pk}).content.decode()  # without JavaScript


def test_applying_comments_and_holds(client, agent, assigned, hold_macro):
    client.force_login(agent)
    answer = client.post(
        reverse("record_macro_apply", args=[assigned.number]),
        {"macro": hold_macro.pk, "body": "Please send a screenshot.", "version": assigned.version},
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 204
    assert answer["HX-Redirect"] == reverse("record", args=[assigned.number])
    assigned.refresh_from_db()
    assert assigned.status == wf.ON_HOLD
    assert TimelineEntry.objects.filter(
        kind=TimelineEntry.Kind.COMMENT, body="Please send a screenshot."
    ).exists()


def test_a_stale_page_answers_412_and_applies_nothing(client, agent, assigned, hold_macro):
    client.force_login(agent)
    answer = client.post(
        reverse("record_macro_apply", args=[assigned.number]),
        {"macro": hold_macro.pk, "body": "Hi", "version": assigned.version - 1},
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 412
    assert "Someone changed this record" in answer.content.decode()
    assert not TimelineEntry.objects.filter(kind=TimelineEntry.Kind.COMMENT).exists()


def test_an_illegal_move_answers_409_and_applies_nothing(client, agent, incident, hold_macro):
    client.force_login(agent)
    answer = client.post(
        reverse("record_macro_apply", args=[incident.number]),
        {"macro": hold_macro.pk, "body": "Hi", "version": incident.version},
    )
    assert answer.status_code == 409
    assert not TimelineEntry.objects.filter(kind=TimelineEntry.Kind.COMMENT).exists()


def test_a_requester_cannot_apply_or_preview(client, requester, assigned, hold_macro):
    client.force_login(requester)
    url = reverse("record_macro_preview", args=[assigned.number])
    assert client.get(url, {"macro": hold_macro.pk}).status_code == 403
    answer = client.post(reverse("record_macro_apply", args=[assigned.number]), {"macro": hold_macro.pk})
    assert answer.status_code == 403
