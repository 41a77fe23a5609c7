"""What incidents and requests add to the kernel's record API: parent, merge, major incident, rating.

Every route first fetches the record through `get_object()` (404 for what the caller may not see), then
calls one service. Writes answer the record in full with its ETag and honour If-Match; every POST honours
`Idempotency-Key` (`servicedesk.api.base`).
"""

from rest_framework.decorators import action

from servicedesk.api.conditional import locked_if_match
from servicedesk.api.records import record_writes
from servicedesk.api.schema import error_responses_for

from .. import services
from . import serializers


class IncidentActionsMixin:
    """Sub-resources of incidents and requests on top of the kernel's (`servicedesk.api.records`)."""

    @record_writes("Make the record a child of another, or detach it", serializers.ParentInputSerializer)
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

    @record_writes(
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

    @record_writes("Declare a major incident, or stand it down", serializers.MajorInputSerializer)
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

    @record_writes(
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
