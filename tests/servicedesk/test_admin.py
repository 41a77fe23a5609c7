from datetime import timedelta

import pytest
from django.utils import timezone

from servicedesk.models import ApiToken, AuditEvent, Organisation, SupportGroup
from servicedesk.services.people import organisation_create
from servicedesk.services.tokens import api_token_create

from ..factories import OrganisationFactory, SupportGroupFactory

ADMIN = "/admin/servicedesk"


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def objects(requester, support_group, organisation):
    """One saved object of each model in the admin."""
    token, _key = api_token_create(user=requester, actor=requester, name="CI")
    return {
        "user": requester,
        "organisation": organisation,
        "supportgroup": support_group,
        "apitoken": token,
        "auditevent": AuditEvent.objects.get(action="user.token_created"),
    }


@pytest.mark.parametrize("model", ["user", "organisation", "supportgroup", "apitoken", "auditevent"])
def test_the_changelist_and_change_page_load(admin_client, objects, model):
    changelist = admin_client.get(f"{ADMIN}/{model}/")
    change = admin_client.get(f"{ADMIN}/{model}/{objects[model].pk}/change/")

    assert changelist.status_code == 200
    assert changelist.context["cl"].result_count >= 1
    assert change.status_code == 200
    assert change.context["original"] == objects[model]


@pytest.mark.parametrize(
    ("model", "can_add"),
    [
        ("user", True),
        ("organisation", True),
        ("supportgroup", True),
        ("apitoken", False),
        ("auditevent", False),
    ],
)
def test_the_add_page_loads_only_where_adding_is_allowed(admin_client, objects, model, can_add):
    response = admin_client.get(f"{ADMIN}/{model}/add/")
    changelist = admin_client.get(f"{ADMIN}/{model}/")

    assert response.status_code == (200 if can_add else 403)
    assert (f'href="{ADMIN}/{model}/add/"' in changelist.content.decode()) is can_add


@pytest.mark.parametrize("model", ["user", "organisation", "supportgroup", "apitoken", "auditevent"])
def test_the_changelist_search_works(admin_client, objects, model):
    response = admin_client.get(f"{ADMIN}/{model}/", {"q": "zzz-no-match"})

    assert response.status_code == 200
    assert response.context["cl"].result_count == 0


# Audited admin writes


def test_adding_an_organisation_in_the_admin_is_audited(admin_client, superuser):
    response = admin_client.post(
        f"{ADMIN}/organisation/add/",
        {"name": "Fabrikam", "email_domain": "fabrikam.example", "phone": "", "is_active": "on"},
    )

    assert response.status_code == 302
    organisation = Organisation.objects.get(name="Fabrikam")
    event = AuditEvent.objects.get(action="organisation.created_in_admin")
    assert (event.actor, event.object_id, event.object_repr) == (superuser, str(organisation.pk), "Fabrikam")
    assert event.data == {"message": [{"added": {}}]}


def test_changing_an_organisation_in_the_admin_is_audited(admin_client, superuser, organisation):
    response = admin_client.post(
        f"{ADMIN}/organisation/{organisation.pk}/change/",
        {
            "name": organisation.name,
            "email_domain": organisation.email_domain,
            "phone": "+1 555 0100",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.phone == "+1 555 0100"
    event = AuditEvent.objects.get(action="organisation.changed_in_admin")
    assert (event.actor, event.object_id) == (superuser, str(organisation.pk))
    assert event.data == {"message": [{"changed": {"fields": ["Phone"]}}]}


def test_deleting_an_organisation_in_the_admin_is_audited(admin_client, superuser):
    organisation = OrganisationFactory(name="Short-lived")

    response = admin_client.post(f"{ADMIN}/organisation/{organisation.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Organisation.objects.filter(pk=organisation.pk).exists()
    event = AuditEvent.objects.get(action="organisation.deleted_in_admin")
    assert (event.actor, event.object_id, event.object_repr) == (
        superuser,
        str(organisation.pk),
        "Short-lived",
    )


def _support_group_form(**fields):
    return {
        "name": "",
        "email": "",
        "tier": "tier2",
        "description": "",
        "manager": "",
        "escalation_group": "",
        "is_active": "on",
        **fields,
    }


def test_adding_a_support_group_in_the_admin_is_audited(admin_client, superuser, agent, group_manager):
    response = admin_client.post(
        f"{ADMIN}/supportgroup/add/",
        _support_group_form(name="Network", manager=group_manager.pk, members=[agent.pk, group_manager.pk]),
    )

    assert response.status_code == 302
    group = SupportGroup.objects.get(name="Network")
    assert (group.manager, set(group.members.all())) == (group_manager, {agent, group_manager})
    event = AuditEvent.objects.get(action="supportgroup.created_in_admin")
    assert (event.actor, event.object_id) == (superuser, str(group.pk))


def test_changing_a_support_group_in_the_admin_is_audited(admin_client, superuser, support_group, agent):
    tier2 = SupportGroupFactory(name="Applications")

    response = admin_client.post(
        f"{ADMIN}/supportgroup/{support_group.pk}/change/",
        _support_group_form(
            name=support_group.name,
            tier=support_group.tier,
            manager=support_group.manager_id,
            escalation_group=tier2.pk,
            members=[agent.pk],
        ),
    )

    assert response.status_code == 302
    support_group.refresh_from_db()
    assert support_group.escalation_group == tier2
    assert list(support_group.members.all()) == [agent]
    event = AuditEvent.objects.get(action="supportgroup.changed_in_admin")
    assert (event.actor, event.object_id) == (superuser, str(support_group.pk))
    [message] = event.data["message"]
    assert set(message["changed"]["fields"]) == {"Escalates to", "Members"}


def test_the_admin_refuses_a_group_escalating_to_itself(admin_client, support_group):
    response = admin_client.post(
        f"{ADMIN}/supportgroup/{support_group.pk}/change/",
        _support_group_form(
            name=support_group.name, tier=support_group.tier, escalation_group=support_group.pk
        ),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert SupportGroup.objects.get(pk=support_group.pk).escalation_group is None
    assert not AuditEvent.objects.filter(action="supportgroup.changed_in_admin").exists()


# The audit trail is read-only


def test_the_audit_event_admin_has_no_add_change_or_delete(admin_client, administrator):
    organisation_create(actor=administrator, name="Fabrikam")
    event = AuditEvent.objects.get(action="organisation.created")

    changelist = admin_client.get(f"{ADMIN}/auditevent/")
    change = admin_client.post(f"{ADMIN}/auditevent/{event.pk}/change/", {"action": "forged"})
    delete = admin_client.get(f"{ADMIN}/auditevent/{event.pk}/delete/")
    delete_post = admin_client.post(f"{ADMIN}/auditevent/{event.pk}/delete/", {"post": "yes"})
    bulk_delete = admin_client.post(
        f"{ADMIN}/auditevent/", {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"}
    )

    assert changelist.status_code == 200
    assert f"{ADMIN}/auditevent/add/" not in changelist.content.decode()
    assert "delete_selected" not in changelist.content.decode()
    assert change.status_code == 403
    assert (delete.status_code, delete_post.status_code) == (403, 403)
    assert bulk_delete.status_code in (200, 302)
    assert AuditEvent.objects.get(pk=event.pk).action == "organisation.created"


def test_the_audit_event_change_page_shows_every_field_read_only(admin_client, administrator):
    organisation_create(actor=administrator, name="Fabrikam")
    event = AuditEvent.objects.get(action="organisation.created")

    response = admin_client.get(f"{ADMIN}/auditevent/{event.pk}/change/")

    assert response.status_code == 200
    assert response.context["adminform"].form.fields == {}
    assert 'name="_save"' not in response.content.decode()


# Tokens


@pytest.mark.parametrize("staff_fixture", ["superuser", "administrator"])
def test_the_token_admin_revoke_action_revokes_through_the_service(request, client, requester, staff_fixture):
    staff = request.getfixturevalue(staff_fixture)
    client.force_login(staff)
    first, _key = api_token_create(user=requester, actor=requester, name="one")
    second, _key = api_token_create(user=requester, actor=requester, name="two")
    kept, _key = api_token_create(user=requester, actor=requester, name="kept")

    response = client.post(
        f"{ADMIN}/apitoken/", {"action": "revoke", "_selected_action": [first.pk, second.pk]}
    )

    assert response.status_code == 302
    assert set(ApiToken.objects.filter(revoked_at__isnull=False).values_list("name", flat=True)) == {
        "one",
        "two",
    }
    events = AuditEvent.objects.filter(action="user.token_revoked").order_by("pk")
    assert sorted((e.actor, e.data["token"]) for e in events) == [(staff, first.pk), (staff, second.pk)]
    assert ApiToken.objects.get(pk=kept.pk).revoked_at is None


def test_the_token_admin_revoke_action_leaves_revoked_tokens_alone(admin_client, requester):
    token, _key = api_token_create(user=requester, actor=requester, name="old")
    revoked_at = timezone.now() - timedelta(days=3)
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=revoked_at)

    admin_client.post(f"{ADMIN}/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})

    assert ApiToken.objects.get(pk=token.pk).revoked_at == revoked_at
    assert not AuditEvent.objects.filter(action="user.token_revoked").exists()


def test_tokens_cannot_be_deleted_in_the_admin(admin_client, requester):
    token, _key = api_token_create(user=requester, actor=requester, name="CI")

    delete = admin_client.get(f"{ADMIN}/apitoken/{token.pk}/delete/")
    delete_post = admin_client.post(f"{ADMIN}/apitoken/{token.pk}/delete/", {"post": "yes"})

    assert (delete.status_code, delete_post.status_code) == (403, 403)
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_the_token_admin_does_not_show_the_digest(admin_client, requester):
    token, _key = api_token_create(user=requester, actor=requester, name="CI")

    change = admin_client.get(f"{ADMIN}/apitoken/{token.pk}/change/")

    assert change.status_code == 200
    assert token.prefix in change.content.decode()
    assert token.digest not in change.content.decode()
