"""The default group: one explicit setting, moved in one audited step, shown and set in the admin and API."""

import pytest
from django.core.management import call_command

from servicedesk.errors import ApplicationError, PermissionDenied
from servicedesk.models import AuditEvent, SupportGroup
from servicedesk.selectors import support_group_default
from servicedesk.services.people import support_group_set_default, support_group_update

from ..factories import SupportGroupFactory

ADMIN = "/admin/servicedesk/supportgroup/"
GROUPS = "/api/v1/support-groups/"


@pytest.fixture
def desk(db):
    return SupportGroupFactory(name="Service Desk", tier=SupportGroup.Tier.TIER1, is_default=True)


@pytest.fixture
def network(db):
    return SupportGroupFactory(name="Network", tier=SupportGroup.Tier.TIER2)


# The service


def test_making_a_group_the_default_takes_the_flag_from_the_old_one_and_is_audited_once(
    desk, network, administrator
):
    support_group_set_default(group=network, actor=administrator)

    desk.refresh_from_db()
    network.refresh_from_db()
    assert (desk.is_default, network.is_default) == (False, True)
    assert support_group_default() == network
    assert (desk.revision, network.revision) == (2, 2)  # both ETags move
    [event] = AuditEvent.objects.filter(action="support_group.default_changed")
    assert event.actor == administrator
    assert event.object_id == str(network.pk)
    assert event.data == {
        "from": desk.pk,
        "from_name": "Service Desk",
        "to": network.pk,
        "to_name": "Network",
    }


def test_making_the_default_group_the_default_again_changes_nothing(desk, administrator):
    support_group_set_default(group=desk, actor=administrator)

    assert not AuditEvent.objects.filter(action="support_group.default_changed").exists()


def test_no_group_leaves_the_desk_without_a_default(desk, administrator):
    support_group_set_default(group=None, actor=administrator)

    assert support_group_default() is None
    event = AuditEvent.objects.get(action="support_group.default_changed")
    assert (event.data["from"], event.data["to"]) == (desk.pk, None)


def test_an_inactive_group_cannot_be_the_default(desk, administrator):
    closed = SupportGroupFactory(name="Closed desk", is_active=False)

    with pytest.raises(ApplicationError) as raised:
        support_group_set_default(group=closed, actor=administrator)

    assert raised.value.code == "default_group_inactive"
    assert support_group_default() == desk


def test_only_administrators_choose_the_default(desk, network, group_manager):
    with pytest.raises(PermissionDenied):
        support_group_set_default(group=network, actor=group_manager)

    assert support_group_default() == desk


def test_deactivating_the_default_group_is_refused_with_a_clear_message(desk, administrator):
    with pytest.raises(ApplicationError) as raised:
        support_group_update(group=desk, actor=administrator, is_active=False)

    assert raised.value.code == "default_group_inactive"
    assert "make another group the default" in str(raised.value.fields["is_active"][0])
    desk.refresh_from_db()
    assert desk.is_active


def test_a_group_that_stops_being_the_default_may_be_deactivated_in_the_same_change(desk, administrator):
    support_group_update(group=desk, actor=administrator, is_default=False, is_active=False)

    desk.refresh_from_db()
    assert (desk.is_default, desk.is_active) == (False, False)
    assert support_group_default() is None


def test_seed_demo_makes_the_service_desk_the_default_and_keeps_a_later_choice(db):
    call_command("seed_demo", stdout=None)
    assert support_group_default().name == "Service Desk"

    network = SupportGroup.objects.get(name="Network")
    support_group_set_default(group=network, actor=None)
    call_command("seed_demo", stdout=None)

    assert support_group_default() == network


# The API


def test_the_api_shows_which_group_is_the_default_and_filters_by_it(desk, network, agent, api_as):
    client = api_as(agent)

    rows = client.get(GROUPS).json()["results"]
    defaults = client.get(GROUPS, {"is_default": "true"}).json()["results"]

    assert {row["name"]: row["is_default"] for row in rows} == {"Service Desk": True, "Network": False}
    assert [row["name"] for row in defaults] == ["Service Desk"]


def test_an_administrator_makes_a_group_the_default_through_the_api(desk, network, administrator, api_as):
    response = api_as(administrator).patch(f"{GROUPS}{network.pk}/", {"is_default": True}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["is_default"] is True
    assert support_group_default() == network


def test_a_group_manager_cannot_move_the_default(desk, network, group_manager, api_as):
    response = api_as(group_manager).patch(f"{GROUPS}{network.pk}/", {"is_default": True}, format="json")

    assert response.status_code == 403
    assert support_group_default() == desk


def test_deactivating_the_default_group_through_the_api_answers_400_on_is_active(desk, administrator, api_as):
    response = api_as(administrator).patch(f"{GROUPS}{desk.pk}/", {"is_active": False}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "default_group_inactive"
    assert list(body["fields"]) == ["is_active"]


def test_creating_a_group_as_the_default_moves_the_flag(desk, administrator, api_as):
    response = api_as(administrator).post(GROUPS, {"name": "New desk", "is_default": True}, format="json")

    assert response.status_code == 201, response.content
    assert support_group_default().name == "New desk"
    desk.refresh_from_db()
    assert not desk.is_default


# The admin


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def test_the_admin_lists_and_filters_the_default_group(admin_client, desk, network):
    page = admin_client.get(ADMIN)
    filtered = admin_client.get(ADMIN, {"is_default__exact": "1"})

    assert "is_default" in page.context["cl"].list_display
    assert [group.name for group in filtered.context["cl"].result_list] == ["Service Desk"]


def test_the_admin_action_makes_one_selected_group_the_default(admin_client, desk, network, superuser):
    response = admin_client.post(
        ADMIN, {"action": "make_default", "_selected_action": [network.pk]}, follow=True
    )

    assert response.status_code == 200
    assert support_group_default() == network
    assert "Network is now the default group." in response.content.decode()
    assert AuditEvent.objects.get(action="support_group.default_changed").actor == superuser


def test_the_admin_action_refuses_more_than_one_group(admin_client, desk, network):
    response = admin_client.post(
        ADMIN, {"action": "make_default", "_selected_action": [desk.pk, network.pk]}, follow=True
    )

    assert "Select exactly one group" in response.content.decode()
    assert support_group_default() == desk


def test_the_admin_warns_when_there_is_no_default_group(admin_client, network):
    response = admin_client.get(ADMIN)

    assert "There is no default group" in response.content.decode()


def test_the_admin_does_not_warn_when_there_is_a_default_group(admin_client, desk):
    response = admin_client.get(ADMIN)

    assert "There is no default group" not in response.content.decode()


def test_the_admin_refuses_to_deactivate_the_default_group(admin_client, desk):
    response = admin_client.post(
        f"{ADMIN}{desk.pk}/change/",
        {
            "name": desk.name,
            "email": "",
            "tier": desk.tier,
            "description": "",
            "manager": "",
            "escalation_group": "",
        },
    )

    assert response.status_code == 200
    assert "make another group the default" in str(response.context["adminform"].form.errors["is_active"])
    desk.refresh_from_db()
    assert desk.is_active
