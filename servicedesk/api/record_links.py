"""`…/{number}/links/`: a record's links to other records, by the link types apps register
(`servicedesk.records.links`), for every kind's record viewset (`RecordViewSet` includes it)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from servicedesk.errors import NotFound
from servicedesk.kinds import kind_of, record_get_for_user
from servicedesk.records.linking import link_resolve, record_link, record_unlink
from servicedesk.records.links import DIRECTIONS, link_types_for
from servicedesk.records.selectors import record_links

from .schema import ErrorSerializer
from .serializers import UserSummarySerializer

_NUMBER = OpenApiParameter(
    name="number",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.PATH,
    description="The record's number, such as INC0000001 (any case; zero padding optional).",
)
_CONFLICT = OpenApiResponse(
    ErrorSerializer,
    description="`link_exists`: the records are linked by this type already (either way); `link_limit`: "
    "a record that takes one link of this type has it; `link_refused`: the type's own rule refuses it.",
)


class RecordLinkSerializer(serializers.Serializer):
    """A link as the record reads it, with the record at its other end."""

    type = serializers.CharField(source="link_type.code", help_text=gettext_lazy("The link type's code."))
    direction = serializers.ChoiceField(
        choices=DIRECTIONS, help_text=gettext_lazy("outgoing: this record is the link's source.")
    )
    label = serializers.CharField(help_text=gettext_lazy("How this record reads the other one."))
    kind = serializers.CharField(source="kind.code", help_text=gettext_lazy("The other record's kind."))
    number = serializers.CharField(source="record.number")
    title = serializers.CharField(source="record.title")
    status = serializers.CharField(source="record.status")
    url = serializers.CharField(help_text=gettext_lazy("The other record's page."))
    created_at = serializers.DateTimeField()
    created_by = UserSummarySerializer(allow_null=True)


class RecordLinkInputSerializer(serializers.Serializer):
    type = serializers.CharField(max_length=50, help_text=gettext_lazy("The link type's code."))
    number = serializers.CharField(max_length=30, help_text=gettext_lazy("The other record's number."))
    direction = serializers.ChoiceField(
        choices=DIRECTIONS,
        required=False,
        help_text=gettext_lazy(
            "outgoing: this record is the source. Needed only for a type within one kind; "
            "by default the first side this record may take."
        ),
    )


class RecordLinksMixin:
    """The `links` sub-resource of a record viewset (needs its `get_object()`)."""

    @extend_schema(
        methods=["GET"],
        summary="The record's links to records you may see",
        responses=RecordLinkSerializer(many=True),
        parameters=[
            _NUMBER,
            OpenApiParameter(
                name="type",
                type=OpenApiTypes.STR,
                location=OpenApiParameter.QUERY,
                required=False,
                allow_blank=True,
                description="Only the links of this type (its code).",
            ),
        ],
    )
    @extend_schema(
        methods=["POST"],
        summary="Link the record to another, by its number",
        request=RecordLinkInputSerializer,
        responses={201: RecordLinkSerializer, 409: _CONFLICT},
        parameters=[_NUMBER],
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def links(self, request, number=None):
        record = self.get_object()
        if request.method == "GET":
            code = request.query_params.get("type", "")
            if code and code not in {t.code for t, _d in link_types_for(kind_of(record).code)}:
                raise ValidationError({"type": _("This record takes no link of this type.")})
            rows = record_links(record=record, user=request.user, types=[code] if code else None)
            return Response(RecordLinkSerializer(rows, many=True).data)
        data = RecordLinkInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        link_type, source, target = link_resolve(
            record=record,
            user=request.user,
            type_code=data.validated_data["type"],
            number=data.validated_data["number"],
            direction=data.validated_data.get("direction", ""),
        )
        record_link(actor=request.user, link_type=link_type.code, source=source, target=target)
        other = target if source is record else source
        rows = record_links(record=record, user=request.user, types=[link_type.code])
        row = next(row for row in rows if row.record.pk == other.pk and type(row.record) is type(other))
        return Response(RecordLinkSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Unlink the record from another",
        responses={204: None},
        parameters=[
            _NUMBER,
            OpenApiParameter(
                name="link_type",
                type=OpenApiTypes.STR,
                location=OpenApiParameter.PATH,
                description="Its code.",
            ),
            OpenApiParameter(
                name="other",
                type=OpenApiTypes.STR,
                location=OpenApiParameter.PATH,
                description="The other record's number.",
            ),
        ],
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"links/(?P<link_type>[^/.]+)/(?P<other>[^/.]+)",
        filter_backends=[],
        pagination_class=None,
    )
    def unlink(self, request, number=None, link_type=None, other=None):
        """404 for a record you may not see, a type this record does not take, or no such link."""
        record = self.get_object()
        if link_type not in {t.code for t, _d in link_types_for(kind_of(record).code)}:
            raise NotFound()
        other_record = record_get_for_user(user=request.user, number=other)
        record_unlink(actor=request.user, link_type=link_type, record=record, other=other_record)
        return Response(status=status.HTTP_204_NO_CONTENT)
