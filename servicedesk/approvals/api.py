"""The approvals API: `/api/v1/approvals/` (what the caller may decide), one request, its decision; and
`RecordApprovalsMixin`, the `…/{number}/approvals/` sub-resource a kind's record viewset adds."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from servicedesk.api.base import GenericViewSet
from servicedesk.api.schema import error_responses_for
from servicedesk.api.serializers import GroupSummarySerializer, UserSummarySerializer
from servicedesk.kinds import kind_of
from servicedesk.models import ApprovalDecision, ApprovalRequest

from .selectors import (
    Standing,
    approval_get_for_user,
    approvals_for_record,
    approvals_pending_for_user,
    vote_for,
    with_records,
)
from .services import approval_decide


class ApprovalRecordSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text=_("The record's kind: incident, request…"))
    number = serializers.CharField()
    title = serializers.CharField()


class ApprovalDecisionSerializer(serializers.Serializer):
    approver = UserSummarySerializer(help_text=_("Who decided."))
    on_behalf_of = UserSummarySerializer(allow_null=True, help_text=_("The approver who delegated to them."))
    group = GroupSummarySerializer(allow_null=True, help_text=_("The group they decided for."))
    decision = serializers.ChoiceField(choices=ApprovalDecision.Decision.choices)
    comment = serializers.CharField()
    decided_at = serializers.DateTimeField()


class ApprovalSerializer(serializers.Serializer):
    """One approval request. `can_decide`: whether the caller may approve or reject it now."""

    id = serializers.IntegerField()
    record = serializers.SerializerMethodField()
    title = serializers.CharField()
    reason = serializers.CharField()
    rule = serializers.ChoiceField(choices=ApprovalRequest.Rule.choices)
    status = serializers.ChoiceField(choices=ApprovalRequest.Status.choices)
    after_the_fact = serializers.BooleanField()
    due_at = serializers.DateTimeField(allow_null=True)
    approvers = UserSummarySerializer(many=True)
    required_approvers = UserSummarySerializer(many=True)
    groups = GroupSummarySerializer(many=True)
    decisions = ApprovalDecisionSerializer(many=True)
    outcome_note = serializers.CharField()
    created_by = UserSummarySerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    settled_at = serializers.DateTimeField(allow_null=True)
    can_decide = serializers.SerializerMethodField()

    @extend_schema_field(ApprovalRecordSerializer(allow_null=True))
    def get_record(self, approval) -> dict | None:
        record = getattr(approval, "record", None)
        if record is None:
            return None
        try:
            kind = kind_of(record).code
        except LookupError:
            kind = ""
        return {"kind": kind, "number": record.number, "title": record.title}

    def get_can_decide(self, approval) -> bool:
        standing = self.context.get("standing")
        return standing is not None and vote_for(approval, standing) is not None


class ApprovalDecideInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=ApprovalDecision.Decision.choices)
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=5000, help_text=_("Required to reject.")
    )


@extend_schema_view(
    list=extend_schema(
        summary="The pending approvals you may decide (in person, for a group, or as a delegate)"
    ),
    retrieve=extend_schema(summary="One approval you are involved in, with its approvers and decisions"),
)
class ApprovalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    serializer_class = ApprovalSerializer
    ordering = ("id",)
    lookup_value_regex = r"\d+"
    filterset_class = None

    def get_queryset(self):
        return approvals_pending_for_user(user=self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "standing": Standing.of(self.request.user)}

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        data = ApprovalSerializer(with_records(page), many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)

    def retrieve(self, request, *args, **kwargs):
        approval = approval_get_for_user(user=request.user, pk=kwargs["pk"])
        return Response(ApprovalSerializer(approval, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Approve or reject (a comment is required to reject)",
        request=ApprovalDecideInputSerializer,
        responses={200: ApprovalSerializer, **error_responses_for("409")},
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """404 for an approval you are not involved in, 403 when you are not asked to decide it, 409 when
        it is settled or you have already decided."""
        approval = approval_get_for_user(user=request.user, pk=pk)
        data = ApprovalDecideInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        approval_decide(approval=approval, actor=request.user, **data.validated_data)
        approval = approval_get_for_user(user=request.user, pk=pk)
        return Response(ApprovalSerializer(approval, context=self.get_serializer_context()).data)


class RecordApprovalsMixin:
    """`GET …/{number}/approvals/` for a record viewset (needs its `get_object()`): the record's approval
    requests, newest first, for whoever may see the record."""

    @extend_schema(
        summary="The record's approval requests, newest first",
        responses=ApprovalSerializer(many=True),
        parameters=[
            OpenApiParameter(
                name="number",
                type=OpenApiTypes.STR,
                location=OpenApiParameter.PATH,
                description="The record's number, such as INC0000001 (any case; zero padding optional).",
            )
        ],
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def approvals(self, request, number=None):
        record = self.get_object()
        rows = approvals_for_record(record=record)
        context = {**self.get_serializer_context(), "standing": Standing.of(request.user)}
        return Response(ApprovalSerializer(rows, many=True, context=context).data)
