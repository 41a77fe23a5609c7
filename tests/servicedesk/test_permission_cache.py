"""A user's permissions are read in one query per request, kept for that request only: never across
requests, never for another user (servicedesk.permissions.PermissionBackend)."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from servicedesk import roles
from servicedesk.models import User
from servicedesk.permissions import PermissionBackend, forget_permissions, permissions_prefetch, user_roles

from ..factories import UserFactory


def _permission_queries(queries) -> int:
    return sum('"auth_permission"' in q["sql"] for q in queries.captured_queries)


@pytest.mark.django_db
def test_every_question_of_a_request_reads_the_permissions_once():
    agent = UserFactory(roles=[roles.AGENT])
    agent = User.objects.get(pk=agent.pk)  # as a request loads it
    with CaptureQueriesContext(connection) as queries:
        assert agent.has_perm("servicedesk.access_workspace")
        assert agent.is_agent
        assert not agent.has_perm("servicedesk.add_user")
        assert agent.has_module_perms("servicedesk")
        assert "servicedesk.view_user" in agent.get_all_permissions()
    assert _permission_queries(queries) == 1


@pytest.mark.django_db
def test_own_and_role_permissions_are_both_read():
    person = UserFactory(roles=[roles.REQUESTER])
    person.user_permissions.add(*Group.objects.get(name=roles.AGENT).permissions.filter(codename="view_user"))
    person = User.objects.get(pk=person.pk)
    perms = PermissionBackend().get_all_permissions(person)
    assert {"servicedesk.access_portal", "servicedesk.view_user"} <= perms
    assert "servicedesk.access_workspace" not in perms


@pytest.mark.django_db
def test_inactive_people_have_no_permission():
    person = UserFactory(roles=[roles.AGENT], is_active=False)
    assert not User.objects.get(pk=person.pk).has_perm("servicedesk.access_workspace")


@pytest.mark.django_db
def test_the_answers_are_not_shared_between_users():
    agent = User.objects.get(pk=UserFactory(roles=[roles.AGENT]).pk)
    requester = User.objects.get(pk=UserFactory(roles=[roles.REQUESTER]).pk)
    assert agent.has_perm("servicedesk.access_workspace")
    assert not requester.has_perm("servicedesk.access_workspace")
    assert user_roles(agent) == {roles.AGENT}
    assert user_roles(requester) == {roles.REQUESTER}


@pytest.mark.django_db
def test_a_role_granted_between_two_requests_counts_on_the_next(client):
    person = UserFactory(roles=[roles.REQUESTER])
    client.force_login(person)
    assert client.get("/desk/queue/").status_code == 403
    person.groups.add(Group.objects.get(name=roles.AGENT))
    assert client.get("/desk/queue/").status_code == 200


@pytest.mark.django_db
def test_forgetting_reads_them_again():
    person = User.objects.get(pk=UserFactory(roles=[roles.REQUESTER]).pk)
    assert not person.has_perm("servicedesk.access_workspace")
    assert user_roles(person) == {roles.REQUESTER}
    person.groups.add(Group.objects.get(name=roles.AGENT))
    assert not person.has_perm("servicedesk.access_workspace")  # kept for this request
    forget_permissions(person)
    assert person.has_perm("servicedesk.access_workspace")
    assert user_roles(person) == {roles.REQUESTER, roles.AGENT}


@pytest.mark.django_db
def test_the_rights_of_many_people_are_read_at_once_and_answer_as_one_by_one(django_assert_max_num_queries):
    people = [
        UserFactory(roles=[roles.AGENT]),
        UserFactory(roles=[roles.REQUESTER]),
        UserFactory(roles=[roles.AGENT, roles.GROUP_MANAGER]),
        UserFactory(is_superuser=True),
    ]
    fresh = [User.objects.get(pk=person.pk) for person in people]
    same_again = User.objects.get(pk=people[0].pk)  # another object for the same person (another record's)
    expected = [PermissionBackend().get_all_permissions(User.objects.get(pk=p.pk)) for p in people]
    with django_assert_max_num_queries(3):
        permissions_prefetch([*fresh, same_again])
    with CaptureQueriesContext(connection) as queries:
        assert [person.get_all_permissions() for person in fresh] == expected
        assert same_again.get_all_permissions() == expected[0]
        assert fresh[0].is_agent
        assert not fresh[1].is_agent
    assert _permission_queries(queries) == 0
