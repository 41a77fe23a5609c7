"""`GET /api/v1/cis/{id}/impact`: what a CI's failure hits, or what it depends on."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from cmdb.impact import DEFAULT_DEPTH, DIRECTIONS, UP, ci_impact, max_depth_allowed
from cmdb.selectors import ci_get_for_user
from servicedesk.api.base import APIView


class _RenameClassMixin:
    # Expose the `class_` field as `class` (a Python keyword), keeping the field order.
    def get_fields(self):
        return {("class" if name == "class_" else name): f for name, f in super().get_fields().items()}


class ImpactQueryInputSerializer(serializers.Serializer):
    direction = serializers.ChoiceField(
        choices=[(d, d) for d in DIRECTIONS],
        default=UP,
        help_text=_("`up`: what a failure of the CI hits; `down`: what the CI depends on."),
    )
    depth = serializers.IntegerField(
        min_value=1,
        default=DEFAULT_DEPTH,
        help_text=_(
            "How many steps to follow, up to the site's limit (`ITSM_IMPACT_MAX_DEPTH`, 10 by default)."
        ),
    )

    def validate_depth(self, value):
        # The setting is read per request, never at import.
        deepest = max_depth_allowed()
        if value > deepest:
            self.fields["depth"].fail("max_value", max_value=deepest)
        return value


class ImpactCISerializer(_RenameClassMixin, serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    class_ = serializers.CharField(source="ci_class.code", help_text=_("The CI's class code."))


class ImpactNodeSerializer(_RenameClassMixin, serializers.Serializer):
    id = serializers.IntegerField(source="ci.pk")
    name = serializers.CharField(source="ci.name")
    class_ = serializers.CharField(source="ci.ci_class.code", help_text=_("The CI's class code."))
    status = serializers.CharField(source="ci.status")
    depth = serializers.IntegerField(help_text=_("Steps from the start CI on a shortest path."))
    path = serializers.ListField(
        child=serializers.IntegerField(), help_text=_("CI ids from the start CI to this one.")
    )
    via = serializers.ListField(
        child=serializers.CharField(), help_text=_("Relationship names along the path, as read walking it.")
    )
    is_service = serializers.BooleanField()


class CIImpactSerializer(serializers.Serializer):
    ci = ImpactCISerializer()
    direction = serializers.ChoiceField(choices=[(d, d) for d in DIRECTIONS])
    depth = serializers.IntegerField()
    results = ImpactNodeSerializer(many=True)
    truncated = serializers.BooleanField(
        help_text=_("True when the analysis stopped at `limit` CIs while more were within the depth.")
    )
    limit = serializers.IntegerField(help_text=_("How many CIs an analysis reaches at most."))


class CIImpactView(APIView):
    """The CIs a CI's failure hits (`up`) or that it depends on (`down`), business services first.

    At most `ITSM_IMPACT_MAX_CIS` CIs: past them the answer says `truncated`."""

    @extend_schema(
        summary="Impact analysis of a CI",
        parameters=[
            ImpactQueryInputSerializer,
            OpenApiParameter("id", int, OpenApiParameter.PATH, description="The CI's id."),
        ],
        responses=CIImpactSerializer,
    )
    def get(self, request, pk):
        ci = ci_get_for_user(user=request.user, pk=pk)
        # A plain dict: from a QueryDict, DRF would read `direction=` (empty) as "not sent", and a
        # parameter sent twice as its last value; a list here is refused as a value.
        params = {name: v[0] if len(v) == 1 else v for name, v in request.query_params.lists()}
        query = ImpactQueryInputSerializer(data=params)
        query.is_valid(raise_exception=True)
        direction, depth = query.validated_data["direction"], query.validated_data["depth"]
        nodes = ci_impact(ci=ci, direction=direction, max_depth=depth)
        body = {
            "ci": ci,
            "direction": direction,
            "depth": depth,
            "results": nodes,
            "truncated": nodes.truncated,
            "limit": nodes.limit,
        }
        return Response(CIImpactSerializer(body).data)
