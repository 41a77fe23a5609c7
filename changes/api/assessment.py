"""Shapes and resources of the change's assessment in the API: the risk questionnaire
(`/api/v1/risk-questions/`), the answers a change manager posts (`…/changes/{number}/assess/`) and the
impact a change has (`…/changes/{number}/impact/`)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import mixins, serializers

from servicedesk.api.base import GenericViewSet
from servicedesk.api.serializers import GroupSummarySerializer, UserSummarySerializer

from ..models import RiskQuestion
from ..permissions import ChangePolicy


class RiskQuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = RiskQuestion
        fields = ["id", "text", "help_text", "weight", "order"]


class ChangeAssessInputSerializer(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.BooleanField(),
        help_text=_("Every active risk question's id with true (yes) or false (no)."),
    )


class ImpactedCISerializer(serializers.Serializer):
    id = serializers.IntegerField(source="ci.pk")
    name = serializers.CharField(source="ci.name")
    owner = UserSummarySerializer(allow_null=True)
    support_group = GroupSummarySerializer(allow_null=True)
    depth = serializers.IntegerField(
        help_text=_("Steps from the affected CIs; 0 for those the change names.")
    )
    named = serializers.BooleanField(help_text=_("One of the services the change names itself."))


class ChangeImpactSerializer(serializers.Serializer):
    """What a change's affected CIs take down (the CMDB's impact, up), with the owners."""

    services = ImpactedCISerializer(many=True)
    cis = ImpactedCISerializer(many=True)
    truncated = serializers.BooleanField(help_text=_("The walk stopped at its limit: more may be hit."))


class RiskQuestionViewSet(mixins.ListModelMixin, GenericViewSet):
    """The active risk questions a change's assessment answers, in order; for who sees changes."""

    serializer_class = RiskQuestionSerializer
    ordering = ("order", "id")
    filterset_class = None

    def get_queryset(self):
        if not ChangePolicy.sees_all(self.request.user):
            return RiskQuestion.objects.none()
        return RiskQuestion.objects.filter(is_active=True)
