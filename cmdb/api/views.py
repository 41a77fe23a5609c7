"""The CMDB's API: classes, relationship types, CIs and relationships. Views call selectors and services.

Whoever may not view configuration items gets 404 from every CMDB endpoint, lists included (not an
empty page): a requester cannot even learn that the CMDB exists. Agents read; configuration managers
and administrators write; an agent's write is refused with 403.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from cmdb import filters, schemas, selectors
from cmdb.permissions import CMDBPolicy
from cmdb.services.classes import ci_class_create, ci_class_update
from cmdb.services.common import VIA_API
from cmdb.services.items import ci_allowed_transitions, ci_create, ci_transition, ci_update
from cmdb.services.relationships import relationship_create, relationship_delete
from servicedesk.api.base import ConditionalRetrieveMixin, GenericViewSet
from servicedesk.api.conditional import expected_version, not_modified, with_etag
from servicedesk.api.pagination import CursorPagination
from servicedesk.api.schema import AutoSchema, error_responses_for
from servicedesk.errors import NotFound, PermissionDenied

from . import serializers


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied()


class CMDBAutoSchema(AutoSchema):
    """Documents a 404 on every CMDB operation, lists included (see the module's docstring)."""

    def _is_detail(self):
        return True


class CMDBViewSet(GenericViewSet):
    """Answers 404 to anyone authenticated who may not view CIs, before anything else is looked at."""

    lookup_value_regex = r"\d+"
    schema = CMDBAutoSchema()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not CMDBPolicy.can_view(request.user):
            raise NotFound()


def _effective_schemas(user) -> dict[int, dict]:
    """Every visible class's effective schema, from one query (classes are few)."""
    classes = list(selectors.ci_class_list_for_user(user=user))
    by_code = {c.code: c for c in classes}
    return {
        c.pk: schemas.effective_schema(
            c, chain=[by_code[code] for code in c.path.split("/") if code in by_code]
        )
        for c in classes
    }


@extend_schema_view(
    create=extend_schema(
        summary="Create a CI class",
        request=serializers.CIClassInputSerializer,
        responses={201: serializers.CIClassSerializer},
    ),
    partial_update=extend_schema(
        summary="Change a CI class (name, description, schema, parent)",
        request=serializers.CIClassInputSerializer,
        responses=serializers.CIClassSerializer,
    ),
)
class CIClassViewSet(
    ConditionalRetrieveMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    CMDBViewSet,
):
    """CI classes in their hierarchy, each with its own schema fragment and the effective schema."""

    serializer_class = serializers.CIClassSerializer
    filterset_class = filters.CIClassFilter
    ordering = "path"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.ci_class_list_for_user(user=self.request.user)

    def get_object(self):
        return selectors.ci_class_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if getattr(self, "swagger_fake_view", False):
            return context
        return {**context, "effective_schemas": _effective_schemas(self.request.user)}

    def _render(self, ci_class, status_code=status.HTTP_200_OK):
        ci_class = selectors.ci_class_get_for_user(user=self.request.user, pk=ci_class.pk)
        return with_etag(Response(self.get_serializer(ci_class).data, status=status_code), ci_class)

    def create(self, request, *args, **kwargs):
        _require(CMDBPolicy.can_manage_classes(request.user))
        data = serializers.CIClassInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ci_class = ci_class_create(actor=request.user, **data.validated_data)
        return self._render(ci_class, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        ci_class = self.get_object()
        _require(CMDBPolicy.can_manage_classes(request.user))
        data = serializers.CIClassInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        ci_class = ci_class_update(
            ci_class=ci_class,
            actor=request.user,
            expected_version=expected_version(request, ci_class),
            **data.validated_data,
        )
        return self._render(ci_class)


class RelationshipTypeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CMDBViewSet):
    """The kinds of relationship, each named in both directions."""

    serializer_class = serializers.RelationshipTypeSerializer
    ordering = "code"

    def get_queryset(self):
        return selectors.relationship_type_list_for_user(user=self.request.user)

    def get_object(self):
        found = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if found is None:
            raise NotFound()
        return found


class CIHistoryPagination(CursorPagination):
    """A CI's history, newest first, whatever the view's own ordering."""

    def get_ordering(self, request, queryset, view):
        return ("-history_id",)


@extend_schema_view(
    create=extend_schema(
        summary="Create a CI",
        request=serializers.CICreateInputSerializer,
        responses={201: serializers.CISerializer},
    ),
    partial_update=extend_schema(
        summary="Change a CI (not its status: see transitions)",
        request=serializers.CIInputSerializer,
        responses=serializers.CISerializer,
    ),
)
class CIViewSet(
    ConditionalRetrieveMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    CMDBViewSet,
):
    """Configuration items, filtered by class (with its subclasses), status, identifiers and words."""

    conditional_reads = ("retrieve", "transitions")
    conditional_writes = ("partial_update", "transitions")

    serializer_class = serializers.CISerializer
    filterset_class = filters.CIFilter
    ordering = ("name", "id")
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.ci_list_for_user(user=self.request.user)

    def get_object(self):
        return selectors.ci_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def _render(self, ci, status_code=status.HTTP_200_OK):
        ci = selectors.ci_get_for_user(user=self.request.user, pk=ci.pk)
        return with_etag(Response(self.get_serializer(ci).data, status=status_code), ci)

    def create(self, request, *args, **kwargs):
        _require(CMDBPolicy.can_create_ci(request.user))
        data = serializers.CICreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ci = ci_create(actor=request.user, via=VIA_API, **data.validated_data)
        return self._render(ci, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        ci = self.get_object()
        _require(CMDBPolicy.can_change_ci(request.user, ci))
        data = serializers.CIInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        ci = ci_update(
            ci=ci,
            actor=request.user,
            via=VIA_API,
            expected_version=expected_version(request, ci),
            **data.validated_data,
        )
        return self._render(ci)

    @extend_schema(
        methods=["GET"],
        summary="The transitions you may fire on this CI now",
        responses=serializers.CITransitionsSerializer,
    )
    @extend_schema(
        methods=["POST"],
        summary="Move the CI to another status",
        request=serializers.CITransitionInputSerializer,
        responses={200: serializers.CISerializer, **error_responses_for("409")},
    )
    @action(detail=True, methods=["get", "post"], filter_backends=[], pagination_class=None)
    def transitions(self, request, pk=None):
        ci = self.get_object()
        if request.method == "GET":
            allowed = ci_allowed_transitions(ci=ci, user=request.user)
            answer = Response({"status": ci.status, "allowed": allowed})
            return not_modified(request, with_etag(answer, ci))
        _require(CMDBPolicy.can_change_ci(request.user, ci))
        data = serializers.CITransitionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ci = ci_transition(
            ci=ci,
            actor=request.user,
            to=data.validated_data["to"],
            via=VIA_API,
            expected_version=expected_version(request, ci),
        )
        return self._render(ci)

    @extend_schema(
        summary="The CI's relationships both ways, each named as read from this CI",
        responses=serializers.CINeighbourSerializer(many=True),
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def relationships(self, request, pk=None):
        ci = self.get_object()
        outgoing, incoming = selectors.ci_relationships(user=request.user, ci=ci)
        rows = [
            _neighbour(relationship, "outgoing", relationship.type.name, relationship.target)
            for relationship in outgoing
        ] + [
            _neighbour(relationship, "incoming", relationship.type.reverse_name, relationship.source)
            for relationship in incoming
        ]
        return Response(serializers.CINeighbourSerializer(rows, many=True).data)

    @extend_schema(
        summary="The CI's history, newest first: who changed which fields, when, through what",
        responses=serializers.CIHistoryRecordSerializer(many=True),
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=CIHistoryPagination)
    def history(self, request, pk=None):
        ci = self.get_object()
        records = ci.history.select_related("history_user")
        page = self.paginate_queryset(records)
        older = None
        if page:
            older = ci.history.filter(history_id__lt=page[-1].history_id).order_by("-history_id").first()
        for record, previous in zip(page, [*page[1:], older], strict=True):
            record.changes = _changes(record, previous)
        return self.get_paginated_response(serializers.CIHistoryRecordSerializer(page, many=True).data)


def _neighbour(relationship, direction: str, name: str, other) -> dict:
    return {
        "id": relationship.pk,
        "direction": direction,
        "type": relationship.type.code,
        "name": name,
        "ci": other,
        "description": relationship.description,
        "created_at": relationship.created_at,
    }


def _changes(record, previous) -> list[dict]:
    if previous is None:
        return []
    return [
        {"field": change.field, "from": change.old, "to": change.new}
        for change in record.diff_against(previous).changes
    ]


@extend_schema_view(
    create=extend_schema(
        summary="Relate two CIs",
        request=serializers.CIRelationshipInputSerializer,
        responses={201: serializers.CIRelationshipSerializer},
    ),
    destroy=extend_schema(summary="Remove a relationship", responses={204: OpenApiResponse()}),
)
class CIRelationshipViewSet(
    ConditionalRetrieveMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    CMDBViewSet,
):
    """Typed, directed relationships between CIs."""

    serializer_class = serializers.CIRelationshipSerializer
    filterset_class = filters.CIRelationshipFilter
    ordering = "id"

    def get_queryset(self):
        return selectors.relationship_list_for_user(user=self.request.user)

    def get_object(self):
        return selectors.relationship_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def create(self, request, *args, **kwargs):
        _require(CMDBPolicy.can_relate(request.user))
        data = serializers.CIRelationshipInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        relationship = relationship_create(actor=request.user, via=VIA_API, **data.validated_data)
        relationship = selectors.relationship_get_for_user(user=request.user, pk=relationship.pk)
        return with_etag(
            Response(serializers.CIRelationshipSerializer(relationship).data, status=status.HTTP_201_CREATED),
            relationship,
        )

    def destroy(self, request, *args, **kwargs):
        relationship = self.get_object()
        _require(CMDBPolicy.can_unrelate(request.user))
        relationship_delete(
            actor=request.user,
            relationship=relationship,
            via=VIA_API,
            expected_version=expected_version(request, relationship),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
