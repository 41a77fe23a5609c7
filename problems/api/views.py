"""The API of problems (`/api/v1/problems/`) and of the known error database (`/api/v1/known-errors/`).

Problems are the kernel's record resource (`servicedesk.api.records`: comments, timeline, attachments,
transitions, links), addressed by number (`PRB0000001`); only those who may see problems see any: anyone
else gets an empty list and 404 for a number. Here: raising one (with incidents, or from incidents), its
changes, its incidents and its known error. Known errors are addressed by id; requesters see only those
published to the portal. Views parse, call one service or selector and render; the services authorise.
"""

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from servicedesk.api.base import GenericViewSet
from servicedesk.api.conditional import expected_version, not_modified, with_etag
from servicedesk.api.records import NUMBER_PARAMETER, RecordViewSet, record_api_url, records_from_numbers
from servicedesk.api.schema import error_responses_for
from servicedesk.errors import NotFound, PermissionDenied

from .. import services
from ..deflection import deflection_counts
from ..models import KnownError
from ..permissions import ProblemPolicy
from ..selectors import known_error_search, known_error_usage, problem_incidents, problem_list_for_user
from . import serializers
from .filters import KnownErrorFilter, ProblemFilter
from .pagination import KnownErrorPagination

INCIDENT_KIND = "incident"


def incidents_from_numbers(user, numbers, *, field: str) -> list:
    """The incidents `numbers` name, as `user` may see them (`records_from_numbers`)."""
    return records_from_numbers(
        user,
        numbers,
        kind=INCIDENT_KIND,
        field=field,
        message=_("%(number)s: no incident you may see has this number."),
    )


def may_see_problems(user) -> bool:
    return ProblemPolicy.can_see(user, None)


def known_error_answer(request, known_error, status_code=status.HTTP_200_OK) -> Response:
    """The known error as `request`'s user may read it, with its usage and deflection counts and its
    ETag."""
    known_error = (
        KnownError.objects.select_related("problem")
        .prefetch_related("services", "cis")
        .get(pk=known_error.pk)
    )
    context = {
        "request": request,
        "internal": may_see_problems(request.user),
        "usage": known_error_usage([known_error]),
        "deflections": deflection_counts([known_error]),
    }
    data = serializers.KnownErrorSerializer(known_error, context=context).data
    return with_etag(Response(data, status=status_code), known_error)


@extend_schema_view(
    list=extend_schema(summary="The problems you may see (problem staff), by priority then age"),
    retrieve=extend_schema(
        summary="One problem, with its ETag and the transitions you may fire",
        responses={200: serializers.ProblemDetailSerializer},
    ),
    create=extend_schema(
        summary="Raise a problem, with the incidents it explains",
        request=serializers.ProblemCreateInputSerializer,
        responses={201: serializers.ProblemDetailSerializer, **error_responses_for("409")},
    ),
    partial_update=extend_schema(
        summary="Change the classification, the root-cause analysis or the workaround; only the fields sent",
        request=serializers.ProblemUpdateInputSerializer,
        responses={200: serializers.ProblemDetailSerializer},
    ),
)
class ProblemViewSet(RecordViewSet):
    """Problems: the unknown cause of incidents, investigated until it is known and removed."""

    kind = "problem"
    serializer_class = serializers.ProblemSerializer
    detail_serializer_class = serializers.ProblemDetailSerializer
    transition_input_serializer_class = serializers.ProblemTransitionInputSerializer
    filterset_class = ProblemFilter
    ordering = ("priority", "created_at", "id")
    conditional_writes = (*RecordViewSet.conditional_writes, "known_error")

    def records_for(self, user):
        return problem_list_for_user(user=user)

    def sla_of(self, records) -> dict:
        return {}  # problems run no SLA clocks

    def _created(self, record) -> Response:
        response = self.render(record, status.HTTP_201_CREATED)
        response["Location"] = record_api_url(record)
        return response

    def _require_filing(self) -> None:
        if not ProblemPolicy.can_file(self.request.user):
            raise PermissionDenied(_("You may not raise problems."))

    def create(self, request, *args, **kwargs):
        self._require_filing()
        data = serializers.ProblemCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        incidents = incidents_from_numbers(request.user, fields.pop("incidents", []), field="incidents")
        record = services.problem_create(actor=request.user, incidents=incidents, **fields)
        return self._created(record)

    def partial_update(self, request, *args, **kwargs):
        record = self.get_object()
        data = serializers.ProblemUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        record = services.problem_update(
            record=record,
            actor=request.user,
            expected_version=expected_version(request, record),
            **data.validated_data,
        )
        return self.render(record)

    @extend_schema(
        summary="Raise a problem for these incidents, titled and classified after the first unless given",
        request=serializers.ProblemFromIncidentsInputSerializer,
        responses={201: serializers.ProblemDetailSerializer, **error_responses_for("409")},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="from-incidents",
        filter_backends=[],
        pagination_class=None,
    )
    def from_incidents(self, request):
        self._require_filing()
        data = serializers.ProblemFromIncidentsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        incidents = incidents_from_numbers(request.user, fields.pop("incidents"), field="incidents")
        record = services.problem_from_incidents(actor=request.user, incidents=incidents, **fields)
        return self._created(record)

    @extend_schema(
        methods=["GET"],
        summary="The incidents linked to the problem, oldest link first",
        responses=serializers.LinkedIncidentSerializer(many=True),
        parameters=[NUMBER_PARAMETER],
    )
    @extend_schema(
        methods=["POST"],
        summary="Link incidents to the problem (an incident has one problem); all or none",
        request=serializers.IncidentNumbersInputSerializer,
        responses={201: serializers.LinkedIncidentSerializer(many=True), **error_responses_for("409")},
        parameters=[NUMBER_PARAMETER],
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def incidents(self, request, number=None):
        record = self.get_object()
        if request.method == "POST":
            data = serializers.IncidentNumbersInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            incidents = incidents_from_numbers(
                request.user, data.validated_data["incidents"], field="incidents"
            )
            with transaction.atomic():
                for incident in incidents:
                    services.problem_link_incident(actor=request.user, problem=record, incident=incident)
        rows = problem_incidents(problem=record, user=request.user)
        code = status.HTTP_201_CREATED if request.method == "POST" else status.HTTP_200_OK
        return Response(serializers.LinkedIncidentSerializer(rows, many=True).data, status=code)

    @extend_schema(
        summary="Publish the problem's known error (made from the problem the first time), or retire it",
        request=serializers.PublishInputSerializer,
        responses={
            200: serializers.KnownErrorSerializer,
            201: serializers.KnownErrorSerializer,
            **error_responses_for("409"),
        },
        parameters=[NUMBER_PARAMETER],
    )
    @action(detail=True, methods=["post"], url_path="known-error", filter_backends=[], pagination_class=None)
    def known_error(self, request, number=None):
        """201 when this makes the known error, 200 when it changes its status; 409 `not_known_yet` before
        the problem's error is known (its root cause and workaround recorded)."""
        record = self.get_object()
        data = serializers.PublishInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        expected_version(request, record)  # 412 for a stale If-Match; the service locks the problem
        existed = hasattr(record, "known_error")
        known_error = services.known_error_publish(
            actor=request.user, problem=record, status=data.validated_data["status"]
        )
        return known_error_answer(
            request, known_error, status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        )


Q_PARAMETER = OpenApiParameter(
    name="q",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.QUERY,
    required=False,
    allow_blank=True,
    description="Words (English or Chinese; a typo in a title still finds it). With words, the best "
    "matches come first (a title match before one in the symptoms, before one in the workaround), "
    "`page_size` of them on one page.",
)
KNOWN_ERROR_ID = OpenApiParameter(
    name="id", type=OpenApiTypes.INT, location=OpenApiParameter.PATH, description="The known error's id."
)


@extend_schema_view(
    list=extend_schema(
        summary="Search the known error database (requesters: what is published to the portal)",
        parameters=[Q_PARAMETER],
    ),
    retrieve=extend_schema(summary="One known error, with its ETag and how often its workaround helped"),
    partial_update=extend_schema(
        summary="Edit the known error's words, services and CIs (problem managers)",
        request=serializers.KnownErrorUpdateInputSerializer,
        responses={200: serializers.KnownErrorSerializer},
    ),
)
class KnownErrorViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """The known error database: symptoms, root cause and workaround of each known error."""

    serializer_class = serializers.KnownErrorSerializer
    filterset_class = KnownErrorFilter
    pagination_class = KnownErrorPagination
    ordering = ("-id",)
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "patch", "head", "options"]
    conditional_reads = ("retrieve",)
    conditional_writes = ("partial_update", "publish")

    def searched_words(self) -> str:
        return self.request.query_params.get("q", "") if self.action == "list" else ""

    def get_queryset(self):
        rows = known_error_search(user=self.request.user, text=self.searched_words())
        return rows.prefetch_related("services", "cis")

    def get_object(self):
        """The known error with the id in the path, if the caller may read it; NotFound otherwise."""
        found = known_error_search(user=self.request.user).filter(pk=self.kwargs["pk"]).first()
        if found is None:
            raise NotFound()
        return found

    def list(self, request, *args, **kwargs):
        self.paginator.ranked = bool(self.searched_words().strip())
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = {
            **self.get_serializer_context(),
            "internal": may_see_problems(request.user),
            "usage": known_error_usage(page),
            "deflections": deflection_counts(page),
        }
        data = serializers.KnownErrorSerializer(page, many=True, context=context).data
        return self.get_paginated_response(data)

    def retrieve(self, request, *args, **kwargs):
        return not_modified(request, known_error_answer(request, self.get_object()))

    def partial_update(self, request, *args, **kwargs):
        known_error = self.get_object()
        data = serializers.KnownErrorUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        known_error = services.known_error_update(
            actor=request.user,
            known_error=known_error,
            expected_version=expected_version(request, known_error),
            **data.validated_data,
        )
        return known_error_answer(request, known_error)

    @extend_schema(
        summary="Publish the known error to agents or the portal, take it back to draft, or retire it",
        request=serializers.PublishInputSerializer,
        responses={200: serializers.KnownErrorSerializer, **error_responses_for("409")},
        parameters=[KNOWN_ERROR_ID],
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def publish(self, request, pk=None):
        known_error = self.get_object()
        data = serializers.PublishInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        expected_version(request, known_error)  # 412 for a stale If-Match
        known_error = services.known_error_publish(
            actor=request.user, problem=known_error.problem, status=data.validated_data["status"]
        )
        return known_error_answer(request, known_error)

    @extend_schema(
        summary="Apply the workaround to an incident: a work note, the incident linked to the problem, "
        "optionally resolved with the resolution code “workaround”",
        request=serializers.ApplyInputSerializer,
        responses={200: serializers.KnownErrorSerializer, **error_responses_for("409")},
        parameters=[KNOWN_ERROR_ID],
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def apply(self, request, pk=None):
        """409 `already_applied` for an incident it was applied to, `other_problem` for an incident of
        another problem; 400 for a known error that is not published or has no workaround."""
        known_error = self.get_object()
        if not ProblemPolicy.can_apply_workaround(request.user):
            raise PermissionDenied(_("You may not apply workarounds."))
        data = serializers.ApplyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        (incident,) = incidents_from_numbers(
            request.user, [data.validated_data["incident"]], field="incident"
        )
        services.workaround_apply(
            actor=request.user,
            incident=incident,
            known_error=known_error,
            resolve=data.validated_data["resolve"],
        )
        return known_error_answer(request, known_error)
