"""Watchers (CC): who may add whom, what they then see, and which updates they are told of."""

import pytest

from incidents import services
from incidents import workflow as wf
from incidents.permissions import IncidentPolicy
from incidents.selectors import incident_get_for_user
from servicedesk import roles
from servicedesk.errors import NotFound, PermissionDenied
from servicedesk.models import AuditEvent, NotificationOptOut, Watcher
from servicedesk.notifications.watchers import WATCHED_UPDATE
from servicedesk.services.watchers import watcher_add, watcher_list, watcher_remove, watching

from ..factories import UserFactory
from .test_notifications import Outbox


@pytest.fixture
def outbox(db):
    return Outbox()


@pytest.fixture
def colleague(db):
    return UserFactory(username="colleague", roles=[roles.REQUESTER], language="zh-hans")


def test_an_agent_adds_a_person_and_an_outside_address(incident, agent, colleague):
    watcher_add(record=incident, user=colleague, actor=agent)
    watcher_add(record=incident, email=" Boss@Partner.example ", actor=agent)
    assert [(w.user, w.email) for w in watcher_list(record=incident)] == [
        (colleague, ""),
        (None, "boss@partner.example"),
    ]
    assert AuditEvent.objects.filter(action="incident.watcher_added").count() == 2


def test_adding_twice_keeps_one_watcher(incident, agent, colleague):
    first = watcher_add(record=incident, user=colleague, actor=agent)
    assert watcher_add(record=incident, user=colleague, actor=agent) == first
    assert Watcher.objects.count() == 1


def test_an_address_of_a_person_with_an_account_adds_the_person(incident, agent, colleague):
    watcher = watcher_add(record=incident, email=colleague.email.upper(), actor=agent)
    assert watcher.user == colleague
    assert watcher.email == ""


def test_a_bad_address_is_refused(incident, agent):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        watcher_add(record=incident, email="not an address", actor=agent)


def test_a_requester_follows_and_stops_following_what_they_see(incident, requester):
    watcher_add(record=incident, user=requester, actor=requester)
    assert watching(incident, requester)
    watcher_remove(record=incident, user=requester, actor=requester)
    assert not watching(incident, requester)


def test_a_requester_may_not_add_someone_else(incident, requester, colleague):
    with pytest.raises(PermissionDenied):
        watcher_add(record=incident, user=colleague, actor=requester)


def test_a_requester_may_not_follow_a_record_they_cannot_see(incident, other_requester):
    with pytest.raises(NotFound):
        watcher_add(record=incident, user=other_requester, actor=other_requester)


def test_anyone_who_files_may_follow_an_open_major_incident(incident, other_requester, agent):
    incident.is_major = True
    incident.save(update_fields=["is_major"])
    watcher_add(record=incident, user=other_requester, actor=other_requester)
    assert watching(incident, other_requester)


def test_a_requester_may_not_remove_another_watcher(incident, agent, requester, colleague):
    watcher_add(record=incident, user=colleague, actor=agent)
    with pytest.raises(PermissionDenied):
        watcher_remove(record=incident, user=colleague, actor=requester)
    watcher_remove(record=incident, user=colleague, actor=agent)
    assert not watching(incident, colleague)


def test_a_watcher_sees_the_record_read_only(incident, agent, other_requester):
    with pytest.raises(NotFound):
        incident_get_for_user(user=other_requester, number=incident.number)
    watcher_add(record=incident, user=other_requester, actor=agent)
    record = incident_get_for_user(user=other_requester, number=incident.number)
    assert IncidentPolicy.can_see(other_requester, record)
    assert not IncidentPolicy.can_comment(other_requester, record)
    assert not IncidentPolicy.can_see_internal(other_requester, record)
    assert wf.CLOSED not in [t.target for t in wf.WORKFLOW.allowed(record, other_requester)]
    with pytest.raises(PermissionDenied):
        services.incident_comment(record=record, actor=other_requester, body="Me too")


def test_watchers_hear_of_public_comments_in_their_language_not_of_work_notes(
    incident, agent, colleague, outbox
):
    watcher_add(record=incident, user=colleague, actor=agent)
    watcher_add(record=incident, email="boss@partner.example", actor=agent)
    outbox.mark()
    services.incident_comment(record=incident, actor=agent, body="Secret", is_public=False)
    assert [event for event, _to in outbox.sent() if event == WATCHED_UPDATE] == []
    services.incident_comment(record=incident, actor=agent, body="We are on it.")
    told = [
        (m.recipient, m.payload) for m in outbox.messages() if m.event == f"notification.{WATCHED_UPDATE}"
    ]
    assert [to for to, _payload in told] == [colleague.email, "boss@partner.example"]
    assert "We are on it." in told[0][1]["text"]
    assert "Secret" not in told[0][1]["text"]
    assert "您好" in told[0][1]["text"] or "你好" in told[0][1]["text"]  # the colleague reads Chinese
    assert told[1][1]["text"].startswith("Hello")


def test_watchers_hear_of_status_changes_but_not_of_assignment(incident, agent, colleague, outbox):
    watcher_add(record=incident, user=colleague, actor=agent)
    outbox.mark()
    record = services.incident_assign(record=incident, actor=agent, assignee=agent)
    assert (WATCHED_UPDATE, colleague.email) not in outbox.sent()
    services.incident_transition(record=record, actor=agent, to=wf.IN_PROGRESS)
    assert outbox.sent().count((WATCHED_UPDATE, colleague.email)) == 1


def test_a_watcher_who_is_the_requester_is_told_once(incident, agent, requester, outbox):
    watcher_add(record=incident, user=requester, actor=requester)
    outbox.mark()
    services.incident_comment(record=incident, actor=agent, body="We are on it.")
    assert [to for _event, to in outbox.sent()].count(requester.email) == 1


def test_the_watcher_who_acts_is_not_told_of_it(incident, agent, outbox):
    watcher_add(record=incident, user=agent, actor=agent)
    outbox.mark()
    services.incident_comment(record=incident, actor=agent, body="Noted.")
    assert (WATCHED_UPDATE, agent.email) not in outbox.sent()


def test_a_watcher_who_turned_it_off_is_not_told(incident, agent, colleague, outbox):
    watcher_add(record=incident, user=colleague, actor=agent)
    NotificationOptOut.objects.create(user=colleague, event=WATCHED_UPDATE)
    outbox.mark()
    services.incident_comment(record=incident, actor=agent, body="We are on it.")
    assert (WATCHED_UPDATE, colleague.email) not in outbox.sent()
