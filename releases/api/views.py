"""The API of releases (`/api/v1/releases/`): the kernel's record resource (comments, timeline,
attachments, transitions, links, approvals: the go/no-go), addressed by number (`REL0000001`). Here:
raising one with the changes it bundles, editing it with If-Match, bundling and unbundling changes, and
its go/no-go checklist; the artifacts (`artifacts.py`) and the deployment (`deployments.py`) are mixed
in. Views parse, call one service and render; the services authorise."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action

from servicedesk.api.conditional import expected_version
from servicedesk.api.records import (
    NUMBER_PARAMETER,
    RecordViewSet,
    record_api_url,
    record_writes,
    records_from_numbers,
)
from servicedesk.api.schema import error_responses_for
from servicedesk.errors import PermissionDenied

from ..permissions import ReleasePolicy
from ..selectors import release_list_for_user
from ..services.gonogo import release_checklist_update
from ..services.lifecycle import release_change_add, release_change_remove, release_create, release_update
from . import serializers
from .artifacts import ArtifactActions
from .deployments import DeploymentActions
from .filters import ReleaseFilter
from .rollback import RollbackActions

# Fields naming the desk's people, groups and CIs by id: only agents of releases send them.
AGENT_FIELDS = ("support_group", "assignee", "test_lead", "services", "target_cis")


@extend_schema_view(
    list=extend_schema(summary="The releases you may see, newest first"),
    retrieve=extend_schema(
        summary="One release, with its ETag, checklist and the transitions you may fire",
        responses={200: serializers.ReleaseDetailSerializer},
    ),
    create=extend_schema(
        summary="Raise a release (planning) with the approved changes it bundles",
        request=serializers.ReleaseCreateInputSerializer,
        responses={201: serializers.ReleaseDetailSerializer, **error_responses_for("409")},
    ),
    partial_update=extend_schema(
        summary="Change a release being prepared; from its go/no-go on only its dates (release managers)",
        request=serializers.ReleaseUpdateInputSerializer,
        responses={200: serializers.ReleaseDetailSerializer, **error_responses_for("409")},
    ),
)
class ReleaseViewSet(ArtifactActions, DeploymentActions, RollbackActions, RecordViewSet):
    """Releases: bundled changes built, tested, approved at a go/no-go, deployed in waves, rolled back."""

    kind = "release"
    serializer_class = serializers.ReleaseSerializer
    detail_serializer_class = serializers.ReleaseDetailSerializer
    transition_input_serializer_class = serializers.ReleaseTransitionInputSerializer
    filterset_class = ReleaseFilter
    ordering = ("-created_at", "-id")
    conditional_writes = (
        *RecordViewSet.conditional_writes,
        "checklist",
        "rollback",
        *DeploymentActions.deployment_conditional_writes,
    )

    def records_for(self, user):
        return release_list_for_user(user=user)

    def sla_of(self, records) -> dict:
        return {}  # releases run no SLA clocks

    def create(self, request, *args, **kwargs):
        if not ReleasePolicy.can_file(request.user):
            raise PermissionDenied(_("You may not raise releases."))
        data = serializers.ReleaseCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        changes = records_from_numbers(
            request.user, fields.pop("changes", []), kind="change", field="changes"
        )
        record = release_create(actor=request.user, changes=changes, **fields)
        response = self.render(record, status.HTTP_201_CREATED)
        response["Location"] = record_api_url(record)
        return response

    def partial_update(self, request, *args, **kwargs):
        record = self.get_object()
        self.refuse_agent_fields(AGENT_FIELDS, allowed=ReleasePolicy.is_agent(request.user))
        data = serializers.ReleaseUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        record = release_update(
            record=record,
            actor=request.user,
            expected_version=expected_version(request, record),
            **data.validated_data,
        )
        return self.render(record)

    @extend_schema(
        summary="Bundle approved or scheduled changes into the release (while it is prepared)",
        request=serializers.ReleaseChangesInputSerializer,
        responses={200: serializers.ReleaseDetailSerializer, **error_responses_for("403", "409")},
        parameters=[NUMBER_PARAMETER],
    )
    @action(detail=True, methods=["post"], url_path="changes", filter_backends=[], pagination_class=None)
    def add_changes(self, request, number=None):
        """409 `link_refused` for a change that is not approved or scheduled, or a release past testing;
        409 `link_limit` for a change another release implements."""
        record = self.get_object()
        data = serializers.ReleaseChangesInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        for change in records_from_numbers(
            request.user, data.validated_data["changes"], kind="change", field="changes"
        ):
            release_change_add(actor=request.user, release=record, change=change)
        return self.render(record)

    @extend_schema(
        summary="Take changes out of the release (while it is prepared)",
        request=serializers.ReleaseChangesInputSerializer,
        responses={200: serializers.ReleaseDetailSerializer, **error_responses_for("403", "409")},
        parameters=[NUMBER_PARAMETER],
    )
    @action(
        detail=True, methods=["post"], url_path="changes/remove", filter_backends=[], pagination_class=None
    )
    def remove_changes(self, request, number=None):
        record = self.get_object()
        data = serializers.ReleaseChangesInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        for change in records_from_numbers(
            request.user, data.validated_data["changes"], kind="change", field="changes"
        ):
            release_change_remove(actor=request.user, release=record, change=change)
        return self.render(record)

    @record_writes(
        "Keep the go/no-go checklist: tests passed (with a summary), communication sent (with a note)",
        serializers.ChecklistInputSerializer,
        error_responses_for("403", "409", "412"),
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def checklist(self, request, number=None):
        record = self.get_object()
        data = serializers.ChecklistInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = release_checklist_update(
            release=record,
            actor=request.user,
            expected_version=expected_version(request, record),
            **data.validated_data,
        )
        return self.render(record)
