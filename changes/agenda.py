"""The CAB's agenda (issue 16, item 3): what the next meeting decides and what it should know of.

The CAB meets every week (`ITSM_CAB_MEETING_*`). The agenda of the next meeting (the first whose end is
still ahead) lists every change awaiting the CAB's approval, the emergencies awaiting approval after the
fact, and, so the board sees what they collide with, the approved, scheduled and implementing changes
planned to start before the meeting after it. Each with its risk and reasons, its impact (services with
their owners), its conflicts and the votes so far. Read in a constant number of queries.
"""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import timezone

from servicedesk.approvals.selectors import Standing, approval_queryset, vote_for
from servicedesk.models import ApprovalRequest

from . import workflow as wf
from .models import Change
from .selectors import change_list_for_user
from .services.assessment import ImpactSummary, change_impact_many

MAX_ROWS = 200


def cab_meetings(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The start of the next CAB meeting (the first whose end is still ahead of `now`) and of the one
    after it, on the configured weekday and wall-clock time in the meeting's time zone."""
    now = now or timezone.now()
    zone = ZoneInfo(settings.ITSM_CAB_MEETING_TIME_ZONE)
    hours, minutes = (int(part) for part in settings.ITSM_CAB_MEETING_TIME.split(":"))
    length = timedelta(minutes=settings.ITSM_CAB_MEETING_MINUTES)
    local = now.astimezone(zone).date()
    day = local - timedelta(days=(local.weekday() - settings.ITSM_CAB_MEETING_WEEKDAY) % 7)

    def start(on) -> datetime:
        return datetime.combine(on, time(hours, minutes), tzinfo=zone)

    while start(day) + length <= now:
        day += timedelta(days=7)
    return start(day), start(day + timedelta(days=7))


@dataclass
class AgendaItem:
    change: Change
    impact: ImpactSummary
    conflicts: list = field(default_factory=list)
    approval: ApprovalRequest | None = None
    may_decide: bool = False


@dataclass
class Agenda:
    meeting: datetime
    next_meeting: datetime
    to_decide: list[AgendaItem] = field(default_factory=list)
    after_the_fact: list[AgendaItem] = field(default_factory=list)
    coming_up: list[AgendaItem] = field(default_factory=list)

    @property
    def items(self) -> list[AgendaItem]:
        return [*self.to_decide, *self.after_the_fact, *self.coming_up]


def cab_agenda(*, user, now: datetime | None = None) -> Agenda:
    """The agenda of the next CAB meeting as `user` may see it, with the pending request of each change
    and whether `user` may decide it now."""
    from . import conflicts

    now = now or timezone.now()
    meeting, next_meeting = cab_meetings(now)
    awaiting = Q(status=wf.AWAITING_APPROVAL)
    retro = Q(retro_approval=Change.RetroApproval.PENDING)
    planned = Q(status__in=wf.COMMITTED_STATUSES, planned_start__lt=next_meeting, planned_end__gt=now) & ~Q(
        retro_approval=Change.RetroApproval.PENDING
    )
    changes = list(
        change_list_for_user(user=user)
        .filter(awaiting | retro | planned)
        .prefetch_related("services", "affected_cis")
        .order_by("planned_start", "id")[:MAX_ROWS]
    )
    agenda = Agenda(meeting=meeting, next_meeting=next_meeting)
    if not changes:
        return agenda
    impacts = change_impact_many(changes)
    found = conflicts.conflicts_many(changes)
    approvals = {}
    pending = approval_queryset().filter(
        content_type=ContentType.objects.get_for_model(Change),
        object_id__in=[c.pk for c in changes],
        status=ApprovalRequest.Status.PENDING,
    )
    for approval in pending.order_by("created_at", "id"):
        approvals[approval.object_id] = approval
    standing = Standing.of(user)
    for change in changes:
        approval = approvals.get(change.pk)
        item = AgendaItem(
            change=change,
            impact=impacts[change.pk],
            conflicts=list(found.get(change.pk, ())),
            approval=approval,
            may_decide=approval is not None and vote_for(approval, standing) is not None,
        )
        if change.status == wf.AWAITING_APPROVAL:
            agenda.to_decide.append(item)
        elif change.retro_approval == Change.RetroApproval.PENDING:
            agenda.after_the_fact.append(item)
        else:
            agenda.coming_up.append(item)
    return agenda
