"""Who is told of what happens to a problem (issue 15, item 7), through the kernel's registries.

Agents hear of problems: the problem's group when one is raised; its assignee (or group) when its status
changes, its known error is published or its workaround is applied to an incident. Webhooks get every
event of the kind as `problem.<event>` (the kernel lists them for subscriptions from `RecordKind.events`).

Requesters never see a problem, but with `ITSM_PROBLEM_TELL_REQUESTERS` (on by default) the requesters of
its incidents are told when it is resolved, by an e-mail about *their incident* ("the cause of your
incident was fixed"): its number, its page, its mail thread; not the problem's.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _

from servicedesk.notifications import audiences
from servicedesk.notifications.registry import (
    AGENT,
    REQUESTER,
    NotificationEventType,
    NotificationRule,
    register_notification_event,
)
from servicedesk.records.events import record_publish
from servicedesk.selectors import support_group_agents
from servicedesk.services.notifications import notify

from . import workflow as wf

PROBLEM_CREATED = "problem_created"
PROBLEM_STATUS_CHANGED = "problem_status_changed"
KNOWN_ERROR_PUBLISHED = "known_error_published"
WORKAROUND_APPLIED = "workaround_applied"
PROBLEM_FIXED = "problem_fixed"

# The problem's record events that change its status (the transition table's).
STATUS_EVENTS = tuple(dict.fromkeys(t.event for t in wf.WORKFLOW if t.event))
RESOLVED_EVENT = next(t.event for t in wf.WORKFLOW if t.target == wf.RESOLVED)


def problem_group(record, actor=None, entry=None, data=None) -> list:
    """The problem's group (its address, or its agents), and its assignee if it has one already."""
    group = []
    if record.support_group_id is not None:
        email = record.support_group.email
        group = [email] if email else list(support_group_agents(group=record.support_group))
    assignee = [record.assignee] if record.assignee_id is not None else []
    return [*assignee, *group]


PROBLEM_EVENTS = (
    NotificationEventType(
        code=PROBLEM_CREATED,
        label=_("A problem was raised for my group"),
        audience=(AGENT,),
        app="problems",
        order=400,
        recipients=problem_group,
    ),
    NotificationEventType(
        code=PROBLEM_STATUS_CHANGED,
        label=_("A problem I work on changed status"),
        audience=(AGENT,),
        app="problems",
        order=410,
        recipients=audiences.workers,
        variables={"reason": _("the reason given (reopen, cancel)")},
    ),
    NotificationEventType(
        code=KNOWN_ERROR_PUBLISHED,
        label=_("The known error of a problem I work on was published"),
        audience=(AGENT,),
        app="problems",
        order=420,
        recipients=audiences.workers,
        variables={"data.to": _("where it is published: agents, or agents and the portal")},
    ),
    NotificationEventType(
        code=WORKAROUND_APPLIED,
        label=_("The workaround of a problem I work on was applied to an incident"),
        audience=(AGENT,),
        app="problems",
        order=430,
        recipients=audiences.workers,
        variables={"data.incident, data.resolved": _("the incident, and whether it was resolved by it")},
    ),
    NotificationEventType(
        # About the requester's own incident (the record of the message), never the problem.
        code=PROBLEM_FIXED,
        label=_("The cause of an incident I filed was fixed"),
        audience=(REQUESTER,),
        app="problems",
        order=440,
        recipients=audiences.requester,
    ),
)

NOTIFICATION_RULES = (
    NotificationRule(on="created", send=PROBLEM_CREATED),
    *(NotificationRule(on=event, send=PROBLEM_STATUS_CHANGED) for event in STATUS_EVENTS),
    NotificationRule(on="known_error_published", send=KNOWN_ERROR_PUBLISHED),
    NotificationRule(on="workaround_applied", send=WORKAROUND_APPLIED),
)


def register_problem_notifications() -> None:
    for event_type in PROBLEM_EVENTS:
        register_notification_event(event_type)


def problem_publish_event(*, record, event: str, actor, entry=None, data: dict | None = None) -> None:
    """The kind's `publish`: the kernel's (webhooks and the rules above), and on "resolved" the linked
    incidents' requesters told, when the desk says so."""
    record_publish(record=record, event=event, actor=actor, entry=entry, data=data)
    if event == RESOLVED_EVENT and settings.ITSM_PROBLEM_TELL_REQUESTERS:
        problem_tell_requesters(problem=record, actor=actor)


def problem_tell_requesters(*, problem, actor) -> int:
    """E-mail each requester of an incident linked to `problem` that its cause was fixed (one message per
    incident, in their language, on the incident's thread). Returns how many were written."""
    from incidents.models import Incident
    from servicedesk.models import RecordLink

    from .links import PROBLEM_INCIDENTS

    incident_ids = RecordLink.objects.filter(
        link_type=PROBLEM_INCIDENTS,
        source_type=ContentType.objects.get_for_model(problem),
        source_id=problem.pk,
    ).values("target_id")
    incidents = (
        Incident.objects.filter(pk__in=incident_ids)
        .exclude(requester=None)
        .select_related("requester", "assignee", "support_group")
    )
    written = 0
    for incident in incidents.order_by("pk"):
        sent = notify(event=PROBLEM_FIXED, record=incident, recipients=[incident.requester], actor=actor)
        written += len(sent)
    return written
