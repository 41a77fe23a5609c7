"""Problem candidates over the API: list and read them, accept one (a problem is raised with its
incidents) or dismiss it, and run the trend detection now.

Only problem managers see candidates: anyone else gets 404 from every endpoint here, lists included."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from servicedesk.api.base import GenericViewSet
from servicedesk.api.filters import FilterSet
from servicedesk.api.schema import AutoSchema, ErrorSerializer
from servicedesk.errors import NotFound

from .models import ProblemCandidate
from .permissions import ProblemPolicy
from .selectors import candidate_get_for_user, candidate_list_for_user
from .services.candidates import candidate_accept, candidate_dismiss, candidates_detect


class CandidateIncidentSerializer(serializers.Serializer):
    number = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()


class ProblemCandidateSerializer(serializers.ModelSerializer):
    incidents = CandidateIncidentSerializer(
        many=True, read_only=True, help_text=_("The newest, at most 100.")
    )
    problem = serializers.SlugRelatedField(slug_field="number", read_only=True, allow_null=True)

    class Meta:
        model = ProblemCandidate
        fields = [
            "id", "basis", "key", "label", "incident_count", "incidents", "window_start", "window_end",
            "status", "problem", "decided_by", "decided_at", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class CandidateAcceptInputSerializer(serializers.Serializer):
    title = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text=_("The problem's title; by default the group's label."),
    )


CandidatesDetectedSerializer = inline_serializer(
    name="CandidatesDetected",
    fields={
        "proposed": serializers.IntegerField(),
        "updated": serializers.IntegerField(),
        "withdrawn": serializers.IntegerField(),
    },
)


DECIDED = OpenApiResponse(
    ErrorSerializer,
    description="`candidate_decided`: it was accepted or dismissed already; on accepting, "
    "`candidate_incidents_linked`: every one of its incidents is linked to a problem already.",
)


class ProblemCandidateFilter(FilterSet):
    status = django_filters.ChoiceFilter(choices=ProblemCandidate.Status.choices)
    basis = django_filters.ChoiceFilter(choices=ProblemCandidate.Basis.choices)

    class Meta:
        model = ProblemCandidate
        fields = []


class CandidateAutoSchema(AutoSchema):
    """Documents a 404 on every operation, lists included (see the module's docstring)."""

    def _is_detail(self):
        return True


class ProblemCandidateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    """Groups of recurring incidents the trend task proposes, for problem managers to decide."""

    serializer_class = ProblemCandidateSerializer
    queryset = ProblemCandidate.objects.none()
    filterset_class = ProblemCandidateFilter
    lookup_value_regex = r"\d+"
    ordering = "-id"
    schema = CandidateAutoSchema()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not ProblemPolicy.can_decide_candidates(request.user):
            raise NotFound()

    def get_queryset(self):
        return candidate_list_for_user(user=self.request.user)

    def get_object(self):
        return candidate_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    def _answer(self, pk, code=status.HTTP_200_OK):
        return Response(self.get_serializer(candidate_get_for_user(user=self.request.user, pk=pk)).data, code)

    @extend_schema(
        request=CandidateAcceptInputSerializer, responses={201: ProblemCandidateSerializer, 409: DECIDED}
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Raise a problem for the candidate's incidents (those not linked to a problem meanwhile); 409 when
        it was decided already or none of its incidents is left."""
        data = CandidateAcceptInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        candidate = self.get_object()
        candidate_accept(actor=request.user, candidate=candidate, title=data.validated_data.get("title", ""))
        return self._answer(candidate.pk, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ProblemCandidateSerializer, 409: DECIDED})
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        """Dismiss the candidate: its group is proposed again only once it grows; 409 when decided already."""
        candidate = self.get_object()
        candidate_dismiss(actor=request.user, candidate=candidate)
        return self._answer(candidate.pk)

    @extend_schema(request=None, responses=CandidatesDetectedSerializer)
    @action(detail=False, methods=["post"])
    def detect(self, request):
        """Run the trend detection now (it also runs daily): how many candidates it proposed, updated and
        withdrew."""
        return Response(candidates_detect())
