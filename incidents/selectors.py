"""Reads of incidents and requests, each applying `IncidentPolicy` for the user who asks."""

from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, F, OuterRef, Q, QuerySet, prefetch_related_objects
from django.utils import timezone

from servicedesk.errors import NotFound
from servicedesk.models import SLAClock, TimelineEntry
from servicedesk.pagination import capped_counts
from servicedesk.records.selectors import record_attachments, record_timeline

from . import workflow as wf
from .models import Incident, RequestType
from .permissions import IncidentPolicy

LIST_RELATED = ["requester", "assignee", "support_group", "service", "request_type"]
# The queue's order, as the partial index `incidents_open_sla_idx` has it: the most urgent SLA first.
QUEUE_ORDER = (F("sla_due_at").asc(nulls_last=True), "priority", "created_at", "id")
# The "breaching soon" tab: open records whose SLA falls due within this many minutes.
BREACHING_SOON_MINUTES = 60
# One record in full: the relations every record has (or that a page always shows) joined, the rest read
# by their own small queries, none when the key is empty. Twelve tables joined at once cost PostgreSQL
# several times more to plan than to run (issue 14).
DETAIL_RELATED = [*LIST_RELATED, "requester__organisation"]
DETAIL_PREFETCH = ["category", "subcategory", "parent", "merged_into", "created_by", "affected_cis__ci_class"]


def incident_list_for_user(*, user, kind: str | None = None) -> QuerySet[Incident]:
    """The records `user` may see, with what a list row shows, sorted by priority then age."""
    queryset = IncidentPolicy.visible_to(user).select_related(*LIST_RELATED)
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset.order_by("priority", "created_at", "id")


def incident_portal_list_for_user(*, user) -> QuerySet[Incident]:
    """What a person follows in the portal: their own records and, where their organisation shares them,
    their colleagues', most recently updated first (an agent sees theirs, not the whole desk)."""
    return (
        incident_list_for_user(user=user)
        .filter(IncidentPolicy.followed_by(user))
        .order_by("-updated_at", "-id")
    )


def request_type_catalogue() -> QuerySet[RequestType]:
    """The active request types of the catalogue's services, each with its service, in one query."""
    from cmdb.selectors import business_service_list

    return (
        RequestType.objects.filter(is_active=True, service__in=business_service_list())
        .select_related("service")
        .order_by("service__name", "service_id", "name", "id")
    )


def incident_get_for_user(*, user, number: str | None = None, pk: int | None = None, kind: str | None = None):
    """One record by number or id if `user` may see it; `NotFound` otherwise, whether it exists or not."""
    queryset = IncidentPolicy.visible_to(user).select_related(*DETAIL_RELATED)
    if kind:
        queryset = queryset.filter(kind=kind)
    lookup = {"number": number} if number is not None else {"pk": pk}
    try:
        record = queryset.get(**lookup)
    except (Incident.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    if record.created_by_id == record.requester_id:
        record.created_by = record.requester  # filed by themself: the person is in hand already
    prefetch_related_objects([record], *DETAIL_PREFETCH)
    return record


def incident_queue(
    *, user, view: str = "open", kind: str | None = None, now: datetime | None = None, order=QUEUE_ORDER
) -> QuerySet[Incident]:
    """The agent queue's base rows, the most urgent SLA first (then priority and age) unless `order`
    says otherwise: `mine` (assigned to me, unfinished), `groups` (unassigned, in my groups or in none),
    `open` (every open record), `breaching` (open, falling due within `BREACHING_SOON_MINUTES`), `all`
    (everything)."""
    queryset = incident_list_for_user(user=user, kind=kind).order_by(*order)
    if view == "mine":
        return queryset.filter(assignee=user, status__in=wf.ACTIVE_STATUSES)
    if view == "groups":
        # Records no rule routed (no default group) belong to no group: every agent sees them here.
        mine_or_nobodys = Q(support_group__in=user.support_groups.all()) | Q(support_group__isnull=True)
        return queryset.filter(mine_or_nobodys, assignee__isnull=True, status__in=wf.OPEN_STATUSES)
    if view == "open":
        return queryset.filter(status__in=wf.OPEN_STATUSES)
    if view == "breaching":
        return incidents_breaching_within(queryset, minutes=BREACHING_SOON_MINUTES, now=now)
    return queryset


def incident_queue_counts(*, user, views, now: datetime | None = None) -> dict[str, tuple[int, bool]]:
    """How many records each of the queue's tabs (`views`) lists, exactly up to the list count cap
    (`servicedesk.pagination.capped_counts`), all in one query."""
    now = now or timezone.now()
    return capped_counts({view: incident_queue(user=user, view=view, now=now) for view in views})


def incidents_sla_breached(queryset: QuerySet[Incident], *, breached: bool = True) -> QuerySet[Incident]:
    """The records of `queryset` with a clock that breached its target (any state, this cycle), or,
    with `breached=False`, those without."""
    clocks = SLAClock.objects.filter(
        Q(breached_at__isnull=False) | Q(state=SLAClock.State.BREACHED),
        content_type=ContentType.objects.get_for_model(Incident),
        object_id=OuterRef("pk"),
    )
    return queryset.filter(Exists(clocks) if breached else ~Exists(clocks))


def incidents_breaching_within(
    queryset: QuerySet[Incident], *, minutes: int, now: datetime | None = None
) -> QuerySet[Incident]:
    """The open records of `queryset` whose earliest running clock falls due between now and `minutes`
    from now: not breached yet, but about to."""
    now = now or timezone.now()
    return queryset.filter(
        status__in=wf.OPEN_STATUSES, sla_due_at__gte=now, sla_due_at__lte=now + timedelta(minutes=minutes)
    )


def incident_timeline(*, record: Incident, user) -> QuerySet[TimelineEntry]:
    """The record's activity (the kernel's rule). Agents also see the entries of the duplicates merged
    into it; others see the record's own public entries only (a duplicate's conversation is its
    requester's)."""
    return record_timeline(record=record, user=user, folded=_duplicates(record, user))


def _duplicates(record: Incident, user) -> list[int]:
    if not IncidentPolicy.can_see_internal(user, record):
        return []
    return list(record.duplicates.values_list("pk", flat=True))


def timeline_escalation_groups(entries) -> dict[int, str]:
    """The names of the groups the SLA escalations among `entries` moved the record to, by id (one
    query, none when no escalation moved it)."""
    from servicedesk.models import SupportGroup

    ids = {
        entry.data.get("support_group")
        for entry in entries
        if entry.kind == TimelineEntry.Kind.SYSTEM
        and isinstance(entry.data, dict)
        and entry.data.get("event") == "sla_escalated"
        and isinstance(entry.data.get("support_group"), int)
    }
    if not ids:
        return {}
    return dict(SupportGroup.objects.filter(pk__in=ids).values_list("pk", "name"))


def incident_attachments(*, record: Incident, user) -> QuerySet:
    """The files on the entries of `record`'s timeline that `user` may see (incident_timeline's rule)."""
    return record_attachments(record=record, user=user, folded=_duplicates(record, user))


def incident_children(*, record: Incident) -> QuerySet[Incident]:
    return record.children.select_related("assignee", "requester").order_by("created_at", "id")


def incident_attachment_get_for_user(*, user, attachment_id: int):
    """An attachment of an incident or request and its record, if `user` may see both the record and the entry
    it came with (the kernel's rule, `record_attachment_get_for_user`); NotFound otherwise."""
    from servicedesk.records.selectors import record_attachment_get_for_user

    return record_attachment_get_for_user(user=user, attachment_id=attachment_id, models=[Incident])
