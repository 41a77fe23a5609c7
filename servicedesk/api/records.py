"""The base API of every record kind: a viewset and the sub-resources each kind gets by subclassing it.

`RecordViewSet` lists the kind's records (its filters, cursor pagination, SLA clocks for agents), answers
one by number with its ETag and the transitions the caller may fire, and serves `comments`, `timeline`,
`attachments` (and one file), `transitions`, `approvals`, `links` and `sla`. A kind names its `kind` (the
`RecordKind` code), its serializers and filters, and overrides a hook where it has rules of its own (its
create and update, a timeline that folds in merged records). Every route first fetches the record through
`get_object()` (404 for what the caller may not see); writes honour If-Match and answer with the ETag;
every POST honours `Idempotency-Key` (`servicedesk.api.base`).
"""

from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, parsers, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from servicedesk.approvals.api import RecordApprovalsMixin
from servicedesk.concurrency import version_field
from servicedesk.errors import NotFound, PermissionDenied
from servicedesk.kinds import kind_of, parse_number, record_kind
from servicedesk.models import Attachment, TimelineEntry
from servicedesk.records.selectors import record_attachments, record_timeline
from servicedesk.records.services import record_attach, record_comment
from servicedesk.records.transitions import record_transition, transitions_allowed
from servicedesk.sla.policies import Schedules
from servicedesk.sla.status import clock_ledger, records_sla

from . import records_serializers as shapes
from .base import GenericViewSet
from .conditional import expected_version, locked_if_match, not_modified, with_etag
from .filters import BooleanFilter, FilterSet, RecordFilter
from .macros import RecordMacrosMixin
from .pagination import CountedCursorPagination, CursorPagination
from .parsers import JSONParser
from .record_links import RecordLinksMixin
from .record_watchers import RecordWatchersMixin
from .schema import RECORD_DETAIL, TRANSITION_INPUT, error_responses_for
from .sla import SLAClockLedgerSerializer

NUMBER_PARAMETER = OpenApiParameter(
    name="number",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.PATH,
    description="The record's number, such as INC0000001 (any case; zero padding optional).",
)
COMMENT_KINDS = [TimelineEntry.Kind.COMMENT, TimelineEntry.Kind.WORK_NOTE]


def record_api_url(record) -> str:
    """The record's API address (`/api/v1/incidents/INC0000001/`): the route of its kind's code."""
    return reverse(f"{kind_of(record).code}-detail", kwargs={"number": record.number}).rstrip("/") + "/"


def _version_read(record):
    """`record` with its counter read again after a write (for the answer's ETag): one small query, not
    the record fetched in full a second time."""
    record.refresh_from_db(fields=[version_field(record)])
    return record


class TimelinePagination(CursorPagination):
    """A record's entries and files, oldest first, whatever the view's own ordering."""

    def get_ordering(self, request, queryset, view):
        return ("created_at", "id")


class CommentFilter(FilterSet):
    is_public = BooleanFilter(label=gettext_lazy("Public (false: work notes)"))

    class Meta:
        model = TimelineEntry
        fields = ["is_public"]


class TransitionInputSerializer(serializers.Serializer):
    """`to`, and what that transition requires or accepts as text; a kind with typed inputs (people,
    choices) declares its own."""

    to = serializers.CharField(max_length=50)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=10_000)


def record_writes(summary, request, responses=None):
    """The schema of a POST sub-resource answering the record in full: its input and what it may give."""
    return extend_schema(
        summary=summary,
        request=request,
        responses={200: RECORD_DETAIL, **(responses or {})},
        parameters=[NUMBER_PARAMETER],
    )


def records_from_numbers(user, numbers, *, kind: str, field: str, message=None) -> list:
    """The records of `kind` (a kind's code) that `numbers` (in a request's body) name, as `user` may see
    them, in order and once each. A number of another kind, or of a record the user may not see, is an
    error on `field` (input, not an address): `message` with the number, or a general one."""
    found = []
    for number in dict.fromkeys(numbers):
        parsed = parse_number(number.strip())
        try:
            if parsed is None or parsed[0].code != kind:
                raise NotFound()
            found.append(parsed[0].get_for_user(user=user, number=parsed[1]))
        except NotFound:
            text = message or _("%(number)s: no record you may see has this number here.")
            raise ValidationError({field: text % {"number": number}}) from None
    return found


class RecordViewSet(
    RecordApprovalsMixin,
    RecordLinksMixin,
    RecordWatchersMixin,
    RecordMacrosMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    GenericViewSet,
):
    """Records of one kind; see the module's description for what a kind declares."""

    kind: str = ""  # the RecordKind code, also the route's basename
    detail_serializer_class = None  # the record in full
    transition_input_serializer_class = TransitionInputSerializer
    filterset_class = RecordFilter  # the kind's list filters (words or a number, unless it has its own)
    pagination_class = CountedCursorPagination  # the list says how many records it holds (capped)
    conditional_reads = ("retrieve", "transitions")
    conditional_writes = ("partial_update", "transitions", "comments", "attachments", "apply_macro")
    lookup_field = "number"
    lookup_value_regex = r"[^/.]+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    # What the kind may override.

    def record_kind(self):
        return record_kind(self.kind)

    def records_for(self, user):
        """The records of this kind the user may list (the kind's policy)."""
        return self.record_kind().policy.visible_to(user)

    def timeline_of(self, record):
        return record_timeline(record=record, user=self.request.user)

    def attachments_of(self, record):
        return record_attachments(record=record, user=self.request.user)

    def comment(self, *, record, **inputs):
        return record_comment(record=record, actor=self.request.user, **inputs)

    def attach(self, *, record, **inputs):
        return record_attach(record=record, actor=self.request.user, **inputs)

    def transition(self, *, record, to, expected_version, **inputs):
        return record_transition(
            record=record, actor=self.request.user, to=to, expected_version=expected_version, **inputs
        )

    def check_transition_inputs(self, request) -> None:
        """Refuse inputs the caller may not give, before they are validated (a kind's rule)."""

    # Reads.

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False) and self.action == "comments":
            # The schema reads the comment filters against the model of the rows this route lists.
            return TimelineEntry.objects.none()
        return self.records_for(self.request.user)

    def get_object(self):
        """The record named in the path, if it is of this kind and the caller may see it; NotFound else."""
        return self.record_from_number(self.kwargs[self.lookup_field])

    def record_from_number(self, number, *, field: str | None = None):
        """The record with `number` (canonicalised) of this viewset's kind, if the caller may see it.

        Raises NotFound, or ValidationError on `field` when the number came in the body.
        """
        parsed = parse_number(number) if isinstance(number, str) else None
        try:
            if parsed is None or parsed[0].code != self.kind:
                raise NotFound()
            return parsed[0].get_for_user(user=self.request.user, number=parsed[1])
        except NotFound:
            if field:
                # A number in the body is input, not the address: a bad one is a field error.
                raise ValidationError({field: _("No record of this kind has this number.")}) from None
            raise

    def can_see_internal(self, record=None) -> bool:
        return self.record_kind().policy.can_see_internal(self.request.user, record)

    def sla_of(self, records) -> dict:
        """The SLA clocks of `records` by record id, read at once; none for who may not see them."""
        if not self.can_see_internal():
            return {}
        return records_sla(records)

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(page if page is not None else queryset)
        context = {**self.get_serializer_context(), "sla": self.sla_of(rows)}
        data = self.get_serializer_class()(rows, many=True, context=context).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def render(self, record, status_code=status.HTTP_200_OK, *, headers=None, fetch=True) -> Response:
        """The record in full, with its ETag: fetched again as the caller sees it, or, with `fetch=False`,
        the row in hand (just read through `get_object`, or just written by a service that read it so
        and kept its related objects) rather than reading it twice."""
        if fetch:
            record = self.record_from_number(record.number)
        context = {
            **self.get_serializer_context(),
            "allowed_transitions": transitions_allowed(record=record, user=self.request.user),
            "sla": self.sla_of([record]),
            "internal": self.can_see_internal(),
        }
        data = self.detail_serializer_class(record, context=context).data
        return with_etag(Response(data, status=status_code, headers=headers), record)

    def retrieve(self, request, *args, **kwargs):
        return not_modified(request, self.render(self.get_object(), fetch=False))

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

    # Sub-resources.

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
        if not self.can_see_internal(record):
            raise PermissionDenied(_("SLA details are for agents."))
        now = timezone.now()
        statuses = records_sla([record], now=now).get(record.pk, [])
        schedules = Schedules()
        ledgers = {s.clock.pk: clock_ledger(s.clock, now=now, schedules=schedules) for s in statuses}
        data = SLAClockLedgerSerializer(statuses, many=True, context={"ledgers": ledgers}).data
        return Response(data)

    def _entries_context(self, record) -> dict:
        return {**self.get_serializer_context(), "record_url": record_api_url(record)}

    def _entries_page(self, record, entries):
        page = self.paginate_queryset(entries)
        rows = shapes.TimelineEntrySerializer(page, many=True, context=self._entries_context(record))
        return self.get_paginated_response(rows.data)

    @extend_schema(
        methods=["GET"],
        summary="Comments (agents also see work notes)",
        responses=shapes.TimelineEntrySerializer(many=True),
        parameters=[NUMBER_PARAMETER],
    )
    @extend_schema(
        methods=["POST"],
        summary="Reply with a public comment or an internal work note, with files (multipart)",
        request={
            "application/json": shapes.CommentInputSerializer,
            "multipart/form-data": shapes.CommentInputSerializer,
        },
        responses={201: shapes.TimelineEntrySerializer},
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
        record = self.get_object()
        if request.method == "GET":
            entries = self.timeline_of(record).filter(kind__in=COMMENT_KINDS)
            return self._entries_page(record, self.filter_queryset(entries))
        data = shapes.CommentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with locked_if_match(request, record) as record:
            entry = self.comment(
                record=record,
                body=data.validated_data.get("body", ""),
                is_public=data.validated_data["is_public"],
                uploads=data.validated_data.get("files", []),
            )
        entry = self.timeline_of(record).get(pk=entry.pk)
        rows = shapes.TimelineEntrySerializer(entry, context=self._entries_context(record))
        return with_etag(Response(rows.data, status=status.HTTP_201_CREATED), _version_read(record))

    @extend_schema(
        summary="The whole timeline you may see, oldest first",
        responses=shapes.TimelineEntrySerializer(many=True),
        parameters=[NUMBER_PARAMETER],
    )
    @action(detail=True, methods=["get"], pagination_class=TimelinePagination, filter_backends=[])
    def timeline(self, request, number=None):
        record = self.get_object()
        return self._entries_page(record, self.timeline_of(record))

    @extend_schema(
        methods=["GET"],
        summary="The files you may see on the record",
        responses=shapes.AttachmentSerializer(many=True),
        parameters=[NUMBER_PARAMETER],
    )
    @extend_schema(
        methods=["POST"],
        summary="Attach files (multipart `files`; `is_public=false` for internal files, agents only)",
        request={"multipart/form-data": shapes.AttachmentInputSerializer},
        responses={201: shapes.AttachmentSerializer(many=True)},
        parameters=[NUMBER_PARAMETER],
    )
    @action(
        detail=True,
        methods=["get", "post"],
        pagination_class=TimelinePagination,
        filter_backends=[],
        parser_classes=[parsers.MultiPartParser],
    )
    def attachments(self, request, number=None):
        record = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(self.attachments_of(record))
            rows = shapes.AttachmentSerializer(page, many=True, context=self._entries_context(record))
            return self.get_paginated_response(rows.data)
        data = shapes.AttachmentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with locked_if_match(request, record) as record:
            entry = self.attach(
                record=record,
                uploads=data.validated_data["files"],
                is_public=data.validated_data["is_public"],
            )
        files = Attachment.objects.filter(entry=entry).select_related("entry").order_by("id")
        rows = shapes.AttachmentSerializer(files, many=True, context=self._entries_context(record))
        return with_etag(Response(rows.data, status=status.HTTP_201_CREATED), _version_read(record))

    @extend_schema(
        summary="Download a file",
        responses={
            (200, "*/*"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file, as a download, with its stored media type."
            )
        },
        parameters=[NUMBER_PARAMETER],
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<attachment_id>\d+)",
        filter_backends=[],
        pagination_class=None,
    )
    def attachment(self, request, number=None, attachment_id=None):
        """One file of the record's timeline the caller may see; 404 for any other."""
        record = self.get_object()
        attachment = self.attachments_of(record).filter(pk=int(attachment_id)).first()
        if attachment is None:
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
        responses=shapes.TransitionsSerializer,
        parameters=[NUMBER_PARAMETER],
    )
    @extend_schema(
        methods=["POST"],
        summary="Fire a transition: `to` a status, with the inputs it requires",
        request=TRANSITION_INPUT,
        responses={
            200: RECORD_DETAIL,
            409: OpenApiResponse(
                shapes.TransitionConflictSerializer,
                description="`invalid_transition`: none leads there from the current status (or its "
                "guard refuses it); `allowed` lists the statuses that can be reached. A kind may refuse "
                "with a code of its own (a requester's reopen after the window: `reopen_window_passed`).",
            ),
        },
        parameters=[NUMBER_PARAMETER],
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def transitions(self, request, number=None):
        record = self.get_object()
        if request.method == "GET":
            allowed = transitions_allowed(record=record, user=request.user)
            return not_modified(
                request, with_etag(Response({"status": record.status, "allowed": allowed}), record)
            )
        self.check_transition_inputs(request)
        data = self.transition_input_serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        inputs = dict(data.validated_data)
        to = inputs.pop("to")
        record = self.transition(
            record=record, to=to, expected_version=expected_version(request, record), **inputs
        )
        return self.render(record, fetch=False)
