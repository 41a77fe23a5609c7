"""Reads of the portal home (issue 19, items 4 and 5): what waits for the requester, the outages on
the services, and the records they follow as watchers. Each is one query, whatever the number of rows."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import BooleanField, Case, Exists, OuterRef, Q, QuerySet, Value, When

from servicedesk.models import Watcher

from . import workflow as wf
from .models import Incident
from .permissions import IncidentPolicy

WAITING_SHOWN = 10
OUTAGES_SHOWN = 5
FOLLOWING_SHOWN = 10


def waiting_for_requester_q(user) -> Q:
    """The records `user` must act on as their requester: a resolution to confirm (or reopen), or a
    question the service desk put on hold for their answer."""
    return Q(requester=user) & (
        Q(status=wf.RESOLVED) | Q(status=wf.ON_HOLD, hold_reason=Incident.HoldReason.REQUESTER)
    )


def with_waiting_mark(records: QuerySet[Incident], *, user) -> QuerySet[Incident]:
    """`records`, each with `waits_for_me` (the portal's marker), computed in the same query."""
    return records.annotate(
        waits_for_me=Case(
            When(waiting_for_requester_q(user), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def incident_waiting_for_user(*, user) -> QuerySet[Incident]:
    """What waits for `user`, the longest-waiting first (the portal lists these at the top)."""
    if not user.is_authenticated:
        return Incident.objects.none()
    return (
        Incident.objects.filter(waiting_for_requester_q(user))
        .select_related("service")
        .only(
            "pk",
            "number",
            "title",
            "kind",
            "status",
            "hold_reason",
            "updated_at",
            "service__name",
            "service__name_translations",
        )
        .order_by("updated_at", "id")
    )


def _followed(user) -> Exists:
    return Exists(
        Watcher.objects.filter(
            content_type=ContentType.objects.get_for_model(Incident), object_id=OuterRef("pk"), user=user
        )
    )


def outage_list_for_user(*, user, service=None) -> QuerySet[Incident]:
    """The open major incidents a portal user is told of (every portal user: an outage is the whole
    site's news, see docs/decisions.md), newest first, each with `is_followed` by `user`."""
    if not user.is_authenticated or not user.has_perm("servicedesk.access_portal"):
        return Incident.objects.none()
    outages = Incident.objects.filter(kind=Incident.Kind.INCIDENT, is_major=True, status__in=wf.OPEN_STATUSES)
    if service is not None:
        outages = outages.filter(service=service)
    return (
        outages.select_related("service")
        .only(
            "pk",
            "number",
            "title",
            "status",
            "created_at",
            "updated_at",
            "service__name",
            "service__name_translations",
        )
        .annotate(is_followed=_followed(user))
        .order_by("-created_at", "-id")
    )


def incident_following_for_user(*, user) -> QuerySet[Incident]:
    """The records `user` watches without being their requester, open ones first, then the latest."""
    if not user.is_authenticated:
        return Incident.objects.none()
    return (
        Incident.objects.filter(IncidentPolicy.watched_by(user))
        .exclude(requester=user)
        .select_related("service")
        .only(
            "pk",
            "number",
            "title",
            "kind",
            "status",
            "is_major",
            "updated_at",
            "service__name",
            "service__name_translations",
        )
        .annotate(closed_rank=Case(When(status__in=wf.OPEN_STATUSES, then=Value(0)), default=Value(1)))
        .order_by("closed_rank", "-updated_at", "-id")
    )


def incident_followable_get(*, user, number: str) -> Incident | None:
    """The record `number` if `user` may follow it (what they see, or an open major incident)."""
    record = Incident.objects.filter(number=number).select_related("service").first()
    if record is None or not IncidentPolicy.can_watch(user, record):
        return None
    return record
