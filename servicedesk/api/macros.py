"""`/api/v1/macros/`: canned responses, as `servicedesk.permissions.MacroPolicy` lets each agent keep
them (personal, a group's, global); and `…/{number}/apply-macro/` on every record kind's resource.

A macro is listed to an agent who may use it or manage it; only who manages it changes or deletes it
(another agent's personal macro is a 404). Applying one answers the record in full with its ETag and
honours If-Match (412 on a stale copy); an illegal transition is the usual 409, and nothing is applied.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from servicedesk.models import Macro, SupportGroup
from servicedesk.permissions import MacroPolicy
from servicedesk.services.macros import (
    macro_apply,
    macro_create,
    macro_delete,
    macro_get_for_user,
    macro_update,
)

from .base import GenericViewSet
from .conditional import expected_version
from .records_serializers import TransitionConflictSerializer
from .schema import RECORD_DETAIL, error_responses_for
from .serializers import UserSummarySerializer

PERSONAL, GROUP, GLOBAL = "personal", "group", "global"
SCOPES = [(PERSONAL, "personal"), (GROUP, "group"), (GLOBAL, "global")]


class IsMacroAgent(BasePermission):
    """Macros are for agents (of any kind of record)."""

    def has_permission(self, request, view):
        return MacroPolicy.is_agent(request.user)


class MacroGroupSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class MacroSerializer(serializers.ModelSerializer):
    scope = serializers.SerializerMethodField(help_text=gettext_lazy("personal, group or global."))
    owner = UserSummarySerializer(allow_null=True, read_only=True)
    group = MacroGroupSerializer(allow_null=True, read_only=True)
    changes = serializers.DictField(
        help_text=gettext_lazy('Field name to value, e.g. {"status": "on_hold", "hold_reason": "requester"}.')
    )
    kinds = serializers.ListField(child=serializers.CharField(), help_text=gettext_lazy("Empty: every kind."))

    class Meta:
        model = Macro
        fields = [
            "id",
            "name",
            "body",
            "is_public",
            "scope",
            "owner",
            "group",
            "kinds",
            "changes",
            "is_active",
            "updated_at",
        ]

    def get_scope(self, macro) -> str:
        return PERSONAL if macro.owner_id else GROUP if macro.group_id else GLOBAL


class MacroInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    body = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    is_public = serializers.BooleanField(required=False, default=True)
    scope = serializers.ChoiceField(choices=SCOPES, required=False, default=PERSONAL)
    group = serializers.IntegerField(
        required=False, allow_null=True, help_text=gettext_lazy("The support group, for scope group.")
    )
    kinds = serializers.ListField(child=serializers.CharField(max_length=50), required=False, default=list)
    changes = serializers.DictField(required=False, default=dict)
    is_active = serializers.BooleanField(required=False, default=True)


class MacroUpdateInputSerializer(MacroInputSerializer):
    name = serializers.CharField(max_length=150, required=False)
    is_public = serializers.BooleanField(required=False)
    scope = serializers.ChoiceField(choices=SCOPES, required=False)
    kinds = serializers.ListField(child=serializers.CharField(max_length=50), required=False)
    changes = serializers.DictField(required=False)
    is_active = serializers.BooleanField(required=False)


class MacroApplyInputSerializer(serializers.Serializer):
    macro = serializers.IntegerField(help_text=gettext_lazy("The macro's id."))
    body = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=20_000,
        help_text=gettext_lazy("The text to add instead of the macro's own (placeholders filled in)."),
    )


def _scope_values(user, data: dict, current: Macro | None = None) -> dict:
    """owner and group from `scope` (and `group`): the service checks who may keep which."""
    scope = data.pop("scope", None)
    group_id = data.pop("group", None)
    if scope is None:
        return data
    group = None
    if scope == GROUP:
        group = SupportGroup.objects.filter(pk=group_id).first() if group_id else None
        if group is None:
            raise ValidationError({"group": _("Choose an existing support group.")})
    owner = (
        (current.owner if current is not None and current.owner_id else user) if scope == PERSONAL else None
    )
    return {**data, "owner": owner, "group": group}


class MacroViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, GenericViewSet
):
    """The macros an agent may use or manage."""

    serializer_class = MacroSerializer
    permission_classes = [IsAuthenticated, IsMacroAgent]
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    ordering = "name"

    def get_queryset(self):
        user = self.request.user
        ids = MacroPolicy.usable_by(user).values("pk").union(MacroPolicy.manageable_by(user).values("pk"))
        return Macro.objects.filter(pk__in=ids).select_related("owner", "group").order_by("name", "id")

    @extend_schema(
        summary="Keep a macro (personal; a group's for its manager; global for macro administrators)",
        request=MacroInputSerializer,
        responses={201: MacroSerializer, **error_responses_for("403")},
    )
    def create(self, request, *args, **kwargs):
        data = MacroInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        macro = macro_create(actor=request.user, **_scope_values(request.user, dict(data.validated_data)))
        return Response(MacroSerializer(macro).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a macro you manage", request=MacroUpdateInputSerializer, responses=MacroSerializer
    )
    def partial_update(self, request, *args, **kwargs):
        macro = macro_get_for_user(user=request.user, pk=kwargs["pk"], manage=True)
        data = MacroUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        macro = macro_update(
            macro=macro, actor=request.user, **_scope_values(request.user, dict(data.validated_data), macro)
        )
        return Response(MacroSerializer(macro_get_for_user(user=request.user, pk=macro.pk, manage=True)).data)

    @extend_schema(summary="Delete a macro you manage", responses={204: None})
    def destroy(self, request, *args, **kwargs):
        macro = macro_get_for_user(user=request.user, pk=kwargs["pk"], manage=True)
        macro_delete(macro=macro, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RecordMacrosMixin:
    """`…/{number}/apply-macro/` of a record viewset (needs its `get_object()` and `render()`)."""

    @extend_schema(
        summary="Apply a macro: its text as a comment or work note, and its field changes",
        request=MacroApplyInputSerializer,
        responses={
            200: RECORD_DETAIL,
            **error_responses_for("412"),
            409: OpenApiResponse(
                TransitionConflictSerializer,
                description="`invalid_transition`: the macro's status cannot be reached now (`allowed` lists "
                "where the record can go); `macro_not_for_kind`: the macro is for other kinds. Nothing is "
                "applied.",
            ),
        },
        parameters=[
            OpenApiParameter(
                name="number",
                type=OpenApiTypes.STR,
                location=OpenApiParameter.PATH,
                description="The record's number, such as INC0000001 (any case; zero padding optional).",
            )
        ],
    )
    @action(detail=True, methods=["post"], url_path="apply-macro", filter_backends=[], pagination_class=None)
    def apply_macro(self, request, number=None):
        record = self.get_object()
        data = MacroApplyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        macro = macro_get_for_user(user=request.user, pk=data.validated_data["macro"])
        record = macro_apply(
            macro=macro,
            record=record,
            actor=request.user,
            body=data.validated_data.get("body"),
            expected_version=expected_version(request, record),
        )
        return self.render(record)
