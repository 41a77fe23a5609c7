"""The sub-resources of a record: comments, timeline, attachments, transitions, parent, merge, major, rating.

Every route first fetches the record through `get_object()` (404 for what the caller may not see), then
calls one selector or service. Writes answer the record in full with its ETag and honour If-Match; every
POST honours `Idempotency-Key` (`servicedesk.api.base`).
"""

from django.http import FileResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import parsers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from servicedesk.api.conditional import expected_version, locked_if_match, not_modified, with_etag
from servicedesk.api.filters import BooleanFilter, FilterSet
from servicedesk.api.pagination import CursorPagination
from servicedesk.api.parsers import JSONParser
from servicedesk.api.schema import error_responses_for
from servicedesk.errors import NotFound
from servicedesk.models import Attachment, TimelineEntry

from .. import services
from ..permissions import IncidentPolicy
from ..selectors import incident_attachment_get_for_user, incident_attachments, incident_timeline
from . import serializers

NUMBER_PARAMETER = OpenApiParameter(
    name="number",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.PATH,
    description="The record's number, such as INC0000001 (any case; zero padding optional).",
)
COMMENT_KINDS = [TimelineEntry.Kind.COMMENT, TimelineEntry.Kind.WORK_NOTE]


class TimelinePagination(CursorPagination):
    """A record's entries and files, oldest first, whatever the view's own ordering."""

    def get_ordering(self, request, queryset, view):
        return ("created_at", "id")


class CommentFilter(FilterSet):
    is_public = BooleanFilter(label=gettext_lazy("Public (false: work notes)"))

    class Meta:
        model = TimelineEntry
        fields = ["is_public"]


def _writes(summary, request, responses=None):
    """The schema of a POST sub-resource answering the record: its input, and the 409 it may give."""
    return extend_schema(
        summary=summary,
        request=request,
        responses={200: serializers.IncidentDetailSerializer, **(responses or {})},
    )


class RecordActionsMixin:
    """Sub-resources of `RecordViewSet` (needs its `get_object()` and `render()`)."""

    def _entries_context(self, record) -> dict:
        return {**self.get_serializer_context(), "record_url": serializers.record_url(record)}

    def _entries_page(self, record, entries):
        page = self.paginate_queryset(entries)
        rows = serializers.TimelineEntrySerializer(page, many=True, context=self._entries_context(record))
        return self.get_paginated_response(rows.data)

    @extend_schema(
        methods=["GET"],
        summary="Comments (agents also see work notes)",
        responses=serializers.TimelineEntrySerializer(many=True),
        parameters=[NUMBER_PARAMETER],
    )
    @extend_schema(
        methods=["POST"],
        summary="Reply with a public comment or an internal work note, with files (multipart)",
        request={
            "application/json": serializers.CommentInputSerializer,
            "multipart/form-data": serializers.CommentInputSerializer,
        },
        responses={201: serializers.TimelineEntrySerializer},
        parameters=[NUMBER_PARAMETER],
    )
    @action(
        detail=True,
        methods=["get", "post"],
        pagination_class=TimelinePagination,
        filterset_class=CommentFilter,
        parser_classes=[JSONParser, parsers.MultiPartParser],
    )
    def comments(self, request, number=None):
        if request.method == "POST":
            return self._comment(request)
        record = self.get_object()
        entries = incident_timeline(record=record, user=request.user).filter(kind__in=COMMENT_KINDS)
        return self._entries_page(record, self.filter_queryset(entries))

    def _comment(self, request):
        record = self.get_object()
        data = serializers.CommentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with locked_if_match(request, record) as record:
            entry = services.incident_comment(
                record=record,
                actor=request.user,
                body=data.validated_data.get("body", ""),
                is_public=data.validated_data["is_public"],
                uploads=data.validated_data.get("files", []),
            )
        entry = incident_timeline(record=record, user=request.user).get(pk=entry.pk)
        rows = serializers.TimelineEntrySerializer(entry, context=self._entries_context(record))
        return with_etag(Response(rows.data, status=status.HTTP_201_CREATED), self.get_object())

    @extend_schema(
        summary="The whole timeline you may see, oldest first",
        responses=serializers.TimelineEntrySerializer(many=True),
    )
    @action(detail=True, methods=["get"], pagination_class=TimelinePagination, filter_backends=[])
    def timeline(self, request, number=None):
        record = self.get_object()
        return self._entries_page(record, incident_timeline(record=record, user=request.user))

    @extend_schema(
        methods=["GET"],
        summary="The files you may see on the record",
        responses=serializers.AttachmentSerializer(many=True),
    )
    @extend_schema(
        methods=["POST"],
        summary="Attach files (multipart `files`; `is_public=false` for internal files, agents only)",
        request={"multipart/form-data": serializers.AttachmentInputSerializer},
        responses={201: serializers.AttachmentSerializer(many=True)},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        pagination_class=TimelinePagination,
        filter_backends=[],
        parser_classes=[parsers.MultiPartParser],
    )
    def attachments(self, request, number=None):
        if request.method == "POST":
            return self._attach(request)
        record = self.get_object()
        files = incident_attachments(record=record, user=request.user)
        page = self.paginate_queryset(files)
        rows = serializers.AttachmentSerializer(page, many=True, context=self._entries_context(record))
        return self.get_paginated_response(rows.data)

    def _attach(self, request):
        record = self.get_object()
        data = serializers.AttachmentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with locked_if_match(request, record) as record:
            entry = services.incident_attach(
                record=record,
                actor=request.user,
                uploads=data.validated_data["files"],
                is_public=data.validated_data["is_public"],
            )
        files = Attachment.objects.filter(entry=entry).select_related("entry").order_by("id")
        rows = serializers.AttachmentSerializer(files, many=True, context=self._entries_context(record))
        return with_etag(Response(rows.data, status=status.HTTP_201_CREATED), self.get_object())

    @extend_schema(
        summary="Download a file",
        responses={
            (200, "*/*"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file, as a download, with its stored media type."
            )
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<attachment_id>\d+)",
        filter_backends=[],
        pagination_class=None,
    )
    def attachment(self, request, number=None, attachment_id=None):
        record = self.get_object()
        attachment, owner = incident_attachment_get_for_user(
            user=request.user, attachment_id=int(attachment_id)
        )
        if owner.pk != record.pk and owner.merged_into_id != record.pk:
            raise NotFound()
        try:
            handle = attachment.file.open("rb")
        except OSError:
            raise NotFound(_("The file is missing from the store.")) from None
        response = FileResponse(
            handle, as_attachment=True, filename=attachment.name, content_type=attachment.media_type
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response

    @extend_schema(
        methods=["GET"],
        summary="The transitions you may fire now, with what each needs",
        responses=serializers.TransitionsSerializer,
    )
    @extend_schema(
        methods=["POST"],
        summary="Fire a transition: `to` a status, with the inputs it requires",
        request=serializers.TransitionInputSerializer,
        responses={
            200: serializers.IncidentDetailSerializer,
            409: OpenApiResponse(
                serializers.TransitionConflictSerializer,
                description="`invalid_transition`: none leads there from the current status; "
                "`allowed` lists the statuses that can be reached. `reopen_window_passed`: a requester "
                "can no longer reopen it.",
            ),
        },
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def transitions(self, request, number=None):
        record = self.get_object()
        if request.method == "GET":
            allowed = services.allowed_transitions(record=record, user=request.user)
            return not_modified(
                request, with_etag(Response({"status": record.status, "allowed": allowed}), record)
            )
        self.refuse_agent_fields(["assignee"], allowed=IncidentPolicy.is_agent(request.user))
        data = serializers.TransitionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        inputs = dict(data.validated_data)
        to = inputs.pop("to")
        version = expected_version(request, record)
        record = services.incident_transition(
            record=record, actor=request.user, to=to, expected_version=version, **inputs
        )
        return self.render(record)

    @_writes("Make the record a child of another, or detach it", serializers.ParentInputSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def parent(self, request, number=None):
        record = self.get_object()
        data = serializers.ParentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        number = data.validated_data["parent"]
        parent = None if number is None else self.record_from_number(number, field="parent")
        with locked_if_match(request, record) as record:
            record = services.incident_set_parent(record=record, actor=request.user, parent=parent)
        return self.render(record)

    @_writes(
        "Merge this duplicate into another record; answers the record merged into",
        serializers.MergeInputSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def merge(self, request, number=None):
        record = self.get_object()
        data = serializers.MergeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        target = self.record_from_number(data.validated_data["into"], field="into")
        with locked_if_match(request, record) as record:
            target = services.incident_merge(duplicate=record, target=target, actor=request.user)
        return self.render(target)

    @_writes("Declare a major incident, or stand it down", serializers.MajorInputSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def major(self, request, number=None):
        record = self.get_object()
        data = serializers.MajorInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with locked_if_match(request, record) as record:
            record = services.incident_declare_major(
                record=record,
                actor=request.user,
                is_major=data.validated_data["is_major"],
                reason=data.validated_data.get("reason", ""),
            )
        return self.render(record)

    @_writes(
        "Rate the resolution (the requester, once)",
        serializers.RatingInputSerializer,
        error_responses_for("409"),
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def rating(self, request, number=None):
        record = self.get_object()
        data = serializers.RatingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with locked_if_match(request, record) as record:
            record = services.incident_rate(
                record=record,
                actor=request.user,
                score=data.validated_data["score"],
                comment=data.validated_data.get("comment", ""),
            )
        return self.render(record)
