from datetime import UTC, datetime, timedelta

import pytest
import structlog
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from servicedesk import roles
from servicedesk.errors import ApplicationError, PermissionDenied
from servicedesk.models import ApiToken, AuditEvent, Organisation, OutboxMessage, SupportGroup, User
from servicedesk.services.accounts import password_reset_send, password_set
from servicedesk.services.people import (
    organisation_create,
    organisation_update,
    support_group_add_member,
    support_group_create,
    support_group_remove_member,
    support_group_update,
    user_create,
    user_profile_update,
    user_set_roles,
    user_update,
)
from servicedesk.services.tokens import api_token_create, api_token_revoke

from ..factories import PASSWORD, OrganisationFactory, SupportGroupFactory, UserFactory
from .conftest import role_names_of


def _event(event):
    """What an audit event says, in comparable form."""
    return {
        "action": event.action,
        "actor": event.actor,
        "target": (event.content_type.model_class(), event.object_id) if event.content_type else None,
        "data": event.data,
    }


def _expected(action, actor, target, data):
    return {
        "action": action,
        "actor": actor,
        "target": (type(target), str(target.pk)) if target is not None else None,
        "data": data,
    }


# Organisations


@pytest.mark.parametrize("actor_name", ["administrator", "system"])
def test_organisation_create_records_the_creation(request, audit_log, actor_name):
    actor = request.getfixturevalue(actor_name) if actor_name != "system" else None
    audit_log.mark()

    organisation = organisation_create(actor=actor, name="Fabrikam", email_domain="fabrikam.example")

    assert Organisation.objects.get(pk=organisation.pk).email_domain == "fabrikam.example"
    assert [_event(e) for e in audit_log.events()] == [
        _expected("organisation.created", actor, organisation, {"name": "Fabrikam"})
    ]
    assert audit_log.events()[0].actor_label == (actor.username if actor else "")


@pytest.mark.parametrize("actor_name", ["requester", "agent", "group_manager", "change_manager"])
def test_organisation_create_is_refused_to_non_administrators(request, audit_log, actor_name):
    with pytest.raises(PermissionDenied):
        organisation_create(actor=request.getfixturevalue(actor_name), name="Fabrikam")

    assert not Organisation.objects.filter(name="Fabrikam").exists()
    assert audit_log.events() == []


def test_organisation_create_refuses_a_duplicate_name(administrator, organisation, audit_log):
    with pytest.raises(ValidationError) as exc_info:
        organisation_create(actor=administrator, name=organisation.name)

    assert "name" in exc_info.value.message_dict
    assert Organisation.objects.filter(name=organisation.name).count() == 1
    assert audit_log.events() == []


def test_organisation_update_records_each_changed_field_from_and_to(administrator, organisation, audit_log):
    organisation_update(
        organisation=organisation, actor=administrator, phone="+44 20 7946 0000", name=organisation.name
    )

    organisation.refresh_from_db()
    assert organisation.phone == "+44 20 7946 0000"
    assert [_event(e) for e in audit_log.events()] == [
        _expected(
            "organisation.updated",
            administrator,
            organisation,
            {"changes": {"phone": {"from": "", "to": "+44 20 7946 0000"}}},
        )
    ]


def test_organisation_update_without_a_change_writes_nothing(administrator, organisation, audit_log):
    before = Organisation.objects.get(pk=organisation.pk).updated_at

    organisation_update(organisation=organisation, actor=administrator, name=organisation.name)

    assert Organisation.objects.get(pk=organisation.pk).updated_at == before
    assert audit_log.events() == []


@pytest.mark.parametrize("actor_name", ["requester", "agent", "group_manager"])
def test_organisation_update_is_refused_to_non_administrators(request, organisation, audit_log, actor_name):
    with pytest.raises(PermissionDenied):
        organisation_update(organisation=organisation, actor=request.getfixturevalue(actor_name), phone="1")

    assert Organisation.objects.get(pk=organisation.pk).phone == ""
    assert audit_log.events() == []


def test_organisation_update_refuses_a_name_taken_by_another(administrator, organisation, audit_log):
    other = OrganisationFactory(name="Northwind")

    with pytest.raises(ValidationError):
        organisation_update(organisation=other, actor=administrator, name=organisation.name)

    assert Organisation.objects.get(pk=other.pk).name == "Northwind"
    assert audit_log.events() == []


# Support groups


def test_support_group_create_records_the_group_and_each_first_member(administrator, agent, audit_log):
    group = support_group_create(
        actor=administrator, name="Network", tier=SupportGroup.Tier.TIER2, members=[agent]
    )

    assert list(group.members.all()) == [agent]
    assert [_event(e) for e in audit_log.events()] == [
        _expected("support_group.created", administrator, group, {"name": "Network"}),
        _expected(
            "support_group.member_added", administrator, group, {"user": agent.pk, "username": "agent"}
        ),
    ]


@pytest.mark.parametrize("actor_name", ["requester", "agent", "group_manager"])
def test_support_group_create_is_refused_to_non_administrators(request, audit_log, actor_name):
    with pytest.raises(PermissionDenied):
        support_group_create(actor=request.getfixturevalue(actor_name), name="Network")

    assert not SupportGroup.objects.filter(name="Network").exists()
    assert audit_log.events() == []


def test_support_group_create_refuses_a_duplicate_name(administrator, support_group, audit_log):
    with pytest.raises(ValidationError):
        support_group_create(actor=administrator, name=support_group.name)

    assert audit_log.events() == []


def test_support_group_update_records_manager_and_escalation_as_ids(
    administrator, support_group, group_manager, agent, audit_log
):
    tier2 = SupportGroupFactory(name="Applications")

    support_group_update(group=support_group, actor=administrator, manager=agent, escalation_group=tier2)

    support_group.refresh_from_db()
    assert (support_group.manager, support_group.escalation_group) == (agent, tier2)
    assert [_event(e) for e in audit_log.events()] == [
        _expected(
            "support_group.updated",
            administrator,
            support_group,
            {
                "changes": {
                    "manager": {"from": group_manager.pk, "to": agent.pk},
                    "escalation_group": {"from": None, "to": tier2.pk},
                }
            },
        )
    ]


def test_support_group_update_refuses_a_group_escalating_to_itself(administrator, support_group, audit_log):
    with pytest.raises(ApplicationError) as exc_info:
        support_group_update(group=support_group, actor=administrator, escalation_group=support_group)

    assert exc_info.value.code == "invalid_escalation_group"
    assert "escalation_group" in exc_info.value.fields
    assert SupportGroup.objects.get(pk=support_group.pk).escalation_group is None
    assert audit_log.events() == []


def test_support_group_update_without_a_change_writes_nothing(administrator, support_group, audit_log):
    support_group_update(
        group=support_group, actor=administrator, name=support_group.name, tier=support_group.tier
    )

    assert audit_log.events() == []


@pytest.mark.parametrize("actor_name", ["group_manager", "agent", "requester"])
def test_support_group_update_is_refused_to_non_administrators(request, support_group, audit_log, actor_name):
    # A group manager manages members, not the group's own fields.
    with pytest.raises(PermissionDenied):
        support_group_update(group=support_group, actor=request.getfixturevalue(actor_name), name="Renamed")

    assert SupportGroup.objects.get(pk=support_group.pk).name == "Service Desk"
    assert audit_log.events() == []


@pytest.mark.parametrize("actor_name", ["group_manager", "administrator", "system"])
def test_members_are_added_and_removed_by_the_manager_an_administrator_or_the_system(
    request, support_group, audit_log, actor_name
):
    actor = request.getfixturevalue(actor_name) if actor_name != "system" else None
    newcomer = UserFactory(username="newcomer", roles=[roles.AGENT])

    assert support_group_add_member(group=support_group, actor=actor, user=newcomer) is True
    assert support_group.members.filter(pk=newcomer.pk).exists()
    assert support_group_remove_member(group=support_group, actor=actor, user=newcomer) is True
    assert not support_group.members.filter(pk=newcomer.pk).exists()

    data = {"user": newcomer.pk, "username": "newcomer"}
    assert [_event(e) for e in audit_log.events()] == [
        _expected("support_group.member_added", actor, support_group, data),
        _expected("support_group.member_removed", actor, support_group, data),
    ]


def test_adding_a_member_twice_or_removing_a_non_member_writes_nothing(
    support_group, group_manager, agent, audit_log
):
    outsider = UserFactory(roles=[roles.AGENT])

    assert support_group_add_member(group=support_group, actor=group_manager, user=agent) is False
    assert support_group_remove_member(group=support_group, actor=group_manager, user=outsider) is False
    assert audit_log.events() == []


@pytest.mark.parametrize("operation", [support_group_add_member, support_group_remove_member])
def test_a_group_manager_may_not_manage_the_members_of_another_group(
    group_manager, agent, audit_log, operation
):
    other = SupportGroupFactory(name="Network", members=[agent])
    newcomer = UserFactory(roles=[roles.AGENT])
    target = agent if operation is support_group_remove_member else newcomer

    with pytest.raises(PermissionDenied):
        operation(group=other, actor=group_manager, user=target)

    assert set(other.members.all()) == {agent}
    assert audit_log.events() == []


@pytest.mark.parametrize("actor_name", ["agent", "requester", "change_manager"])
def test_members_may_not_be_added_by_other_roles(request, support_group, audit_log, actor_name):
    with pytest.raises(PermissionDenied):
        support_group_add_member(
            group=support_group, actor=request.getfixturevalue(actor_name), user=UserFactory()
        )

    assert audit_log.events() == []


# Users


def test_user_create_records_the_user_and_the_roles_given(administrator, organisation, audit_log):
    user = user_create(
        actor=administrator,
        username="dora",
        email="Dora@Contoso.EXAMPLE",
        password=PASSWORD,
        full_name="Dora Explorer",
        organisation=organisation,
        roles=[roles.AGENT, roles.CHANGE_MANAGER],
    )

    user.refresh_from_db()
    assert user.email == "Dora@contoso.example"
    assert user.check_password(PASSWORD)
    assert role_names_of(user) == {"Agent", "Change manager"}
    assert [_event(e) for e in audit_log.events()] == [
        _expected("user.created", administrator, user, {"username": "dora", "email": "Dora@contoso.example"}),
        _expected(
            "user.roles_changed",
            administrator,
            user,
            {"added": ["Agent", "Change manager"], "removed": []},
        ),
    ]


def test_user_create_without_a_password_leaves_it_unusable(audit_log):
    user = user_create(actor=None, username="dora", email="dora@example.com")

    assert not User.objects.get(pk=user.pk).has_usable_password()
    assert audit_log.actions() == ["user.created"]


@pytest.mark.parametrize("existing", ["alice@example.com", "ALICE@EXAMPLE.COM", "Alice@example.com"])
def test_user_create_refuses_an_email_taken_in_any_case(administrator, audit_log, existing):
    UserFactory(username="alice", email=existing)
    audit_log.mark()

    with pytest.raises(ValidationError):
        user_create(actor=administrator, username="alice2", email="aLiCe@Example.com")

    assert not User.objects.filter(username="alice2").exists()
    assert audit_log.events() == []


def test_user_create_refuses_an_unknown_time_zone(administrator, audit_log):
    with pytest.raises(ValidationError) as exc_info:
        user_create(actor=administrator, username="dora", email="dora@example.com", time_zone="Mars/Olympus")

    assert "time_zone" in exc_info.value.message_dict
    assert audit_log.events() == []


@pytest.mark.parametrize("actor_name", ["requester", "agent", "group_manager", "change_manager"])
def test_user_create_is_refused_to_non_administrators(request, audit_log, actor_name):
    with pytest.raises(PermissionDenied):
        user_create(actor=request.getfixturevalue(actor_name), username="dora", email="dora@example.com")

    assert not User.objects.filter(username="dora").exists()
    assert audit_log.events() == []


def test_user_update_records_the_changes_with_a_normalised_email(administrator, requester, audit_log):
    user_update(user=requester, actor=administrator, email="requester@EXAMPLE.org", phone="123")

    requester.refresh_from_db()
    assert (requester.email, requester.phone) == ("requester@example.org", "123")
    assert [_event(e) for e in audit_log.events()] == [
        _expected(
            "user.updated",
            administrator,
            requester,
            {
                "changes": {
                    "email": {"from": "requester@example.com", "to": "requester@example.org"},
                    "phone": {"from": "", "to": "123"},
                }
            },
        )
    ]


def test_user_update_refuses_an_email_of_another_user_in_another_case(
    administrator, requester, agent, audit_log
):
    with pytest.raises(ValidationError):
        user_update(user=requester, actor=administrator, email="AGENT@example.com")

    assert User.objects.get(pk=requester.pk).email == "requester@example.com"
    assert audit_log.events() == []


def test_user_update_without_a_change_writes_nothing(administrator, requester, audit_log):
    user_update(user=requester, actor=administrator, email="requester@example.com")

    assert audit_log.events() == []


@pytest.mark.parametrize("actor_name", ["requester", "agent", "group_manager"])
def test_user_update_is_refused_to_non_administrators(request, other_requester, audit_log, actor_name):
    with pytest.raises(PermissionDenied):
        user_update(user=other_requester, actor=request.getfixturevalue(actor_name), phone="1")

    assert User.objects.get(pk=other_requester.pk).phone == ""
    assert audit_log.events() == []


def test_user_profile_update_records_the_user_as_their_own_actor(requester, audit_log):
    user_profile_update(user=requester, language="zh-hans", time_zone="Asia/Shanghai", full_name="R Q")

    requester.refresh_from_db()
    assert (requester.language, requester.time_zone) == ("zh-hans", "Asia/Shanghai")
    [event] = audit_log.events()
    assert _event(event) == _expected(
        "user.profile_updated",
        requester,
        requester,
        {
            "changes": {
                "language": {"from": "", "to": "zh-hans"},
                "time_zone": {"from": "", "to": "Asia/Shanghai"},
                "full_name": {"from": event.data["changes"]["full_name"]["from"], "to": "R Q"},
            }
        },
    )
    assert event.data["changes"]["full_name"]["from"] != "R Q"


def test_user_profile_update_refuses_an_unknown_time_zone(requester, audit_log):
    with pytest.raises(ValidationError) as exc_info:
        user_profile_update(user=requester, time_zone="Mars/Olympus")

    assert "time_zone" in exc_info.value.message_dict
    assert User.objects.get(pk=requester.pk).time_zone == ""
    assert audit_log.events() == []


def test_user_profile_update_refuses_an_unknown_language(requester, audit_log):
    with pytest.raises(ValidationError):
        user_profile_update(user=requester, language="tlh")

    assert User.objects.get(pk=requester.pk).language == ""
    assert audit_log.events() == []


@pytest.mark.parametrize("field", ["is_staff", "email", "organisation", "username"])
def test_user_profile_update_refuses_fields_outside_the_profile(requester, audit_log, field):
    with pytest.raises(ApplicationError) as exc_info:
        user_profile_update(user=requester, **{field: None})

    assert exc_info.value.code == "not_editable"
    assert set(exc_info.value.fields) == {field}
    assert audit_log.events() == []


def test_user_profile_update_without_a_change_writes_nothing(requester, audit_log):
    user_profile_update(user=requester, language="", time_zone="")

    assert audit_log.events() == []


def test_user_set_roles_records_what_was_added_and_removed(administrator, change_manager, audit_log):
    user_set_roles(user=change_manager, actor=administrator, roles=[roles.AGENT, roles.CAB_MEMBER])

    assert role_names_of(change_manager) == {"Agent", "CAB member"}
    assert change_manager.has_perm("servicedesk.access_workspace")
    assert [_event(e) for e in audit_log.events()] == [
        _expected(
            "user.roles_changed",
            administrator,
            change_manager,
            {"added": ["CAB member"], "removed": ["Change manager"]},
        )
    ]


def test_user_set_roles_takes_effect_on_the_same_user_object(administrator, requester):
    assert not requester.has_perm("servicedesk.access_workspace")

    user_set_roles(user=requester, actor=administrator, roles=[roles.AGENT])

    assert requester.has_perm("servicedesk.access_workspace")


def test_user_set_roles_without_a_change_writes_nothing(administrator, agent, audit_log):
    user_set_roles(user=agent, actor=administrator, roles=[roles.AGENT])

    assert audit_log.events() == []


def test_user_set_roles_refuses_an_unknown_role(administrator, agent, audit_log):
    with pytest.raises(ApplicationError) as exc_info:
        user_set_roles(user=agent, actor=administrator, roles=[roles.AGENT, "Overlord"])

    assert exc_info.value.code == "unknown_role"
    assert role_names_of(agent) == {"Agent"}
    assert audit_log.events() == []


@pytest.mark.parametrize("actor_name", ["agent", "group_manager", "requester"])
def test_user_set_roles_is_refused_to_non_administrators(request, requester, audit_log, actor_name):
    with pytest.raises(PermissionDenied):
        user_set_roles(user=requester, actor=request.getfixturevalue(actor_name), roles=[roles.ADMINISTRATOR])

    assert role_names_of(requester) == {"Requester"}
    assert audit_log.events() == []


def test_a_requester_may_not_give_themselves_a_role(requester, audit_log):
    with pytest.raises(PermissionDenied):
        user_set_roles(user=requester, actor=requester, roles=[roles.ADMINISTRATOR])

    assert audit_log.events() == []


# API tokens


def test_api_token_create_stores_only_a_digest_and_records_the_creation(requester, audit_log):
    expires_at = datetime(2099, 1, 2, 3, 4, 5, tzinfo=UTC)

    token, key = api_token_create(user=requester, actor=requester, name="CI", expires_at=expires_at)

    assert key.startswith("itsm_")
    assert token.prefix == key[:12]
    stored = ApiToken.objects.get(pk=token.pk)
    assert key not in (stored.digest, stored.prefix, stored.name)
    assert len(stored.digest) == 64
    assert [_event(e) for e in audit_log.events()] == [
        _expected(
            "user.token_created",
            requester,
            requester,
            {"token": token.pk, "name": "CI", "prefix": key[:12], "expires_at": "2099-01-02T03:04:05Z"},
        )
    ]


@pytest.mark.parametrize("actor_name", ["other_requester", "administrator"])
def test_api_token_create_for_someone_else_is_refused(request, requester, audit_log, actor_name):
    with pytest.raises(PermissionDenied):
        api_token_create(user=requester, actor=request.getfixturevalue(actor_name), name="CI")

    assert not ApiToken.objects.exists()
    assert audit_log.events() == []


def test_api_token_create_refuses_an_expiry_in_the_past(requester, audit_log):
    with pytest.raises(ApplicationError) as exc_info:
        api_token_create(
            user=requester, actor=requester, name="CI", expires_at=timezone.now() - timedelta(seconds=1)
        )

    assert exc_info.value.code == "invalid_expiry"
    assert not ApiToken.objects.exists()
    assert audit_log.events() == []


def test_api_token_create_stops_at_the_limit_of_active_tokens(settings, requester, audit_log):
    settings.ITSM_MAX_API_TOKENS_PER_USER = 2
    first, _key = api_token_create(user=requester, actor=requester, name="one")
    api_token_create(user=requester, actor=requester, name="two")
    audit_log.mark()

    with pytest.raises(ApplicationError) as exc_info:
        api_token_create(user=requester, actor=requester, name="three")

    assert exc_info.value.code == "too_many_tokens"
    assert ApiToken.objects.filter(user=requester).count() == 2
    assert audit_log.events() == []

    api_token_revoke(token=first, actor=requester)
    third, _key = api_token_create(user=requester, actor=requester, name="three")
    assert third.name == "three"


def test_the_token_limit_counts_each_user_separately(settings, requester, other_requester):
    settings.ITSM_MAX_API_TOKENS_PER_USER = 1
    api_token_create(user=requester, actor=requester, name="mine")

    token, _key = api_token_create(user=other_requester, actor=other_requester, name="theirs")

    assert token.user == other_requester


def test_expired_tokens_do_not_count_towards_the_limit(settings, requester):
    settings.ITSM_MAX_API_TOKENS_PER_USER = 1
    expired, _key = api_token_create(
        user=requester, actor=requester, name="old", expires_at=timezone.now() + timedelta(days=1)
    )
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    assert not ApiToken.objects.get(pk=expired.pk).is_active

    token, _key = api_token_create(user=requester, actor=requester, name="new")

    assert token.is_active


@pytest.mark.parametrize("actor_name", ["requester", "administrator"])
def test_api_token_revoke_by_the_owner_or_an_administrator_is_recorded(
    request, requester, audit_log, actor_name
):
    token, _key = api_token_create(user=requester, actor=requester, name="CI")
    actor = request.getfixturevalue(actor_name)
    audit_log.mark()

    api_token_revoke(token=token, actor=actor)

    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert [_event(e) for e in audit_log.events()] == [
        _expected(
            "user.token_revoked", actor, requester, {"token": token.pk, "name": "CI", "prefix": token.prefix}
        )
    ]


def test_revoking_a_revoked_token_writes_nothing(requester, audit_log):
    token, _key = api_token_create(user=requester, actor=requester, name="CI")
    api_token_revoke(token=token, actor=requester)
    revoked_at = ApiToken.objects.get(pk=token.pk).revoked_at
    audit_log.mark()

    api_token_revoke(token=token, actor=requester)

    assert ApiToken.objects.get(pk=token.pk).revoked_at == revoked_at
    assert audit_log.events() == []


@pytest.mark.parametrize("actor_name", ["other_requester", "agent", "group_manager"])
def test_api_token_revoke_by_another_user_is_refused(request, requester, audit_log, actor_name):
    token, _key = api_token_create(user=requester, actor=requester, name="CI")
    audit_log.mark()

    with pytest.raises(PermissionDenied):
        api_token_revoke(token=token, actor=request.getfixturevalue(actor_name))

    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    assert audit_log.events() == []


# Passwords


@pytest.mark.parametrize(
    ("reason", "action"), [("reset", "user.password_reset_completed"), ("change", "user.password_changed")]
)
def test_password_set_changes_the_password_and_records_why(requester, audit_log, reason, action):
    password_set(user=requester, actor=requester, password="a-new-long-password", reason=reason)

    requester.refresh_from_db()
    assert requester.check_password("a-new-long-password")
    assert not requester.check_password(PASSWORD)
    assert [_event(e) for e in audit_log.events()] == [_expected(action, requester, requester, {})]


def test_password_reset_send_writes_the_email_to_the_outbox_and_sends_it_on_commit(
    requester, audit_log, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        queued = password_reset_send(email="  REQUESTER@example.com ", domain="desk.example", use_https=True)

    assert queued == 1
    assert len(callbacks) == 1
    assert mail.outbox == []
    [pending] = OutboxMessage.objects.filter(event="user.password_reset")
    assert pending.recipient == "requester@example.com"
    assert pending.state == OutboxMessage.State.PENDING
    assert pending.payload["subject"] == "Reset your service desk password"
    assert [_event(e) for e in audit_log.events()] == [
        _expected("user.password_reset_requested", None, requester, {})
    ]

    callbacks[0]()

    [message] = mail.outbox
    assert message.to == ["requester@example.com"]
    assert "https://desk.example/password/reset/" in message.body
    pending.refresh_from_db()
    assert pending.state == OutboxMessage.State.DELIVERED


def test_password_reset_send_skips_inactive_users(db, audit_log, django_capture_on_commit_callbacks):
    UserFactory(email="gone@example.com", is_active=False)
    audit_log.mark()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        queued = password_reset_send(email="gone@example.com", domain="testserver", use_https=False)

    assert (queued, callbacks, mail.outbox, audit_log.events()) == (0, [], [], [])


def test_password_reset_send_for_an_unknown_email_queues_nothing(
    requester, audit_log, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        queued = password_reset_send(email="nobody@example.com", domain="testserver", use_https=False)

    assert (queued, callbacks, mail.outbox, audit_log.events()) == (0, [], [], [])


def test_a_user_created_without_a_password_can_set_one_by_reset(db, django_capture_on_commit_callbacks):
    user_create(actor=None, username="dora", email="dora@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        queued = password_reset_send(email="dora@example.com", domain="testserver", use_https=False)

    assert queued == 1
    assert [message.to for message in mail.outbox] == [["dora@example.com"]]


# Correlation


def test_an_audit_event_carries_the_bound_correlation_id(administrator):
    with structlog.contextvars.bound_contextvars(request_id="req-7f3a"):
        organisation = organisation_create(actor=administrator, name="Fabrikam")

    event = AuditEvent.objects.get(action="organisation.created", object_id=str(organisation.pk))
    assert event.correlation_id == "req-7f3a"


def test_an_audit_event_outside_a_request_has_no_correlation_id(administrator):
    organisation = organisation_create(actor=administrator, name="Fabrikam")

    event = AuditEvent.objects.get(action="organisation.created", object_id=str(organisation.pk))
    assert event.correlation_id == ""


def test_a_web_requests_audit_event_carries_the_request_id_echoed_to_the_client(client, requester):
    response = client.post("/login/", {"username": "requester", "password": PASSWORD})

    assert response.status_code == 302
    event = AuditEvent.objects.get(action="user.logged_in")
    assert event.correlation_id
    assert response.headers["X-Request-ID"] == event.correlation_id


def test_a_web_requests_audit_event_carries_the_clients_x_request_id(client, requester):
    response = client.post(
        "/login/",
        {"username": "requester", "password": PASSWORD},
        headers={"X-Request-ID": "client-req-42"},
    )

    assert response.status_code == 302
    event = AuditEvent.objects.get(action="user.logged_in")
    assert event.content_type == ContentType.objects.get_for_model(User)
    assert event.correlation_id == "client-req-42"
    assert response.headers["X-Request-ID"] == "client-req-42"


def test_user_update_changes_fields_and_roles_as_one(administrator, requester):
    user_update(user=requester, actor=administrator, full_name="Rita Q.", roles=[roles.AGENT])

    requester.refresh_from_db()
    assert requester.full_name == "Rita Q."
    assert role_names_of(requester) == {"Agent"}


def test_user_update_with_an_unknown_role_changes_nothing(administrator, requester):
    before = requester.full_name

    with pytest.raises(ApplicationError):
        user_update(user=requester, actor=administrator, full_name="Rita Q.", roles=["Wizard"])

    requester.refresh_from_db()
    assert requester.full_name == before
    assert role_names_of(requester) == {"Requester"}
