"""Only agents can be members (or the manager) of a support group: service, API and admin agree."""

import pytest

from servicedesk import roles
from servicedesk.errors import ApplicationError
from servicedesk.models import AuditEvent, SupportGroup
from servicedesk.selectors import agent_list, support_group_agents
from servicedesk.services.people import support_group_add_member, support_group_create, support_group_update

from ..factories import SupportGroupFactory, UserFactory

GROUPS = "/api/v1/support-groups/"
ADMIN = "/admin/servicedesk/supportgroup/"


@pytest.fixture
def newcomer(db):
    return UserFactory(username="newcomer", roles=[roles.AGENT])


def test_a_group_manager_cannot_add_a_requester_to_their_group(support_group, group_manager, requester):
    with pytest.raises(ApplicationError) as raised:
        support_group_add_member(group=support_group, actor=group_manager, user=requester)

    assert raised.value.code == "not_an_agent"
    assert list(raised.value.fields) == ["user"]
    assert not support_group.members.filter(pk=requester.pk).exists()
    assert not AuditEvent.objects.filter(action="support_group.member_added").exists()


def test_a_group_manager_adds_an_agent(support_group, group_manager, newcomer):
    assert support_group_add_member(group=support_group, actor=group_manager, user=newcomer) is True
    assert support_group.members.filter(pk=newcomer.pk).exists()


def test_an_inactive_agent_cannot_be_added(support_group, group_manager, newcomer):
    newcomer.is_active = False
    newcomer.save(update_fields=["is_active"])

    with pytest.raises(ApplicationError):
        support_group_add_member(group=support_group, actor=group_manager, user=newcomer)


def test_a_group_cannot_be_created_with_a_requester_member_or_manager(administrator, agent, requester):
    with pytest.raises(ApplicationError) as member:
        support_group_create(actor=administrator, name="Mixed", members=[agent, requester])
    with pytest.raises(ApplicationError) as manager:
        support_group_create(actor=administrator, name="Mixed", manager=requester)

    assert (list(member.value.fields), list(manager.value.fields)) == (["members"], ["manager"])
    assert not SupportGroup.objects.filter(name="Mixed").exists()


def test_a_requester_cannot_become_a_groups_manager(support_group, administrator, requester):
    with pytest.raises(ApplicationError) as raised:
        support_group_update(group=support_group, actor=administrator, manager=requester)

    assert list(raised.value.fields) == ["manager"]


def test_the_agents_of_a_group_leave_out_members_who_are_not_agents(agent, requester):
    group = SupportGroupFactory(members=[agent, requester])  # as older installations may have it

    assert list(support_group_agents(group=group)) == [agent]
    assert requester not in agent_list()


# The API


def test_adding_a_requester_through_the_api_answers_400_on_user(
    support_group, group_manager, requester, api_as
):
    response = api_as(group_manager).post(
        f"{GROUPS}{support_group.pk}/members/", {"user": requester.pk}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "not_an_agent"
    assert list(body["fields"]) == ["user"]


def test_creating_a_group_with_a_requester_through_the_api_answers_400_on_members(
    administrator, requester, api_as
):
    response = api_as(administrator).post(GROUPS, {"name": "Mixed", "members": [requester.pk]}, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["members"]


# The admin


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def _form(group, **fields):
    return {
        "name": group.name,
        "email": "",
        "tier": group.tier,
        "description": "",
        "manager": group.manager_id or "",
        "escalation_group": "",
        "is_active": "on",
        **fields,
    }


def test_the_admin_offers_only_agents_as_new_members(admin_client, support_group, requester, newcomer):
    page = admin_client.get(f"{ADMIN}{support_group.pk}/change/")

    offered = set(page.context["adminform"].form.fields["members"].queryset)
    assert newcomer in offered
    assert requester not in offered


def test_the_admin_refuses_a_requester_as_member(admin_client, support_group, agent, requester):
    response = admin_client.post(
        f"{ADMIN}{support_group.pk}/change/", _form(support_group, members=[agent.pk, requester.pk])
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["members"]
    assert not support_group.members.filter(pk=requester.pk).exists()


def test_the_admin_keeps_a_member_who_is_no_longer_an_agent(admin_client, agent, requester):
    group = SupportGroupFactory(name="Older", members=[agent, requester])

    response = admin_client.post(f"{ADMIN}{group.pk}/change/", _form(group, members=[agent.pk, requester.pk]))

    assert response.status_code == 302
    assert set(group.members.all()) == {agent, requester}
