"""The API of incidents (`/api/v1/incidents/`) and service requests (`/api/v1/requests/`).

One viewset serves both kinds; each record is addressed by its number (`INC0000001`, any case, zero
padding optional). A number of the other kind, or a record the caller may not see, answers 404. Views parse,
call one service or selector and render; the services authorise again. Sub-resources (comments, timeline,
attachments, transitions, SLA) are the kernel's (`servicedesk.api.records`); parent, merge, major incident
and rating are in `actions.py`.
"""

from django.db import transaction
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status

from servicedesk.api.conditional import expected_version
from servicedesk.api.records import RecordViewSet, record_api_url
from servicedesk.api.schema import error_responses_for
from servicedesk.errors import PermissionDenied

from .. import services
from ..filters import IncidentFilter
from ..models import Incident
from ..permissions import IncidentPolicy
from ..selectors import incident_attachments, incident_list_for_user, incident_timeline
from . import serializers
from .actions import IncidentActionsMixin
from .fulfilment import RequestTasksMixin

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


class IncidentKindViewSet(IncidentActionsMixin, RecordViewSet):
    """Records of one kind of this app (`kind`); subclasses name it and their create input."""

    conditional_writes = (*RecordViewSet.conditional_writes, "parent", "merge", "major", "rating")
    create_input_serializer = serializers.IncidentCreateInputSerializer
    serializer_class = serializers.IncidentSerializer
    detail_serializer_class = serializers.IncidentDetailSerializer
    transition_input_serializer_class = serializers.TransitionInputSerializer
    filterset_class = IncidentFilter
    ordering = ("priority", "created_at", "id")

    def records_for(self, user):
        return incident_list_for_user(user=user, kind=self.kind)

    def timeline_of(self, record):
        return incident_timeline(record=record, user=self.request.user)

    def attachments_of(self, record):
        return incident_attachments(record=record, user=self.request.user)

    def comment(self, *, record, **inputs):
        return services.incident_comment(record=record, actor=self.request.user, **inputs)

    def attach(self, *, record, **inputs):
        return services.incident_attach(record=record, actor=self.request.user, **inputs)

    def check_transition_inputs(self, request) -> None:
        self.refuse_agent_fields(["assignee"], allowed=IncidentPolicy.is_agent(request.user))

    def create(self, request, *args, **kwargs):
        self.refuse_agent_fields(
            AGENT_ONLY_ON_CREATE, allowed=IncidentPolicy.can_file_for_others(request.user)
        )
        data = self.create_input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields.setdefault("channel", Incident.Channel.API)
        record = services.incident_create(actor=request.user, kind=self.kind, **fields)
        response = self.render(record, status.HTTP_201_CREATED, fetch=False)
        response["Location"] = record_api_url(record)
        return response

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
class IncidentViewSet(IncidentKindViewSet):
    """Incidents: something is broken."""

    kind = Incident.Kind.INCIDENT
    create_input_serializer = serializers.IncidentCreateInputSerializer


@extend_schema_view(
    **_DETAIL_SCHEMAS,
    create=_create_schema(serializers.RequestCreateInputSerializer, "Ask for something from the catalogue"),
)
class RequestViewSet(RequestTasksMixin, IncidentKindViewSet):
    """Service requests: something is wanted, from the catalogue's request types."""

    conditional_writes = (*IncidentKindViewSet.conditional_writes, "complete_task")
    kind = Incident.Kind.REQUEST
    create_input_serializer = serializers.RequestCreateInputSerializer
