"""The catalogue of standard changes (`/api/v1/standard-changes/`): read by whoever sees changes (a
pipeline picks its template here), kept by change managers with ETag and If-Match. Others see none."""

import django_filters
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.response import Response

from cmdb.selectors import business_service_list
from servicedesk.api.base import GenericViewSet
from servicedesk.api.conditional import expected_version, not_modified, with_etag
from servicedesk.api.filters import BooleanFilter, FilterSet, WordsFilter
from servicedesk.errors import NotFound, PermissionDenied

from ..models import StandardChange
from ..permissions import ChangePolicy
from ..selectors import standard_change_list
from ..services.catalogue import standard_change_create, standard_change_update
from . import serializers

STANDARD_CHANGE_ID = OpenApiParameter(
    name="id", type=OpenApiTypes.INT, location=OpenApiParameter.PATH, description="The standard change's id."
)


class StandardChangeFilter(FilterSet):
    q = WordsFilter(search_fields=("name", "description"))
    service = django_filters.ModelChoiceFilter(
        field_name="services", queryset=business_service_list(), label=gettext_lazy("Service")
    )
    is_active = BooleanFilter(label=gettext_lazy("Still offered (change managers also see retired ones)"))

    class Meta:
        model = StandardChange
        fields = ["q", "service", "is_active", "risk_level"]

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        return queryset.distinct() if self.form.cleaned_data.get("service") is not None else queryset


def standard_changes_for(user):
    """What `user` reads of the catalogue: change managers all of it, who sees changes what is offered,
    anyone else nothing."""
    if ChangePolicy.can_manage_catalogue(user):
        return standard_change_list(active_only=False)
    if ChangePolicy.sees_all(user):
        return standard_change_list()
    return StandardChange.objects.none()


@extend_schema_view(
    list=extend_schema(summary="The standard changes of the catalogue, by name"),
    retrieve=extend_schema(summary="One standard change, with its ETag", parameters=[STANDARD_CHANGE_ID]),
    create=extend_schema(
        summary="Add a standard change to the catalogue (change managers)",
        request=serializers.StandardChangeInputSerializer,
        responses={201: serializers.StandardChangeSerializer},
    ),
    partial_update=extend_schema(
        summary="Change a standard change; only the fields sent (change managers)",
        request=serializers.StandardChangeUpdateInputSerializer,
        responses={200: serializers.StandardChangeSerializer},
        parameters=[STANDARD_CHANGE_ID],
    ),
)
class StandardChangeViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, GenericViewSet
):
    """Pre-approved changes: plans and risk fixed once; a change raised from one needs no CAB."""

    serializer_class = serializers.StandardChangeSerializer
    filterset_class = StandardChangeFilter
    ordering = ("name", "id")
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "patch", "head", "options"]
    conditional_reads = ("retrieve",)
    conditional_writes = ("partial_update",)

    def get_queryset(self):
        return standard_changes_for(self.request.user)

    def get_object(self):
        """The standard change with the id in the path, if the caller may read it; NotFound otherwise."""
        found = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if found is None:
            raise NotFound()
        return found

    def _answer(self, standard, status_code=status.HTTP_200_OK) -> Response:
        standard = standard_change_list(active_only=False).get(pk=standard.pk)
        data = serializers.StandardChangeSerializer(standard, context=self.get_serializer_context()).data
        return with_etag(Response(data, status=status_code), standard)

    def retrieve(self, request, *args, **kwargs):
        return not_modified(request, self._answer(self.get_object()))

    def _require_manager(self) -> None:
        # Before the input is read: whether the ids in it exist is no answer for who may not write.
        if not ChangePolicy.can_manage_catalogue(self.request.user):
            raise PermissionDenied(_("Only change managers keep the catalogue of standard changes."))

    def create(self, request, *args, **kwargs):
        self._require_manager()
        data = serializers.StandardChangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        standard = standard_change_create(actor=request.user, **data.validated_data)
        response = self._answer(standard, status.HTTP_201_CREATED)
        response["Location"] = reverse("standard-change-detail", kwargs={"pk": standard.pk}).rstrip("/") + "/"
        return response

    def partial_update(self, request, *args, **kwargs):
        standard = self.get_object()
        self._require_manager()
        data = serializers.StandardChangeUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        standard = standard_change_update(
            actor=request.user,
            standard=standard,
            expected_version=expected_version(request, standard),
            **data.validated_data,
        )
        return self._answer(standard)
