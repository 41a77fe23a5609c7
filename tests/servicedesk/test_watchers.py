"""The kernel's watchers on the test-only kind (tests/kernelkind): who may watch, what a watcher sees and
may do, and who is told of a public reply. No process app is imported."""

import pytest
from django.core.exceptions import ValidationError

from servicedesk.errors import NotFound, PermissionDenied
from servicedesk.models import AuditEvent, Watcher
from servicedesk.services.watchers import watched_ids, watcher_add, watcher_list, watcher_remove, watching
from tests.kernelkind.policy import ChorePolicy

from ..factories import UserFactory


@pytest.fixture
def neighbour(db):
    return UserFactory(username="neighbour", roles=["Requester"])


def test_a_person_may_not_watch_what_they_do_not_see(chore, neighbour):
    with pytest.raises(NotFound):
        watcher_add(record=chore, user=neighbour, actor=neighbour)
    assert not Watcher.objects.exists()


def test_an_agent_adds_a_person_who_then_sees_the_record_read_only(chore, worker, neighbour):
    watcher_add(record=chore, user=neighbour, actor=worker)

    assert watching(chore, neighbour)
    assert ChorePolicy.can_see(neighbour, chore)
    assert chore in ChorePolicy.visible_to(neighbour)
    assert not ChorePolicy.can_comment(neighbour, chore)
    assert ChorePolicy.can_comment(chore.requester, chore)
    assert AuditEvent.objects.filter(action="chore.watcher_added").count() == 1


def test_the_requester_watches_nobody_else_in(chore, requester, neighbour):
    with pytest.raises(PermissionDenied):
        watcher_add(record=chore, user=neighbour, actor=requester)
    with pytest.raises(PermissionDenied):
        watcher_add(record=chore, email="someone@example.com", actor=requester)


def test_removing_is_idempotent_and_audited_once(chore, worker, neighbour):
    watcher_add(record=chore, user=neighbour, actor=worker)

    assert watcher_remove(record=chore, user=neighbour, actor=neighbour)
    assert not watcher_remove(record=chore, user=neighbour, actor=neighbour)
    assert AuditEvent.objects.filter(action="chore.watcher_removed").count() == 1
    assert not ChorePolicy.can_see(neighbour, chore)


def test_an_address_must_be_valid(chore, worker):
    with pytest.raises(ValidationError):
        watcher_add(record=chore, email="not an address", actor=worker)
    with pytest.raises(ValidationError):
        watcher_add(record=chore, actor=worker)
    assert not Watcher.objects.exists()


def test_the_watchers_are_listed_and_their_records_found(chore, worker, neighbour):
    watcher_add(record=chore, user=neighbour, actor=worker)
    watcher_add(record=chore, email="CC@example.com", actor=worker)

    assert [(w.user, w.email) for w in watcher_list(record=chore)] == [
        (neighbour, ""),
        (None, "cc@example.com"),
    ]
    assert list(watched_ids(user=neighbour, model=type(chore))) == [{"object_id": chore.pk}]
