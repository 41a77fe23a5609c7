"""Writes on users, organisations and support groups."""

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from servicedesk.concurrency import lock, save_changed
from servicedesk.errors import ApplicationError, PermissionDenied
from servicedesk.models import Organisation, SupportGroup, User
from servicedesk.permissions import OrganisationPolicy, SupportGroupPolicy, UserPolicy, forget_permissions
from servicedesk.roles import ROLE_PERMISSIONS

from .audit import apply_changes, audit_record

PROFILE_FIELDS = ("full_name", "phone", "language", "time_zone")
DEFAULT_GROUP_INACTIVE_MESSAGE = gettext_lazy(
    "This is the default group: make another group the default before deactivating it."
)


def _check_email_free(email: str, user: User | None = None) -> None:
    """The case-insensitive constraint would report on no field: name the field here."""
    if not email:
        return
    taken = User.objects.filter(email__iexact=email)
    if user is not None:
        taken = taken.exclude(pk=user.pk)
    if taken.exists():
        raise ValidationError({"email": _("A user with this e-mail address already exists.")}, code="unique")


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied()


def _authorise(actor, allowed) -> None:
    """The system (actor None) may do anything; a person needs the policy's consent."""
    if actor is not None:
        _require(allowed(actor))


def _save_changes(instance, actor, action: str, changes: dict, expected_version: int | None = None):
    """Write `changes` on the locked row (StaleWrite when it moved past `expected_version`); the row."""
    instance = lock(instance, expected=expected_version)
    diff = apply_changes(instance, changes)
    if diff:
        instance.full_clean()
        save_changed(instance, diff)
        audit_record(actor=actor, action=action, target=instance, data={"changes": diff})
    return instance


@transaction.atomic
def organisation_create(*, actor: User | None, name: str, **fields) -> Organisation:
    """Create an organisation. Raises PermissionDenied, or ValidationError for a duplicate name."""
    _authorise(actor, OrganisationPolicy.can_create)
    organisation = Organisation(name=name, **fields)
    organisation.full_clean()
    organisation.save()
    audit_record(actor=actor, action="organisation.created", target=organisation, data={"name": name})
    return organisation


@transaction.atomic
def organisation_update(
    *, organisation: Organisation, actor: User | None, expected_version: int | None = None, **fields
) -> Organisation:
    """Change an organisation's fields; records the changed values. Raises PermissionDenied, or StaleWrite
    for an out-of-date `expected_version` (its revision)."""
    _authorise(actor, lambda a: OrganisationPolicy.can_change(a, organisation))
    return _save_changes(organisation, actor, "organisation.updated", fields, expected_version)


def _check_agent(user: User | None, field: str) -> None:
    """Only agents work a group's records and hear of them: anyone else is refused on `field`."""
    if user is not None and not user.is_agent:
        raise ApplicationError(
            _("%(name)s is not an agent: only people who may work records can be in a support group.")
            % {"name": user},
            code="not_an_agent",
            fields={field: [_("%(name)s is not an agent.") % {"name": user}]},
        )


@transaction.atomic
def support_group_create(
    *, actor: User | None, name: str, members=(), is_default: bool = False, **fields
) -> SupportGroup:
    """Create a support group with its first members (agents only), the default group when
    `is_default`. Raises PermissionDenied, or ApplicationError/ValidationError for bad values."""
    _authorise(actor, SupportGroupPolicy.can_create)
    _check_agent(fields.get("manager"), "manager")
    for user in members:
        _check_agent(user, "members")
    group = SupportGroup(name=name, **fields)
    group.full_clean()
    group.save()
    audit_record(actor=actor, action="support_group.created", target=group, data={"name": name})
    for user in members:
        support_group_add_member(group=group, actor=actor, user=user)
    if is_default:
        support_group_set_default(group=group, actor=actor)
    return group


@transaction.atomic
def support_group_update(
    *,
    group: SupportGroup,
    actor: User | None,
    expected_version: int | None = None,
    is_default: bool | None = None,
    **fields,
) -> SupportGroup:
    """Change a group's fields (not its members). `is_default` True makes it the default group, False
    leaves the desk without one if it was (see `support_group_set_default`).

    Raises PermissionDenied, StaleWrite for an out-of-date `expected_version` (its revision), or
    ApplicationError/ValidationError: a group escalating to itself, a manager who is not an agent,
    deactivating the default group (make another group the default first).
    """
    _authorise(actor, lambda a: SupportGroupPolicy.can_change(a, group))
    if fields.get("escalation_group") is not None and fields["escalation_group"].pk == group.pk:
        raise ApplicationError(
            code="invalid_escalation_group",
            fields={"escalation_group": [_("A group cannot escalate to itself.")]},
        )
    _check_agent(fields.get("manager"), "manager")
    group = lock(group, expected=expected_version)
    if is_default is False and group.is_default:
        support_group_set_default(group=None, actor=actor)
        group.refresh_from_db()
    if fields.get("is_active") is False and group.is_default:
        raise ApplicationError(
            DEFAULT_GROUP_INACTIVE_MESSAGE,
            code="default_group_inactive",
            fields={"is_active": [DEFAULT_GROUP_INACTIVE_MESSAGE]},
        )
    group = _save_changes(group, actor, "support_group.updated", fields)
    if is_default:
        support_group_set_default(group=group, actor=actor)
        group.refresh_from_db()
    return group


@transaction.atomic
def support_group_set_default(*, group: SupportGroup | None, actor: User | None) -> SupportGroup | None:
    """Make `group` the default group (where records that no rule routes go), taking the flag from the
    group that had it in one transaction; None leaves the desk without a default group, so unrouted
    records stay without a group (in the queue's unassigned view). Audited once, with both groups.

    Raises PermissionDenied, or ApplicationError for an inactive group.
    """
    _authorise(actor, SupportGroupPolicy.can_choose_default)
    # Lock every group (they are few): two administrators moving the flag at once queue here, and the
    # read below, a statement after the wait, sees where the other one put it.
    list(SupportGroup.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
    current = SupportGroup.objects.filter(is_default=True).first()
    if group is not None:
        group = SupportGroup.objects.get(pk=group.pk)
        if not group.is_active:
            message = _("An inactive group cannot be the default group.")
            raise ApplicationError(message, code="default_group_inactive", fields={"is_default": [message]})
    if getattr(current, "pk", None) == getattr(group, "pk", None):
        return group
    if current is not None:
        _set_default_flag(current, False)
    if group is not None:
        _set_default_flag(group, True)
    audit_record(
        actor=actor,
        action="support_group.default_changed",
        target=group or current,
        data={
            "from": getattr(current, "pk", None),
            "from_name": str(current or ""),
            "to": getattr(group, "pk", None),
            "to_name": str(group or ""),
        },
    )
    return group


def _set_default_flag(group: SupportGroup, value: bool) -> None:
    group.is_default = value
    save_changed(group, ["is_default"])


@transaction.atomic
def support_group_add_member(
    *, group: SupportGroup, actor: User | None, user: User, expected_version: int | None = None
) -> bool:
    """Add `user` to the group; False when already a member. Raises PermissionDenied, ApplicationError
    (on `user`) when they are not an agent (a group's members hear of its records), or StaleWrite for an
    out-of-date `expected_version` (the group's revision)."""
    _authorise(actor, lambda a: SupportGroupPolicy.can_manage_members(a, group))
    _check_agent(user, "user")
    group = lock(group, expected=expected_version)
    if group.members.filter(pk=user.pk).exists():
        return False
    group.members.add(user)
    save_changed(group, [])
    audit_record(
        actor=actor,
        action="support_group.member_added",
        target=group,
        data={"user": user.pk, "username": user.username},
    )
    return True


@transaction.atomic
def support_group_remove_member(
    *, group: SupportGroup, actor: User | None, user: User, expected_version: int | None = None
) -> bool:
    """Remove `user` from the group; False when not a member. Raises PermissionDenied, or StaleWrite for
    an out-of-date `expected_version` (the group's revision)."""
    _authorise(actor, lambda a: SupportGroupPolicy.can_manage_members(a, group))
    group = lock(group, expected=expected_version)
    if not group.members.filter(pk=user.pk).exists():
        return False
    group.members.remove(user)
    save_changed(group, [])
    audit_record(
        actor=actor,
        action="support_group.member_removed",
        target=group,
        data={"user": user.pk, "username": user.username},
    )
    return True


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    email: str = "",
    password: str | None = None,
    roles=(),
    **fields,
) -> User:
    """Create a user with roles; without a password the user signs in after a password reset.

    Raises PermissionDenied, or ValidationError for a taken username or e-mail.
    """
    _authorise(actor, UserPolicy.can_create)
    user = User(username=username, email=User.objects.normalize_email(email), **fields)
    _check_email_free(user.email)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    audit_record(
        actor=actor,
        action="user.created",
        target=user,
        data={"username": username, "email": user.email},
    )
    if roles:
        user_set_roles(user=user, actor=actor, roles=roles)
    return user


@transaction.atomic
def user_update(
    *, user: User, actor: User | None, expected_version: int | None = None, roles=None, **fields
) -> User:
    """Change a user's fields (administration), and their roles when `roles` is given, all or nothing.
    Raises PermissionDenied, ValidationError, ApplicationError (an unknown role), or StaleWrite for an
    out-of-date `expected_version` (the user's revision)."""
    _authorise(actor, lambda a: UserPolicy.can_change(a, user))
    if "email" in fields:
        fields["email"] = User.objects.normalize_email(fields["email"])
        _check_email_free(fields["email"], user)
    user = _save_changes(user, actor, "user.updated", fields, expected_version)
    if roles is not None:
        user = user_set_roles(user=user, actor=actor, roles=roles)
    return user


@transaction.atomic
def user_profile_update(*, user: User, expected_version: int | None = None, **fields) -> User:
    """A user changes their own name, phone, language or time zone. Raises ValidationError, or StaleWrite
    for an out-of-date `expected_version` (the user's revision)."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ApplicationError(
            code="not_editable",
            fields={name: [_("This field cannot be changed here.")] for name in unknown},
        )
    return _save_changes(user, user, "user.profile_updated", fields, expected_version)


@transaction.atomic
def user_set_roles(*, user: User, actor: User | None, roles, expected_version: int | None = None) -> User:
    """Make the user's roles exactly `roles` (names from servicedesk.roles). Raises PermissionDenied, or
    StaleWrite for an out-of-date `expected_version` (the user's revision)."""
    _authorise(actor, lambda a: UserPolicy.can_change(a, user) or UserPolicy.can_create(a))
    wanted = set(roles)
    unknown = wanted - set(ROLE_PERMISSIONS)
    if unknown:
        raise ApplicationError(
            code="unknown_role",
            fields={"roles": [_("Unknown role: %(name)s") % {"name": name} for name in sorted(unknown)]},
        )
    original, user = user, lock(user, expected=expected_version)
    current = set(user.groups.filter(name__in=list(ROLE_PERMISSIONS)).values_list("name", flat=True))
    added, removed = sorted(wanted - current), sorted(current - wanted)
    if added or removed:
        user.groups.add(*Group.objects.filter(name__in=added))
        user.groups.remove(*Group.objects.filter(name__in=removed))
        save_changed(user, [])
        forget_permissions(original, user)
        audit_record(
            actor=actor, action="user.roles_changed", target=user, data={"added": added, "removed": removed}
        )
    return user
