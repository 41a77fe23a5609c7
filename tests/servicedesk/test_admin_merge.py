"""Two people change one support group, webhook or profile at once: a save writes only what its person
changed (servicedesk.forms_merge through the admin's change form and the profile page)."""

import pytest

from servicedesk.models import SupportGroup, User, WebhookSubscription
from servicedesk.services.people import support_group_update, user_profile_update
from servicedesk.services.webhooks import webhook_subscription_create, webhook_subscription_update

from ..formdata import form_data

ADMIN = "/admin/servicedesk"


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def _change_form(client, path, model_name):
    return form_data(client.get(path).content, f"{model_name}_form", attr="id")


def test_an_admin_save_keeps_what_a_colleague_changed_meanwhile(admin_client, support_group, superuser):
    path = f"{ADMIN}/supportgroup/{support_group.pk}/change/"
    tab = _change_form(admin_client, path, "supportgroup")
    support_group_update(group=support_group, actor=superuser, email="desk@example.com")

    tab["description"] = "First line for everyone."
    response = admin_client.post(path, tab)

    assert response.status_code == 302
    group = SupportGroup.objects.get(pk=support_group.pk)
    assert (group.email, group.description) == ("desk@example.com", "First line for everyone.")
    assert group.revision == 3


def test_a_field_both_changed_is_an_error_and_saving_again_keeps_mine(admin_client, support_group, superuser):
    path = f"{ADMIN}/supportgroup/{support_group.pk}/change/"
    tab = _change_form(admin_client, path, "supportgroup")
    support_group_update(group=support_group, actor=superuser, name="Desk (theirs)")

    tab["name"] = "Desk (mine)"
    refused = admin_client.post(path, tab)

    assert refused.status_code == 200
    assert "Someone else changed this to “Desk (theirs)” meanwhile." in refused.content.decode()
    assert SupportGroup.objects.get(pk=support_group.pk).name == "Desk (theirs)"
    again = form_data(refused.content, "supportgroup_form", attr="id")
    assert again["name"] == "Desk (mine)"
    assert admin_client.post(path, again).status_code == 302
    assert SupportGroup.objects.get(pk=support_group.pk).name == "Desk (mine)"


def test_the_webhook_admin_writes_only_the_changed_fields(admin_client, superuser):
    hook, _secret = webhook_subscription_create(
        actor=None, name="Chat", url="https://chat.example.com/hook", events=["incident.created"]
    )
    path = f"{ADMIN}/webhooksubscription/{hook.pk}/change/"
    tab = _change_form(admin_client, path, "webhooksubscription")
    webhook_subscription_update(actor=None, subscription=hook, is_active=False)

    tab["name"] = "Team chat"
    assert admin_client.post(path, tab).status_code == 302

    hook = WebhookSubscription.objects.get(pk=hook.pk)
    assert (hook.name, hook.is_active) == ("Team chat", False)


def test_the_profile_page_keeps_what_another_tab_saved(client, agent):
    client.force_login(agent)
    tab = form_data(client.get("/profile/").content, "profile-form")
    user_profile_update(user=agent, phone="+44 20 7946 0000")

    tab["full_name"] = "Agent Smith"
    assert client.post("/profile/", tab).status_code == 302

    agent = User.objects.get(pk=agent.pk)
    assert (agent.full_name, agent.phone) == ("Agent Smith", "+44 20 7946 0000")
