"""The approvals API: `/api/v1/approvals/` (what the caller may decide), one request, its decision, its
delegation and its cancelling; and `RecordApprovalsMixin`, the `…/{number}/approvals/` sub-resource a kind's
record viewset adds (the record's requests, and delegating or cancelling one of them)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from servicedesk.api.base import GenericViewSet
from servicedesk.api.schema import error_responses_for
from servicedesk.api.serializers import GroupSummarySerializer, UserSummarySerializer
from servicedesk.errors import NotFound
from servicedesk.kinds import kind_of
from servicedesk.models import ApprovalDecision, ApprovalRequest, User

from .selectors import (
    Standing,
    approval_get_for_user,
    approvals_for_record,
    approvals_pending_for_user,
    may_cancel_approvals,
    may_delegate,
    vote_for,
    with_records,
)
from .services import approval_cancel, approval_decide, approval_request_delegate


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


class ApprovalDelegationSerializer(serializers.Serializer):
    delegator = UserSummarySerializer(help_text=_("The approver who delegated their decision."))
    delegate = UserSummarySerializer(help_text=_("Who decides in their place."))
    created_at = serializers.DateTimeField()


class ApprovalSerializer(serializers.Serializer):
    """One approval request. `can_decide`: whether the caller may approve or reject it now;
    `can_delegate`: whether they may hand their decision to someone else; `can_cancel`: withdraw it."""

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
    delegations = ApprovalDelegationSerializer(many=True, help_text=_("Decisions handed to someone else."))
    outcome_note = serializers.CharField()
    created_by = UserSummarySerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    settled_at = serializers.DateTimeField(allow_null=True)
    can_decide = serializers.SerializerMethodField()
    can_delegate = serializers.SerializerMethodField()
    can_cancel = serializers.SerializerMethodField()

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

    def get_can_delegate(self, approval) -> bool:
        standing = self.context.get("standing")
        return standing is not None and may_delegate(approval, standing.user)

    def get_can_cancel(self, approval) -> bool:
        return approval.is_pending and bool(self.context.get("may_cancel"))


class ApprovalDecideInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=ApprovalDecision.Decision.choices)
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=5000, help_text=_("Required to reject.")
    )


class ApprovalDelegateInputSerializer(serializers.Serializer):
    delegate = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), help_text=_("The id of the person who decides in your place.")
    )
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=5000, help_text=_("A note for them.")
    )


class ApprovalCancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=5000, help_text=_("Why it is withdrawn.")
    )


def _context(view, request) -> dict:
    return {
        **view.get_serializer_context(),
        "standing": Standing.of(request.user),
        "may_cancel": may_cancel_approvals(request.user),
    }


def _delegate(request, approval) -> None:
    data = ApprovalDelegateInputSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    approval_request_delegate(approval=approval, actor=request.user, **data.validated_data)


def _cancel(request, approval) -> None:
    data = ApprovalCancelInputSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    approval_cancel(approval=approval, actor=request.user, reason=data.validated_data.get("reason", ""))


RECORD_PARAMETERS = [
    OpenApiParameter(
        name="number",
        type=OpenApiTypes.STR,
        location=OpenApiParameter.PATH,
        description="The record's number, such as INC0000001 (any case; zero padding optional).",
    ),
    OpenApiParameter(
        name="approval_id",
        type=OpenApiTypes.INT,
        location=OpenApiParameter.PATH,
        description="The approval request's id.",
    ),
]


def delegate_doc(parameters=()):
    return extend_schema(
        summary="Hand your pending decision to someone else, who then decides in your place",
        description="403 unless you are an approver of the request, 409 when it is settled or your "
        "decision is already given or delegated, 400 for a delegate who is yourself, inactive, already an "
        "approver, or who already answered the request.",
        request=ApprovalDelegateInputSerializer,
        responses={200: ApprovalSerializer, **error_responses_for("409")},
        parameters=list(parameters),
    )


def cancel_doc(parameters=()):
    return extend_schema(
        summary="Withdraw a pending approval request (who may cancel approvals)",
        description="403 without the right to cancel approvals, 409 when it is no longer pending.",
        request=ApprovalCancelInputSerializer,
        responses={200: ApprovalSerializer, **error_responses_for("409")},
        parameters=list(parameters),
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
        return {
            **super().get_serializer_context(),
            "standing": Standing.of(self.request.user),
            "may_cancel": may_cancel_approvals(self.request.user),
        }

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
        return self._answer(pk)

    @delegate_doc()
    @action(detail=True, methods=["post"])
    def delegate(self, request, pk=None):
        """404 for an approval you are not involved in."""
        _delegate(request, approval_get_for_user(user=request.user, pk=pk))
        return self._answer(pk)

    @cancel_doc()
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """404 for an approval you are neither involved in nor may cancel."""
        _cancel(request, approval_get_for_user(user=request.user, pk=pk))
        return self._answer(pk)

    def _answer(self, pk):
        approval = approval_get_for_user(user=self.request.user, pk=pk)
        return Response(ApprovalSerializer(approval, context=self.get_serializer_context()).data)


class RecordApprovalsMixin:
    """`GET …/{number}/approvals/` for a record viewset (needs its `get_object()`): the record's approval
    requests, newest first, for whoever may see the record."""

    @extend_schema(
        summary="The record's approval requests, newest first",
        responses=ApprovalSerializer(many=True),
        parameters=RECORD_PARAMETERS[:1],
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def approvals(self, request, number=None):
        record = self.get_object()
        rows = approvals_for_record(record=record)
        return Response(ApprovalSerializer(rows, many=True, context=_context(self, request)).data)

    def _record_approval(self, approval_id):
        """One of the record's approval requests (404 for the record hidden from the caller, or an id of
        another record's request)."""
        record = self.get_object()
        for approval in approvals_for_record(record=record):
            if approval.pk == int(approval_id):
                return approval
        raise NotFound()

    def _record_answer(self, request, approval_id):
        approval = self._record_approval(approval_id)
        return Response(ApprovalSerializer(approval, context=_context(self, request)).data)

    @delegate_doc(RECORD_PARAMETERS)
    @action(
        detail=True,
        methods=["post"],
        url_path=r"approvals/(?P<approval_id>\d+)/delegate",
        pagination_class=None,
        filterset_class=None,
    )
    def approval_delegate(self, request, number=None, approval_id=None):
        _delegate(request, self._record_approval(approval_id))
        return self._record_answer(request, approval_id)

    @cancel_doc(RECORD_PARAMETERS)
    @action(
        detail=True,
        methods=["post"],
        url_path=r"approvals/(?P<approval_id>\d+)/cancel",
        pagination_class=None,
        filterset_class=None,
    )
    def approval_cancel(self, request, number=None, approval_id=None):
        _cancel(request, self._record_approval(approval_id))
        return self._record_answer(request, approval_id)
