"""The catalogue, read-only, for everyone signed in: business services, request types, categories and the
priority matrix. What a requester may file against, and how a record's priority follows from its impact and
urgency."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.response import Response

from cmdb.selectors import business_service_list
from servicedesk.api.base import APIView, GenericViewSet
from servicedesk.api.filters import BooleanFilter, FilterSet, WordsFilter
from servicedesk.models import Impact, Priority, Urgency
from servicedesk.services.priority import priority_matrix

from ..models import Category, RequestType
from . import serializers


class RequestTypeFilter(FilterSet):
    q = WordsFilter(search_fields=("name", "description"))

    class Meta:
        model = RequestType
        fields = ["q", "service"]


class CategoryFilter(FilterSet):
    q = WordsFilter(search_fields=("name",))
    top_level = BooleanFilter(field_name="parent", lookup_expr="isnull", label=_("Top-level categories only"))

    class Meta:
        model = Category
        fields = ["q", "parent", "top_level"]


class BusinessServiceFilter(FilterSet):
    q = WordsFilter(search_fields=("name", "description"))


class BusinessServiceViewSet(mixins.ListModelMixin, GenericViewSet):
    """The business services records are filed against (business-service CIs that are not retired)."""

    serializer_class = serializers.BusinessServiceSerializer
    filterset_class = BusinessServiceFilter
    ordering = ("name", "id")

    def get_queryset(self):
        return business_service_list().select_related("support_group")


class RequestTypeViewSet(mixins.ListModelMixin, GenericViewSet):
    """What may be requested, by service; only the types still offered."""

    serializer_class = serializers.RequestTypeSerializer
    filterset_class = RequestTypeFilter
    ordering = ("name", "id")

    def get_queryset(self):
        return RequestType.objects.filter(is_active=True).select_related("service", "support_group")


class CategoryViewSet(mixins.ListModelMixin, GenericViewSet):
    """Active categories and subcategories (a subcategory names its parent)."""

    serializer_class = serializers.CategorySerializer
    filterset_class = CategoryFilter
    ordering = ("name", "id")

    def get_queryset(self):
        return Category.objects.filter(is_active=True).select_related("parent")


class PriorityMatrixView(APIView):
    """Impact x urgency -> priority, all nine cells (the design's default where a cell is not configured)."""

    @extend_schema(summary="The priority matrix", responses=serializers.PriorityCellSerializer(many=True))
    def get(self, request):
        matrix = priority_matrix()
        cells = []
        for impact in Impact:
            for urgency in Urgency:
                priority = matrix[(impact.value, urgency.value)]
                cells.append(
                    {
                        "impact": impact.value,
                        "impact_label": str(impact.label),
                        "urgency": urgency.value,
                        "urgency_label": str(urgency.label),
                        "priority": priority,
                        "priority_label": str(Priority(priority).label),
                    }
                )
        return Response(serializers.PriorityCellSerializer(cells, many=True).data)
