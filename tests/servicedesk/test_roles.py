import pytest
from django.contrib.auth.models import AnonymousUser, Group

from servicedesk import roles
from servicedesk.models import ApiToken, User
from servicedesk.permissions import (
    ApiTokenPolicy,
    OrganisationPolicy,
    SupportGroupPolicy,
    UserPolicy,
)
from servicedesk.roles import ROLE_PERMISSIONS, role_permissions

from ..factories import OrganisationFactory, SupportGroupFactory, UserFactory
from .conftest import ALL_ROLES

WORKSPACE_ROLES = [role for role in ALL_ROLES if role != "Requester"]
PORTAL_ONLY = {"servicedesk.access_portal"}
WORKSPACE = PORTAL_ONLY | {
    "servicedesk.access_workspace",
    "servicedesk.view_user",
    "servicedesk.view_organisation",
    "servicedesk.view_supportgroup",
}


def _permission_names(group):
    return {
        f"{app_label}.{codename}"
        for app_label, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


@pytest.mark.django_db
def test_the_data_migration_created_the_nine_roles():
    assert set(Group.objects.values_list("name", flat=True)) >= set(ALL_ROLES)
    assert set(ROLE_PERMISSIONS) == set(ALL_ROLES)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ALL_ROLES)
def test_each_role_has_exactly_the_permissions_of_role_permissions(role):
    assert _permission_names(Group.objects.get(name=role)) == set(role_permissions()[role])


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("Requester", PORTAL_ONLY),
        ("Agent", WORKSPACE),
        (
            "Group manager",
            WORKSPACE
            | {
                "servicedesk.manage_members",
                "servicedesk.view_slapolicy",
                "servicedesk.view_slatarget",
                "servicedesk.view_escalationrule",
                "servicedesk.cancel_approval",
            },
        ),
        ("Change manager", WORKSPACE | {"servicedesk.cancel_approval"}),
        ("CAB member", WORKSPACE),
        (
            "Administrator",
            WORKSPACE
            | {
                "servicedesk.manage_members",
                "servicedesk.add_user",
                "servicedesk.change_user",
                "servicedesk.add_organisation",
                "servicedesk.change_organisation",
                "servicedesk.add_supportgroup",
                "servicedesk.change_supportgroup",
                "servicedesk.view_apitoken",
                "servicedesk.change_apitoken",
                "servicedesk.view_auditevent",
                "servicedesk.view_outboxmessage",
                "servicedesk.view_notificationtemplate",
                "servicedesk.add_notificationtemplate",
                "servicedesk.change_notificationtemplate",
                "servicedesk.delete_notificationtemplate",
                "servicedesk.view_mailbox",
                "servicedesk.add_mailbox",
                "servicedesk.change_mailbox",
                "servicedesk.delete_mailbox",
                "servicedesk.view_webhooksubscription",
                "servicedesk.add_webhooksubscription",
                "servicedesk.change_webhooksubscription",
                "servicedesk.delete_webhooksubscription",
                "servicedesk.view_webhookdelivery",
                "servicedesk.view_inboundemail",
                "servicedesk.view_businesscalendar",
                "servicedesk.add_businesscalendar",
                "servicedesk.change_businesscalendar",
                "servicedesk.delete_businesscalendar",
                "servicedesk.view_workinginterval",
                "servicedesk.add_workinginterval",
                "servicedesk.change_workinginterval",
                "servicedesk.delete_workinginterval",
                "servicedesk.view_calendarexception",
                "servicedesk.add_calendarexception",
                "servicedesk.change_calendarexception",
                "servicedesk.delete_calendarexception",
                *(
                    f"servicedesk.{action}_{model}"
                    for model in ("slapolicy", "slatarget", "escalationrule")
                    for action in ("view", "add", "change", "delete")
                ),
                "servicedesk.view_slaclock",
                "servicedesk.view_slasegment",
                "servicedesk.view_slafiring",
                "servicedesk.cancel_approval",
                "servicedesk.view_approvalrequest",
                "servicedesk.view_approvaldecision",
                "servicedesk.view_approvaldelegation",
                "servicedesk.view_macro",
                "servicedesk.add_macro",
                "servicedesk.change_macro",
                "servicedesk.delete_macro",
                "auth.view_group",
            },
        ),
    ],
)
def test_role_permissions_grant_what_each_role_needs(role, expected):
    assert set(ROLE_PERMISSIONS[role]) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("role", ALL_ROLES)
def test_a_user_with_a_role_gets_its_permissions_and_no_more(role):
    user = UserFactory(roles=[role])

    assert user.get_all_permissions() == set(role_permissions()[role])
    assert user.is_agent is (role != "Requester")


# Visibility


@pytest.fixture
def population(db, organisation):
    """Two organisations, a group of each and people in them."""
    other_organisation = OrganisationFactory(name="Northwind")
    colleague = UserFactory(organisation=organisation, roles=[roles.REQUESTER])
    stranger = UserFactory(organisation=other_organisation, roles=[roles.REQUESTER])
    own_group = SupportGroupFactory(name="Own", members=[colleague])
    other_group = SupportGroupFactory(name="Other", members=[stranger])
    return {
        "organisation": organisation,
        "other_organisation": other_organisation,
        "colleague": colleague,
        "stranger": stranger,
        "own_group": own_group,
        "other_group": other_group,
    }


@pytest.mark.parametrize("role", WORKSPACE_ROLES)
def test_workspace_roles_see_every_user_organisation_and_group(population, organisation, role):
    user = UserFactory(roles=[role], organisation=organisation)

    assert set(UserPolicy.visible_to(user)) == set(User.objects.all())
    assert set(OrganisationPolicy.visible_to(user)) == {
        population["organisation"],
        population["other_organisation"],
    }
    assert set(SupportGroupPolicy.visible_to(user)) == {population["own_group"], population["other_group"]}


def test_a_requester_sees_only_themselves_their_organisation_and_their_groups(population):
    colleague = population["colleague"]

    assert list(UserPolicy.visible_to(colleague)) == [colleague]
    assert list(OrganisationPolicy.visible_to(colleague)) == [population["organisation"]]
    assert list(SupportGroupPolicy.visible_to(colleague)) == [population["own_group"]]


def test_a_requester_without_an_organisation_sees_no_organisation(population):
    loner = UserFactory(roles=[roles.REQUESTER], organisation=None)

    assert list(OrganisationPolicy.visible_to(loner)) == []
    assert list(SupportGroupPolicy.visible_to(loner)) == []


@pytest.mark.parametrize("anonymous", [None, AnonymousUser()], ids=["none", "anonymous"])
def test_anonymous_sees_nothing(population, anonymous):
    assert not UserPolicy.visible_to(anonymous).exists()
    assert not OrganisationPolicy.visible_to(anonymous).exists()
    assert not SupportGroupPolicy.visible_to(anonymous).exists()


# Create and change


@pytest.mark.django_db
@pytest.mark.parametrize("role", ALL_ROLES)
def test_only_administrators_create_and_change_people_organisations_and_groups(role):
    user = UserFactory(roles=[role])
    organisation = OrganisationFactory()
    group = SupportGroupFactory(manager=user, members=[user])
    allowed = role == "Administrator"

    assert UserPolicy.can_create(user) is allowed
    assert UserPolicy.can_change(user, user) is allowed
    assert OrganisationPolicy.can_create(user) is allowed
    assert OrganisationPolicy.can_change(user, organisation) is allowed
    assert SupportGroupPolicy.can_create(user) is allowed
    assert SupportGroupPolicy.can_change(user, group) is allowed


@pytest.mark.django_db
def test_anonymous_may_create_and_change_nothing():
    anonymous = AnonymousUser()
    organisation = OrganisationFactory()
    group = SupportGroupFactory()
    user = UserFactory()

    assert not UserPolicy.can_create(anonymous)
    assert not UserPolicy.can_change(anonymous, user)
    assert not OrganisationPolicy.can_create(anonymous)
    assert not OrganisationPolicy.can_change(anonymous, organisation)
    assert not SupportGroupPolicy.can_create(anonymous)
    assert not SupportGroupPolicy.can_change(anonymous, group)
    assert not SupportGroupPolicy.can_manage_members(anonymous, group)


# Group membership


def test_a_group_manager_manages_the_members_of_their_own_group(support_group, group_manager):
    assert support_group.manager == group_manager
    assert SupportGroupPolicy.can_manage_members(group_manager, support_group)


def test_a_group_manager_does_not_manage_another_group(group_manager):
    other = SupportGroupFactory(manager=UserFactory(roles=[roles.AGENT, roles.GROUP_MANAGER]))

    assert not SupportGroupPolicy.can_manage_members(group_manager, other)


def test_managing_a_group_without_the_group_manager_role_gives_no_right_over_members(agent):
    group = SupportGroupFactory(manager=agent, members=[agent])

    assert not SupportGroupPolicy.can_manage_members(agent, group)


def test_an_administrator_manages_the_members_of_every_group(administrator, support_group):
    unmanaged = SupportGroupFactory(manager=None)

    assert SupportGroupPolicy.can_manage_members(administrator, support_group)
    assert SupportGroupPolicy.can_manage_members(administrator, unmanaged)


@pytest.mark.parametrize("role", ["Requester", "Agent", "Change manager", "CAB member"])
def test_other_roles_manage_no_group_members(support_group, role):
    assert not SupportGroupPolicy.can_manage_members(UserFactory(roles=[role]), support_group)


# Tokens


@pytest.fixture
def token(db, requester):
    return ApiToken.objects.create(user=requester, name="CI", prefix="itsm_abcdefg", digest="0" * 64)


def test_the_owner_may_revoke_their_token(token, requester):
    assert ApiTokenPolicy.can_revoke(requester, token)


@pytest.mark.parametrize("role", ["Requester", "Agent", "Group manager", "Change manager"])
def test_another_user_may_not_revoke_a_token(token, role):
    assert not ApiTokenPolicy.can_revoke(UserFactory(roles=[role]), token)


def test_an_administrator_may_revoke_anyones_token(token, administrator):
    assert ApiTokenPolicy.can_revoke(administrator, token)


def test_anonymous_may_not_revoke_a_token(token):
    assert not ApiTokenPolicy.can_revoke(AnonymousUser(), token)
    assert not ApiTokenPolicy.can_revoke(None, token)
