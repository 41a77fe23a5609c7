"""The desk's roles: Django groups and the permissions each grants.

Later apps add their own permissions to these roles in their own data migrations, with `grant()`.
"""

from django.apps import apps as global_apps
from django.utils.translation import gettext_lazy as _

REQUESTER = "Requester"
AGENT = "Agent"
GROUP_MANAGER = "Group manager"
PROBLEM_MANAGER = "Problem manager"
CHANGE_MANAGER = "Change manager"
CAB_MEMBER = "CAB member"
RELEASE_MANAGER = "Release manager"
CONFIGURATION_MANAGER = "Configuration manager"
ADMINISTRATOR = "Administrator"

ROLE_LABELS = {
    REQUESTER: _("Requester"),
    AGENT: _("Agent"),
    GROUP_MANAGER: _("Group manager"),
    PROBLEM_MANAGER: _("Problem manager"),
    CHANGE_MANAGER: _("Change manager"),
    CAB_MEMBER: _("CAB member"),
    RELEASE_MANAGER: _("Release manager"),
    CONFIGURATION_MANAGER: _("Configuration manager"),
    ADMINISTRATOR: _("Administrator"),
}


def role_label(name: str) -> str:
    """A role's name in the reader's language (its group keeps the English name); another group's name
    as it is."""
    return str(ROLE_LABELS.get(name, name))


_PORTAL = ["servicedesk.access_portal"]
SLA_MANAGER_PERMISSIONS = [
    "servicedesk.view_slapolicy",
    "servicedesk.view_slatarget",
    "servicedesk.view_escalationrule",
]
SLA_ADMIN_PERMISSIONS = [
    f"servicedesk.{action}_{model}"
    for model in ("slapolicy", "slatarget", "escalationrule")
    for action in ("view", "add", "change", "delete")
] + ["servicedesk.view_slaclock", "servicedesk.view_slasegment", "servicedesk.view_slafiring"]
# Who may withdraw any pending approval request (`servicedesk.approvals.services.approval_cancel`).
CANCEL_APPROVAL = "servicedesk.cancel_approval"
_WORKSPACE = _PORTAL + [
    "servicedesk.access_workspace",
    "servicedesk.view_user",
    "servicedesk.view_organisation",
    "servicedesk.view_supportgroup",
]

# Administrators keep the macros every agent shares (issue 19); agents keep their own, managers their groups'.
MACRO_ADMIN_PERMISSIONS = [f"servicedesk.{action}_macro" for action in ("view", "add", "change", "delete")]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    REQUESTER: _PORTAL,
    AGENT: _WORKSPACE,
    GROUP_MANAGER: _WORKSPACE + ["servicedesk.manage_members", *SLA_MANAGER_PERMISSIONS, CANCEL_APPROVAL],
    PROBLEM_MANAGER: _WORKSPACE,
    CHANGE_MANAGER: _WORKSPACE + [CANCEL_APPROVAL],
    CAB_MEMBER: _WORKSPACE,
    RELEASE_MANAGER: _WORKSPACE,
    CONFIGURATION_MANAGER: _WORKSPACE,
    ADMINISTRATOR: _WORKSPACE
    + [
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
        *SLA_ADMIN_PERMISSIONS,
        CANCEL_APPROVAL,
        "servicedesk.view_approvalrequest",
        "servicedesk.view_approvaldecision",
        "servicedesk.view_approvaldelegation",
        *MACRO_ADMIN_PERMISSIONS,
        "auth.view_group",
    ],
}


_REGISTERED: dict[str, list[str]] = {}


def register_role_permissions(role_permissions: dict[str, list[str]]) -> None:
    """A process app adds the permissions its data migration grants (call from `AppConfig.ready()`),
    so that a role re-created by `restore_missing_roles` gets them too."""
    for role, perms in role_permissions.items():
        known = _REGISTERED.setdefault(role, [])
        known.extend(perm for perm in perms if perm not in known)


def role_permissions() -> dict[str, list[str]]:
    """Every role's permissions: the foundation's and those the process apps registered."""
    return {
        role: list(dict.fromkeys([*perms, *_REGISTERED.get(role, [])]))
        for role, perms in ROLE_PERMISSIONS.items()
    }


def grant(apps, mapping: dict[str, list[str]]) -> None:
    """Create the roles and add the permissions (`app_label.codename`); for data migrations."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in mapping.items():
        group, _created = Group.objects.get_or_create(name=role)
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def restore_missing_roles(sender, apps=global_apps, **kwargs) -> None:
    """post_migrate: re-create a role that is missing (after a flush, or deleted by mistake).

    Runs after the last installed app's post_migrate, when every permission row exists. Roles that
    exist are left as administrators shaped them.
    """
    if sender.label != list(global_apps.get_app_configs())[-1].label:
        return
    Group = apps.get_model("auth", "Group")
    existing = set(Group.objects.filter(name__in=list(ROLE_PERMISSIONS)).values_list("name", flat=True))
    missing = {role: perms for role, perms in role_permissions().items() if role not in existing}
    if missing:
        grant(apps, missing)


def ensure_permissions(apps) -> None:
    """Create the permission rows now; Django otherwise creates them only after all migrations.

    For data migrations only: it toggles `models_module` on the migration state's app configs.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
