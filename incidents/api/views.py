"""The API of incidents (`/api/v1/incidents/`) and service requests (`/api/v1/requests/`).

One viewset serves both kinds; each record is addressed by its number (`INC0000001`, any case, zero
padding optional). A number of the other kind, or a record the caller may not see, answers 404. Views parse,
call one service or selector and render; the services authorise again. Sub-resources (comments, timeline,
attachments, transitions, links) are in `actions.py`.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from servicedesk.api.base import GenericViewSet
from servicedesk.api.conditional import expected_version, not_modified, with_etag
from servicedesk.api.schema import error_responses_for
from servicedesk.api.sla import SLAClockLedgerSerializer
from servicedesk.approvals.api import RecordApprovalsMixin
from servicedesk.errors import NotFound, PermissionDenied
from servicedesk.kinds import parse_number
from servicedesk.models import TimelineEntry
from servicedesk.sla.policies import Schedules
from servicedesk.sla.status import clock_ledger, records_sla

from .. import services
from ..filters import IncidentFilter
from ..models import Incident
from ..permissions import IncidentPolicy
from ..selectors import incident_get_for_user, incident_list_for_user
from . import serializers
from .actions import NUMBER_PARAMETER, RecordActionsMixin

AGENT_ONLY_ON_CREATE = ("requester", "channel", "impact", "support_group", "assignee", "affected_cis")
ROUTING_FIELDS = ("support_group", "assignee")


def _require(allowed: bool, message=None) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _create_schema(input_serializer, summary):
    return extend_schema(
        summary=summary,
        request=input_serializer,
        responses={201: serializers.IncidentDetailSerializer},
    )


_DETAIL_SCHEMAS = {
    "list": extend_schema(
        summary="List the records you may see, by priority then age, with their SLA clocks (agents)"
    ),
    "retrieve": extend_schema(
        summary="One record, with its ETag and the transitions you may fire",
        responses={200: serializers.IncidentDetailSerializer},
    ),
    "partial_update": extend_schema(
        summary="Change the working fields, the group or the assignee (agents); only the fields sent",
        request=serializers.IncidentUpdateInputSerializer,
        responses={200: serializers.IncidentDetailSerializer, **error_responses_for("409")},
    ),
}


class RecordViewSet(
    RecordActionsMixin,
    RecordApprovalsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    GenericViewSet,
):
    """Records of one kind (`kind`); subclasses name it and their create input."""

    conditional_reads = ("retrieve", "transitions")
    conditional_writes = (
        "partial_update",
        "transitions",
        "comments",
        "attachments",
        "parent",
        "merge",
        "major",
        "rating",
    )
    kind: str = ""
    create_input_serializer = serializers.IncidentCreateInputSerializer
    serializer_class = serializers.IncidentSerializer
    filterset_class = IncidentFilter
    ordering = ("priority", "created_at", "id")
    lookup_field = "number"
    lookup_value_regex = r"[^/.]+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False) and self.action == "comments":
            # The schema reads the comment filters against the model of the rows this route lists.
            return TimelineEntry.objects.none()
        return incident_list_for_user(user=self.request.user, kind=self.kind)

    def get_object(self) -> Incident:
        """The record named in the path, if it is of this kind and the caller may see it; NotFound else."""
        return self.record_from_number(self.kwargs[self.lookup_field])

    def record_from_number(self, number, *, field: str | None = None) -> Incident:
        """The record with `number` (canonicalised) of this viewset's kind, if the caller may see it.

        Raises NotFound, or ValidationError on `field` when the number came in the body.
        """
        parsed = parse_number(number) if isinstance(number, str) else None
        try:
            if parsed is None or parsed[0].code != self.kind:
                raise NotFound()
            return incident_get_for_user(user=self.request.user, number=parsed[1], kind=self.kind)
        except NotFound:
            if field:
                # A number in the body is input, not the address: a bad one is a field error.
                raise ValidationError({field: _("No record of this kind has this number.")}) from None
            raise

    def sla_of(self, records) -> dict:
        """The SLA clocks of `records` by record id, read at once; none for who may not see them."""
        if not IncidentPolicy.can_see_internal(self.request.user):
            return {}
        return records_sla(records)

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(page if page is not None else queryset)
        context = {**self.get_serializer_context(), "sla": self.sla_of(rows)}
        data = self.get_serializer_class()(rows, many=True, context=context).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def render(self, record: Incident, status_code=status.HTTP_200_OK, *, headers=None) -> Response:
        """The record in full, fetched again as the caller sees it, with its ETag."""
        record = incident_get_for_user(user=self.request.user, pk=record.pk)
        context = {
            **self.get_serializer_context(),
            "allowed_transitions": services.allowed_transitions(record=record, user=self.request.user),
            "sla": self.sla_of([record]),
            "internal": IncidentPolicy.can_see_internal(self.request.user),
        }
        data = serializers.IncidentDetailSerializer(record, context=context).data
        return with_etag(Response(data, status=status_code, headers=headers), record)

    def retrieve(self, request, *args, **kwargs):
        record = self.get_object()
        return not_modified(request, self.render(record))

    def refuse_agent_fields(self, names, *, allowed: bool) -> None:
        """Refuse the agents' fields among `names` that the caller sent, before validating them: the
        answer must not depend on whether the ids in them exist."""
        if allowed or not hasattr(self.request.data, "keys"):
            return
        given = sorted(name for name in names if name in self.request.data)
        if given:
            raise PermissionDenied(
                _("Only agents set these fields: %(fields)s.") % {"fields": ", ".join(given)}
            )

    def create(self, request, *args, **kwargs):
        self.refuse_agent_fields(
            AGENT_ONLY_ON_CREATE, allowed=IncidentPolicy.can_file_for_others(request.user)
        )
        data = self.create_input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields.setdefault("channel", Incident.Channel.API)
        record = services.incident_create(actor=request.user, kind=self.kind, **fields)
        response = self.render(record, status.HTTP_201_CREATED)
        response["Location"] = serializers.record_url(record)
        return response

    @extend_schema(
        summary="The record's SLA clocks, each with its ledger (agents)",
        responses={200: SLAClockLedgerSerializer(many=True), **error_responses_for("403")},
        parameters=[NUMBER_PARAMETER],
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def sla(self, request, number=None):
        """Every clock of the record as it stands now, with the segments its time was counted in.

        A requester may see that their record exists but not its internal SLA data: 403.
        """
        record = self.get_object()
        _require(IncidentPolicy.can_see_internal(request.user, record), _("SLA details are for agents."))
        now = timezone.now()
        statuses = records_sla([record], now=now).get(record.pk, [])
        schedules = Schedules()
        ledgers = {s.clock.pk: clock_ledger(s.clock, now=now, schedules=schedules) for s in statuses}
        data = SLAClockLedgerSerializer(statuses, many=True, context={"ledgers": ledgers}).data
        return Response(data)

    def partial_update(self, request, *args, **kwargs):
        with transaction.atomic():
            record = self.get_object()
            _require(IncidentPolicy.can_edit(request.user, record))
            data = serializers.IncidentUpdateInputSerializer(data=request.data, partial=True)
            data.is_valid(raise_exception=True)
            changes = dict(data.validated_data)
            routing = {name: changes.pop(name) for name in ROUTING_FIELDS if name in changes}
            version = expected_version(request, record)
            if changes:
                record = services.incident_update(
                    record=record, actor=request.user, expected_version=version, **changes
                )
                version = None  # the row is now locked by this transaction
            if routing:
                record = services.incident_assign(
                    record=record, actor=request.user, expected_version=version, **routing
                )
        return self.render(record)


@extend_schema_view(
    **_DETAIL_SCHEMAS,
    create=_create_schema(serializers.IncidentCreateInputSerializer, "Report an incident"),
)
class IncidentViewSet(RecordViewSet):
    """Incidents: something is broken."""

    kind = Incident.Kind.INCIDENT
    create_input_serializer = serializers.IncidentCreateInputSerializer


@extend_schema_view(
    **_DETAIL_SCHEMAS,
    create=_create_schema(serializers.RequestCreateInputSerializer, "Ask for something from the catalogue"),
)
class RequestViewSet(RecordViewSet):
    """Service requests: something is wanted, from the catalogue's request types."""

    kind = Incident.Kind.REQUEST
    create_input_serializer = serializers.RequestCreateInputSerializer
