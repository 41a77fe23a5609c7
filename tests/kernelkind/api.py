"""The chore's API: the kernel's record viewset, told its kind and its serializers."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from servicedesk.api.records import RecordViewSet, TransitionInputSerializer
from servicedesk.api.serializers import AllowedTransitionSerializer

from .models import Chore


class ChoreSerializer(serializers.ModelSerializer):
    status = serializers.CharField()  # a plain string in outputs, as every kind's: one enum per input

    class Meta:
        model = Chore
        fields = ["number", "title", "status", "outcome", "checked", "created_at", "version"]


class ChoreDetailSerializer(ChoreSerializer):
    allowed_transitions = serializers.SerializerMethodField()

    class Meta(ChoreSerializer.Meta):
        fields = [*ChoreSerializer.Meta.fields, "allowed_transitions"]

    @extend_schema_field(AllowedTransitionSerializer(many=True))
    def get_allowed_transitions(self, chore) -> list[dict]:
        return self.context.get("allowed_transitions", [])


class ChoreTransitionInputSerializer(TransitionInputSerializer):
    outcome = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    note = serializers.CharField(required=False, allow_blank=True, max_length=10_000)


class ChoreViewSet(RecordViewSet):
    kind = "chore"
    serializer_class = ChoreSerializer
    detail_serializer_class = ChoreDetailSerializer
    transition_input_serializer_class = ChoreTransitionInputSerializer
    ordering = ("created_at", "id")
