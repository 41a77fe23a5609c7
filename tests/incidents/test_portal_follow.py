"""Following from the portal (issue 19, item 5): the outage banner, "Follow it" and "Stop following", the
kernel's watchers behind them, what a follower sees and is told."""

import pytest
from django.core import mail
from django.urls import reverse

from incidents import services
from incidents.permissions import IncidentPolicy
from servicedesk.errors import NotFound, PermissionDenied
from servicedesk.models import AuditEvent, Watcher
from servicedesk.services.watchers import watcher_add, watcher_remove, watching

from ..factories import UserFactory
from .factories import BusinessServiceFactory


@pytest.fixture
def major(db, agent, group_manager, service):
    record = services.incident_create(
        actor=agent, requester=agent, title="VPN is down for everyone", service=service
    )
    return services.incident_declare_major(record=record, actor=group_manager, is_major=True)


@pytest.fixture
def as_requester(client, requester):
    client.force_login(requester)
    return client


def _follow(client, record, **data):
    return client.post(reverse("incidents:portal_follow", args=[record.number]), data)


def _unfollow(client, record, **data):
    return client.post(reverse("incidents:portal_unfollow", args=[record.number]), data)


# The service


def test_a_requester_may_follow_an_open_major_incident_they_did_not_file(requester, major):
    assert not IncidentPolicy.can_see(requester, major)

    watcher = watcher_add(record=major, user=requester, actor=requester)

    assert watcher.user == requester
    assert watching(major, requester)
    assert watcher_add(record=major, user=requester, actor=requester) == watcher  # twice: the same
    assert Watcher.objects.count() == 1
    assert AuditEvent.objects.filter(action="incident.watcher_added").count() == 1


def test_a_requester_may_not_follow_an_ordinary_incident_of_someone_else(requester, agent, service):
    other = services.incident_create(actor=agent, requester=agent, title="My printer", service=service)

    with pytest.raises(NotFound):
        watcher_add(record=other, user=requester, actor=requester)


def test_a_major_incident_no_longer_open_cannot_be_followed(requester, major, group_manager):
    services.incident_declare_major(record=major, actor=group_manager, is_major=False)

    with pytest.raises(NotFound):
        watcher_add(record=major, user=requester, actor=requester)


def test_a_requester_adds_and_removes_only_themselves(requester, other_requester, major):
    with pytest.raises(PermissionDenied):
        watcher_add(record=major, user=other_requester, actor=requester)
    with pytest.raises(PermissionDenied):
        watcher_add(record=major, email="boss@example.com", actor=requester)
    watcher_add(record=major, user=other_requester, actor=other_requester)
    with pytest.raises(PermissionDenied):
        watcher_remove(record=major, user=other_requester, actor=requester)
    assert watching(major, other_requester)


def test_an_agent_adds_anyone_or_an_address(agent, requester, major):
    watcher_add(record=major, user=requester, actor=agent)
    watcher_add(record=major, email=" Boss@Example.com ", actor=agent)

    assert sorted(Watcher.objects.values_list("email", flat=True)) == ["", "boss@example.com"]
    assert watcher_remove(record=major, email="boss@example.com", actor=agent)
    assert not watcher_remove(record=major, email="boss@example.com", actor=agent)


# What a follower may do with the record


def test_a_follower_sees_the_record_but_may_not_reply(requester, major):
    watcher_add(record=major, user=requester, actor=requester)

    assert IncidentPolicy.can_see(requester, major)
    assert major in IncidentPolicy.visible_to(requester)
    assert not IncidentPolicy.can_comment(requester, major)
    assert IncidentPolicy.can_comment(major.requester, major)


def test_a_follower_is_told_of_public_comments_not_of_work_notes(
    requester, major, agent, django_capture_on_commit_callbacks
):
    watcher_add(record=major, user=requester, actor=requester)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.incident_comment(record=major, actor=agent, body="Nothing to see.", is_public=False)
        services.incident_comment(record=major, actor=agent, body="The VPN is back at 10:00.")

    to_requester = [message for message in mail.outbox if requester.email in message.to]
    assert len(to_requester) == 1
    assert "The VPN is back at 10:00." in to_requester[0].body


# The pages


def test_the_portal_home_shows_the_outage_banner_with_follow(as_requester, major):
    response = as_requester.get("/portal/")

    html = response.content.decode()
    assert 'data-testid="outage-banner"' in html
    assert "VPN is down for everyone" in html
    assert reverse("incidents:portal_follow", args=[major.number]) in html


def test_following_from_the_banner_lists_the_outage_under_following(as_requester, requester, major):
    response = _follow(as_requester, major)

    assert response.status_code == 302
    assert response["Location"] == reverse("incidents:portal")
    assert watching(major, requester)
    html = as_requester.get("/portal/").content.decode()
    assert 'data-testid="following-record"' in html
    assert 'data-testid="outage-unfollow"' in html
    page = as_requester.get(reverse("record", args=[major.number]))
    assert page.status_code == 200
    assert 'data-testid="watching-notice"' in page.content.decode()
    assert 'data-testid="reply-form"' not in page.content.decode()


def test_stop_following_removes_it(as_requester, requester, major):
    _follow(as_requester, major)

    response = _unfollow(as_requester, major, next="https://evil.example.com/")

    assert response["Location"] == reverse("incidents:portal")  # no open redirect
    assert not watching(major, requester)
    assert 'data-testid="following-record"' not in as_requester.get("/portal/").content.decode()


def test_following_what_one_may_not_follow_is_not_found(as_requester, agent, service):
    other = services.incident_create(actor=agent, requester=agent, title="My printer", service=service)

    assert _follow(as_requester, other).status_code == 404
    assert as_requester.post(reverse("incidents:portal_follow", args=["INC9999999"])).status_code == 404
    assert not Watcher.objects.exists()


def test_following_needs_a_post_and_the_portal(client, major, db):
    nobody = UserFactory(username="noportal", roles=[])
    client.force_login(nobody)
    assert _follow(client, major).status_code in (403, 404)
    client.force_login(major.requester)
    assert client.get(reverse("incidents:portal_follow", args=[major.number])).status_code == 405


def test_the_banner_is_not_shown_once_the_major_incident_is_resolved(as_requester, major, group_manager):
    services.incident_declare_major(record=major, actor=group_manager, is_major=False)

    assert 'data-testid="outage-banner"' not in as_requester.get("/portal/").content.decode()


@pytest.mark.parametrize("count", [1, 6])
def test_the_home_runs_a_constant_number_of_queries_with_outages_and_following(
    client, requester, agent, group_manager, count, django_assert_max_num_queries
):
    service = BusinessServiceFactory(name="Network")
    for index in range(count):
        record = services.incident_create(
            actor=agent, requester=agent, title=f"Outage {index}", service=service
        )
        record = services.incident_declare_major(record=record, actor=group_manager, is_major=True)
        watcher_add(record=record, user=requester, actor=requester)
    client.force_login(requester)

    with django_assert_max_num_queries(13):
        response = client.get("/portal/")

    assert response.status_code == 200
    assert len(response.context["following"]) == count
