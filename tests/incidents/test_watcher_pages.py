"""The watchers box on the agent's record page and on the requester's portal page."""

import pytest
from django.urls import reverse

from servicedesk.models import Watcher
from servicedesk.services.watchers import watcher_add, watching

from ..factories import UserFactory


@pytest.fixture
def colleague(db):
    return UserFactory(username="colleague", roles=["Requester"])


def test_the_agent_page_shows_the_watchers_box(client, agent, incident, colleague):
    watcher_add(record=incident, user=colleague, actor=agent)
    client.force_login(agent)
    html = client.get(reverse("record", args=[incident.number])).content.decode()
    assert 'data-testid="watchers-box"' in html
    assert colleague.get_full_name() in html


def test_an_agent_adds_a_person_and_an_address(client, agent, incident, colleague):
    client.force_login(agent)
    url = reverse("record_watcher_add", args=[incident.number])
    answer = client.post(url, {"watcher-user": colleague.pk}, headers={"HX-Request": "true"})
    assert answer.status_code == 200
    assert colleague.get_full_name() in answer.content.decode()
    client.post(url, {"watcher-email": "boss@partner.example"})
    assert Watcher.objects.filter(email="boss@partner.example").exists()
    assert watching(incident, colleague)


def test_adding_nobody_is_an_error(client, agent, incident):
    client.force_login(agent)
    url = reverse("record_watcher_add", args=[incident.number])
    answer = client.post(url, {}, headers={"HX-Request": "true"})
    assert answer.status_code == 400
    assert "Choose a person or enter an e-mail address." in answer.content.decode()


def test_an_agent_removes_a_watcher(client, agent, incident, colleague):
    watcher = watcher_add(record=incident, user=colleague, actor=agent)
    client.force_login(agent)
    client.post(reverse("record_watcher_remove", args=[incident.number, watcher.pk]))
    assert not watching(incident, colleague)


def test_a_requester_follows_their_record_from_the_portal(client, requester, incident):
    client.force_login(requester)
    html = client.get(reverse("record", args=[incident.number])).content.decode()
    assert 'data-testid="follow"' in html
    assert 'data-testid="watcher-add-form"' not in html
    client.post(reverse("record_follow", args=[incident.number]))
    assert watching(incident, requester)
    client.post(reverse("record_follow", args=[incident.number]), {"stop": "1"})
    assert not watching(incident, requester)


def test_a_requester_may_not_add_others(client, requester, incident, colleague):
    client.force_login(requester)
    answer = client.post(
        reverse("record_watcher_add", args=[incident.number]),
        {"watcher-user": colleague.pk},
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 403
    assert not watching(incident, colleague)


def test_a_watcher_reads_the_record_in_the_portal_without_replying(client, agent, incident, colleague):
    client.force_login(colleague)
    assert client.get(reverse("record", args=[incident.number])).status_code == 404
    watcher_add(record=incident, user=colleague, actor=agent)
    page = client.get(reverse("record", args=[incident.number]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="unfollow"' in html
    assert 'name="body"' not in html  # no reply box


def test_unfollowing_a_record_seen_only_as_a_watcher_goes_home(client, agent, incident, colleague):
    watcher_add(record=incident, user=colleague, actor=agent)
    client.force_login(colleague)
    answer = client.post(reverse("record_follow", args=[incident.number]), {"stop": "1"})
    assert answer.status_code == 302
    assert answer["Location"] == reverse("home")


def test_no_one_else_can_follow_a_record_they_cannot_see(client, other_requester, incident):
    client.force_login(other_requester)
    assert client.post(reverse("record_follow", args=[incident.number])).status_code == 404
