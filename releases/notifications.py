"""Who is told of what happens to a release (issue 17), through the kernel's registries.

- go/no-go asked: the approvers hear of it through the kernel approvals' own e-mails.
- approved (go), no-go, and deployment started: the release manager and the build group.
- each wave started or finished, deployed, failed, rolled back: the release manager, the build group, and
  the owners of the target services (they answer for what runs there).

Webhooks get every event of the kind as `release.<event>` (`workflow.EVENTS`; the kernel offers them to
subscriptions from `RecordKind.events`), the release as `records._represent` shows it: `release.approved`,
`release.wave_started`, `release.wave_finished`, `release.deployed`, `release.failed`,
`release.rolled_back` among them.
"""

from django.utils.translation import gettext_lazy as _

from servicedesk.notifications.registry import (
    AGENT,
    NotificationEventType,
    NotificationRule,
    register_notification_event,
)
from servicedesk.records.events import record_publish
from servicedesk.selectors import agent_list, support_group_agents

from . import workflow as wf
from .models import Wave

RELEASE_DECIDED = "release_decided"
RELEASE_DEPLOYMENT = "release_deployment"

DECISION_EVENTS = ("approved", "no_go")
DEPLOYMENT_EVENTS = ("deploying", "wave_started", "wave_finished", "deployed", "failed", "rolled_back")


def release_team(record, actor=None, entry=None, data=None) -> list:
    """The release manager (every release manager while it has none) and the build group (its address,
    or its agents)."""
    manager = (
        [record.assignee] if record.assignee_id is not None else list(agent_list(perm=wf.MANAGE_PERMISSION))
    )
    group = []
    if record.support_group_id is not None:
        email = record.support_group.email
        group = [email] if email else list(support_group_agents(group=record.support_group))
    return [*manager, *group]


def release_team_and_owners(record, actor=None, entry=None, data=None) -> list:
    owners = [
        service.owner
        for service in record.services.select_related("owner").order_by("pk")
        if service.owner_id is not None and service.owner.is_active
    ]
    return [*release_team(record), *owners]


def _wave_status(data: dict) -> str:
    """How the wave stands, in the reader's language: from its status code, as the label the event carries
    is in the language of whoever published it (the stored label when the code is not a wave status)."""
    code = data.get("wave_status")
    if code in Wave.Status.values:
        return Wave.Status(code).label
    return data.get("wave_status_label", "")


def _context(record, data) -> dict:
    data = data or {}
    return {
        "version": record.release_version,
        "wave": data.get("wave_name", ""),
        "wave_status": _wave_status(data),
        "reason": data.get("reason", ""),
    }


RELEASE_EVENTS = (
    NotificationEventType(
        code=RELEASE_DECIDED,
        label=_("A release I manage or build was approved, or not, at its go/no-go"),
        audience=(AGENT,),
        app="releases",
        order=600,
        recipients=release_team,
        context=_context,
        variables={"version": _("the release's version"), "reason": _("the reason given")},
    ),
    NotificationEventType(
        code=RELEASE_DEPLOYMENT,
        label=_(
            "A release I manage, build or own a target of started or finished a wave, deployed, failed "
            "or was rolled back"
        ),
        audience=(AGENT,),
        app="releases",
        order=610,
        recipients=release_team_and_owners,
        context=_context,
        variables={
            "version": _("the release's version"),
            "wave": _("the wave"),
            "wave_status": _("how the wave stands (running, succeeded, failed, rolled back)"),
            "reason": _("why it failed or was rolled back"),
        },
    ),
)

NOTIFICATION_RULES = (
    *(NotificationRule(on=event, send=RELEASE_DECIDED) for event in DECISION_EVENTS),
    *(NotificationRule(on=event, send=RELEASE_DEPLOYMENT) for event in DEPLOYMENT_EVENTS),
)


def register_release_notifications() -> None:
    for event_type in RELEASE_EVENTS:
        register_notification_event(event_type)


def release_publish_event(*, record, event: str, actor, entry=None, data=None) -> None:
    """The kind's `publish`: the kernel's webhooks and the rules above."""
    record_publish(record=record, event=event, actor=actor, entry=entry, data=data)
