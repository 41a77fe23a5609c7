"""The foundation's API: people, organisations, support groups, tokens, audit. Views call services."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from servicedesk import selectors
from servicedesk.errors import NotFound, PermissionDenied
from servicedesk.models import ApiToken
from servicedesk.permissions import OrganisationPolicy, SupportGroupPolicy, UserPolicy
from servicedesk.services.people import (
    organisation_create,
    organisation_update,
    support_group_add_member,
    support_group_create,
    support_group_remove_member,
    support_group_update,
    user_create,
    user_profile_update,
    user_update,
)
from servicedesk.services.tokens import api_token_create, api_token_revoke

from . import filters, serializers
from .base import APIView, ConditionalRetrieveMixin, GenericViewSet, ReadOnlyModelViewSet
from .conditional import expected_version, not_modified, with_etag
from .permissions import has_perm


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied()


class MeView(APIView):
    """The signed-in user's own profile."""

    conditional_reads = ("get",)
    conditional_writes = ("patch",)

    @extend_schema(responses=serializers.MeSerializer)
    def get(self, request):
        return not_modified(request, self._render(request))

    @extend_schema(request=serializers.ProfileInputSerializer, responses=serializers.MeSerializer)
    def patch(self, request):
        data = serializers.ProfileInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user_profile_update(
            user=request.user,
            expected_version=expected_version(request, request.user),
            **data.validated_data,
        )
        return self._render(request)

    def _render(self, request):
        me = selectors.user_get_for_user(user=request.user, pk=request.user.pk)
        return with_etag(Response(serializers.MeSerializer(me).data), me)


@extend_schema_view(
    list=extend_schema(summary="List your API tokens"),
    create=extend_schema(
        summary="Create an API token",
        request=serializers.ApiTokenCreateInputSerializer,
        responses={201: serializers.ApiTokenCreatedSerializer},
    ),
    destroy=extend_schema(summary="Revoke an API token", responses={204: OpenApiResponse()}),
)
class ApiTokenViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, GenericViewSet
):
    queryset = ApiToken.objects.none()
    serializer_class = serializers.ApiTokenSerializer
    throttle_scope = "tokens"
    lookup_value_regex = r"\d+"
    # A retried create answers the token without its key (it is shown once): revoke it if the key is lost.
    idempotency_redacted = ("key",)

    def get_queryset(self):
        return selectors.api_token_list(user=self.request.user)

    def get_object(self):
        return selectors.api_token_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def create(self, request, *args, **kwargs):
        data = serializers.ApiTokenCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token, key = api_token_create(user=request.user, actor=request.user, **data.validated_data)
        token.key = key
        return Response(serializers.ApiTokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        api_token_revoke(token=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    create=extend_schema(
        request=serializers.UserCreateInputSerializer, responses={201: serializers.UserSerializer}
    ),
    partial_update=extend_schema(
        request=serializers.UserInputSerializer, responses=serializers.UserSerializer
    ),
)
class UserViewSet(
    ConditionalRetrieveMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    GenericViewSet,
):
    """People. Agents list and search everyone; anyone else sees only themselves."""

    serializer_class = serializers.UserSerializer
    filterset_class = filters.UserFilter
    ordering = "username"
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.user_list_for_user(user=self.request.user)

    def get_object(self):
        return selectors.user_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def create(self, request, *args, **kwargs):
        _require(UserPolicy.can_create(request.user))
        data = serializers.UserCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_create(actor=request.user, **data.validated_data)
        return self._render(user, status.HTTP_201_CREATED)

    def _render(self, user, status_code=status.HTTP_200_OK):
        user = selectors.user_get_for_user(user=self.request.user, pk=user.pk)
        return with_etag(Response(serializers.UserSerializer(user).data, status=status_code), user)

    def partial_update(self, request, *args, **kwargs):
        user = self.get_object()
        _require(UserPolicy.can_change(request.user, user))
        data = serializers.UserInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = user_update(
            user=user,
            actor=request.user,
            expected_version=expected_version(request, user),
            **data.validated_data,
        )
        return self._render(user)


@extend_schema_view(
    create=extend_schema(
        request=serializers.OrganisationInputSerializer, responses={201: serializers.OrganisationSerializer}
    ),
    partial_update=extend_schema(
        request=serializers.OrganisationInputSerializer, responses=serializers.OrganisationSerializer
    ),
)
class OrganisationViewSet(
    ConditionalRetrieveMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    GenericViewSet,
):
    """Customer organisations. Agents see all; a requester sees their own."""

    serializer_class = serializers.OrganisationSerializer
    filterset_class = filters.OrganisationFilter
    ordering = "name"
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.organisation_list_for_user(user=self.request.user)

    def get_object(self):
        return selectors.organisation_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def create(self, request, *args, **kwargs):
        _require(OrganisationPolicy.can_create(request.user))
        data = serializers.OrganisationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organisation = organisation_create(actor=request.user, **data.validated_data)
        return self._render(organisation, status.HTTP_201_CREATED)

    def _render(self, organisation, status_code=status.HTTP_200_OK):
        data = serializers.OrganisationSerializer(organisation).data
        return with_etag(Response(data, status=status_code), organisation)

    def partial_update(self, request, *args, **kwargs):
        organisation = self.get_object()
        _require(OrganisationPolicy.can_change(request.user, organisation))
        data = serializers.OrganisationInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        organisation = organisation_update(
            organisation=organisation,
            actor=request.user,
            expected_version=expected_version(request, organisation),
            **data.validated_data,
        )
        return self._render(organisation)


@extend_schema_view(
    create=extend_schema(
        request=serializers.SupportGroupCreateInputSerializer,
        responses={201: serializers.SupportGroupSerializer},
    ),
    partial_update=extend_schema(
        request=serializers.SupportGroupInputSerializer, responses=serializers.SupportGroupSerializer
    ),
)
class SupportGroupViewSet(
    ConditionalRetrieveMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    GenericViewSet,
):
    """Support groups with their members. Agents see all; others the groups they belong to."""

    conditional_writes = ("partial_update", "add_member", "remove_member")

    serializer_class = serializers.SupportGroupSerializer
    filterset_class = filters.SupportGroupFilter
    ordering = "name"
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.support_group_list_for_user(user=self.request.user)

    def get_object(self):
        return selectors.support_group_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def _render(self, group, status_code=status.HTTP_200_OK):
        group = selectors.support_group_get_for_user(user=self.request.user, pk=group.pk)
        return with_etag(Response(serializers.SupportGroupSerializer(group).data, status=status_code), group)

    def create(self, request, *args, **kwargs):
        _require(SupportGroupPolicy.can_create(request.user))
        data = serializers.SupportGroupCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        group = support_group_create(actor=request.user, **data.validated_data)
        return self._render(group, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        group = self.get_object()
        _require(SupportGroupPolicy.can_change(request.user, group))
        data = serializers.SupportGroupInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        support_group_update(
            group=group,
            actor=request.user,
            expected_version=expected_version(request, group),
            **data.validated_data,
        )
        return self._render(group)

    @extend_schema(
        summary="Add a member",
        request=serializers.SupportGroupMemberInputSerializer,
        responses=serializers.SupportGroupSerializer,
    )
    @action(detail=True, methods=["post"], url_path="members")
    def add_member(self, request, pk=None):
        group = self.get_object()
        _require(SupportGroupPolicy.can_manage_members(request.user, group))
        data = serializers.SupportGroupMemberInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        support_group_add_member(
            group=group,
            actor=request.user,
            user=data.validated_data["user"],
            expected_version=expected_version(request, group),
        )
        return self._render(group)

    @extend_schema(
        summary="Remove a member", request=None, responses={200: serializers.SupportGroupSerializer}
    )
    @action(detail=True, methods=["delete"], url_path=r"members/(?P<user_id>\d+)")
    def remove_member(self, request, pk=None, user_id=None):
        group = self.get_object()
        _require(SupportGroupPolicy.can_manage_members(request.user, group))
        member = group.members.filter(pk=user_id).first()
        if member is None:
            raise NotFound(_("This person is not a member of the group."), code="not_a_member")
        support_group_remove_member(
            group=group, actor=request.user, user=member, expected_version=expected_version(request, group)
        )
        return self._render(group)


class AuditEventViewSet(ReadOnlyModelViewSet):
    """The audit trail, read-only; for administrators."""

    serializer_class = serializers.AuditEventSerializer
    filterset_class = filters.AuditEventFilter
    ordering = "-id"
    lookup_value_regex = r"\d+"
    permission_classes = [IsAuthenticated, has_perm("servicedesk.view_auditevent")]

    def get_queryset(self):
        return selectors.audit_event_list_for_user(user=self.request.user)
