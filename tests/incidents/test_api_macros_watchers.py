"""The API of macros (`/api/v1/macros/`, `…/apply-macro/`) and of watchers (`…/watchers/`)."""

import pytest

from incidents import services
from incidents import workflow as wf
from servicedesk.models import Macro, TimelineEntry
from servicedesk.services.macros import macro_create
from servicedesk.services.watchers import watcher_add, watching

from ..api.helpers import assert_error, version_tag
from ..factories import UserFactory

MACROS = "/api/v1/macros/"
INCIDENTS = "/api/v1/incidents/"


@pytest.fixture
def assigned(incident, agent):
    return services.incident_assign(record=incident, actor=agent, assignee=agent)


@pytest.fixture
def hold_macro(agent):
    return macro_create(
        actor=agent,
        owner=agent,
        name="Ask for a screenshot",
        body="Hello {{ requester.first_name }}.",
        changes={"status": wf.ON_HOLD, "hold_reason": "requester"},
    )


def test_an_agent_creates_and_lists_a_personal_macro(agent, api_as):
    client = api_as(agent)
    answer = client.post(
        MACROS, {"name": "Thanks", "body": "Thanks!", "changes": {"status": "in_progress"}}, format="json"
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["scope"] == "personal"
    assert [row["name"] for row in client.get(MACROS).json()["results"]] == ["Thanks"]


def test_a_macro_with_a_change_the_kind_refuses_is_a_400(agent, api_as):
    answer = api_as(agent).post(MACROS, {"name": "Close", "changes": {"status": "closed"}}, format="json")
    body = assert_error(answer, 400)
    assert "changes" in body["fields"]


def test_an_agent_may_not_keep_a_global_macro(agent, api_as):
    assert_error(api_as(agent).post(MACROS, {"name": "All", "scope": "global"}, format="json"), 403)


def test_a_group_manager_keeps_the_groups_macro(group_manager, support_group, api_as):
    answer = api_as(group_manager).post(
        MACROS, {"name": "Desk", "scope": "group", "group": support_group.pk}, format="json"
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["group"]["id"] == support_group.pk


def test_requesters_have_no_macros(requester, api_as):
    assert_error(api_as(requester).get(MACROS), 403)


def test_another_agents_macro_is_not_found(hold_macro, api_as):
    other = UserFactory(roles=["Agent"])
    client = api_as(other)
    assert_error(client.get(f"{MACROS}{hold_macro.pk}/"), 404)
    assert_error(client.patch(f"{MACROS}{hold_macro.pk}/", {"name": "Mine"}, format="json"), 404)
    assert_error(client.delete(f"{MACROS}{hold_macro.pk}/"), 404)


def test_the_owner_changes_and_deletes_a_macro(agent, hold_macro, api_as):
    client = api_as(agent)
    answer = client.patch(f"{MACROS}{hold_macro.pk}/", {"name": "Renamed"}, format="json")
    assert answer.json()["name"] == "Renamed"
    assert client.delete(f"{MACROS}{hold_macro.pk}/").status_code == 204
    assert not Macro.objects.exists()


def test_applying_a_macro_answers_the_record(agent, assigned, hold_macro, api_as):
    client = api_as(agent)
    tag = version_tag(client.get(f"{INCIDENTS}{assigned.number}/"))
    answer = client.post(
        f"{INCIDENTS}{assigned.number}/apply-macro/",
        {"macro": hold_macro.pk},
        format="json",
        headers={"If-Match": tag},
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == wf.ON_HOLD
    assert TimelineEntry.objects.filter(kind=TimelineEntry.Kind.COMMENT).exists()


def test_applying_on_a_stale_copy_is_a_412(agent, assigned, hold_macro, api_as):
    client = api_as(agent)
    tag = version_tag(client.get(f"{INCIDENTS}{assigned.number}/"))
    services.incident_comment(record=assigned, actor=agent, body="Meanwhile", is_public=False)
    answer = client.post(
        f"{INCIDENTS}{assigned.number}/apply-macro/",
        {"macro": hold_macro.pk},
        format="json",
        headers={"If-Match": tag},
    )
    assert_error(answer, 412)
    assert not TimelineEntry.objects.filter(kind=TimelineEntry.Kind.COMMENT).exists()


def test_an_illegal_transition_is_a_409(agent, incident, hold_macro, api_as):
    answer = api_as(agent).post(
        f"{INCIDENTS}{incident.number}/apply-macro/", {"macro": hold_macro.pk}, format="json"
    )
    assert answer.status_code == 409
    assert answer.json()["code"] == "invalid_transition"
    assert "on_hold" not in answer.json()["allowed"]


def test_a_requester_cannot_apply_a_macro(requester, assigned, hold_macro, api_as):
    answer = api_as(requester).post(
        f"{INCIDENTS}{assigned.number}/apply-macro/", {"macro": hold_macro.pk}, format="json"
    )
    assert_error(answer, 404)


def test_an_agent_adds_lists_and_removes_watchers(agent, incident, api_as):
    client = api_as(agent)
    url = f"{INCIDENTS}{incident.number}/watchers/"
    colleague = UserFactory(roles=["Requester"])
    assert client.post(url, {"user": colleague.pk}, format="json").status_code == 201
    added = client.post(url, {"email": "boss@partner.example"}, format="json")
    assert added.status_code == 201
    rows = client.get(url).json()
    assert [(row["user"] and row["user"]["id"], row["email"]) for row in rows] == [
        (colleague.pk, ""),
        (None, "boss@partner.example"),
    ]
    assert client.delete(f"{url}{added.json()['id']}/").status_code == 204
    assert len(client.get(url).json()) == 1


def test_a_requester_follows_and_sees_only_themself(agent, requester, incident, api_as):
    watcher_add(record=incident, email="boss@partner.example", actor=agent)
    client = api_as(requester)
    url = f"{INCIDENTS}{incident.number}/watchers/"
    answer = client.post(url, {"user": requester.pk}, format="json")
    assert answer.status_code == 201
    assert [row["id"] for row in client.get(url).json()] == [answer.json()["id"]]
    assert client.delete(f"{url}{answer.json()['id']}/").status_code == 204
    assert not watching(incident, requester)


def test_a_requester_may_not_add_someone_else(requester, incident, api_as):
    colleague = UserFactory(roles=["Requester"])
    answer = api_as(requester).post(
        f"{INCIDENTS}{incident.number}/watchers/", {"user": colleague.pk}, format="json"
    )
    assert_error(answer, 403)


def test_a_requester_may_not_remove_another_watcher(agent, requester, incident, api_as):
    watcher = watcher_add(record=incident, email="boss@partner.example", actor=agent)
    answer = api_as(requester).delete(f"{INCIDENTS}{incident.number}/watchers/{watcher.pk}/")
    assert_error(answer, 404)
