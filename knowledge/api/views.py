"""The API of knowledge articles (`/api/v1/knowledge/articles/`), addressed by number (`KB0000001`):
list (filters; `q` for the best matches of words, in any language), read (ETag), and for authors and
reviewers create, edit (If-Match, 412 when stale) and move through the workflow (409 with the allowed
statuses). Requesters read only articles published to the portal; anyone else sees none."""

from django.db.models import Count, Prefetch, Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from servicedesk.api.base import GenericViewSet
from servicedesk.api.conditional import expected_version, not_modified, with_etag
from servicedesk.api.pagination import CursorPagination
from servicedesk.api.schema import error_responses_for
from servicedesk.errors import NotFound

from .. import services
from ..models import ArticleTranslation
from ..permissions import ArticlePolicy
from ..selectors import article_search
from . import serializers
from .filters import ArticleFilter

MAX_RANKED = 50
WORDS = OpenApiParameter(
    "q", OpenApiTypes.STR, description="Words: the best matching articles (at most 50, best first, one page)."
)


@extend_schema_view(list=extend_schema(parameters=[WORDS]))
class ArticleViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, GenericViewSet
):
    """Knowledge articles: how-to text per language, reviewed and published to agents or the portal."""

    serializer_class = serializers.ArticleSerializer
    filterset_class = ArticleFilter
    pagination_class = CursorPagination
    ordering = ("-id",)
    lookup_field = "number"
    lookup_value_regex = r"[A-Za-z]{2,8}\d{1,12}"
    http_method_names = ["get", "post", "patch", "head", "options"]
    conditional_reads = ("retrieve",)
    conditional_writes = ("partial_update", "transition")

    def get_queryset(self):
        return (
            ArticlePolicy.visible_to(self.request.user)
            .select_related("owner")
            .prefetch_related(Prefetch("translations", queryset=ArticleTranslation.objects.all()), "services")
            .annotate(
                helpful_yes=Count("feedback", filter=Q(feedback__helpful=True), distinct=True),
                helpful_no=Count("feedback", filter=Q(feedback__helpful=False), distinct=True),
            )
        )

    def get_object(self):
        found = self.get_queryset().filter(number=self.kwargs["number"].upper()).first()
        if found is None:
            raise NotFound()
        return found

    def _answer(self, article, status_code=status.HTTP_200_OK) -> Response:
        article = self.get_queryset().get(pk=article.pk)
        data = serializers.ArticleSerializer(article, context=self.get_serializer_context()).data
        return with_etag(Response(data, status=status_code), article)

    def list(self, request, *args, **kwargs):
        words = request.query_params.get("q", "").strip()
        if not words:
            return super().list(request, *args, **kwargs)
        rows = self.filter_queryset(self.get_queryset())
        matches = article_search(user=request.user, text=words, limit=MAX_RANKED, articles=rows)
        order = [match.article.pk for match in matches]
        found = {article.pk: article for article in rows.filter(pk__in=order)}
        data = self.get_serializer([found[pk] for pk in order if pk in found], many=True).data
        return Response({"next": None, "previous": None, "results": data})

    def retrieve(self, request, *args, **kwargs):
        article = self.get_object()
        return not_modified(request, with_etag(Response(self.get_serializer(article).data), article))

    @extend_schema(request=serializers.ArticleWriteSerializer, responses={201: serializers.ArticleSerializer})
    def create(self, request, *args, **kwargs):
        data = serializers.ArticleWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        article = services.article_create(actor=request.user, **data.validated_data)
        return self._answer(article, status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.ArticleUpdateSerializer,
        responses={200: serializers.ArticleSerializer, **error_responses_for("412")},
    )
    def partial_update(self, request, *args, **kwargs):
        article = self.get_object()
        data = serializers.ArticleUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        article = services.article_update(
            actor=request.user, article=article, expected_version=expected_version(request, article),
            **data.validated_data,
        )  # fmt: skip
        return self._answer(article)

    @extend_schema(
        summary="Send for review, publish, send back, retire or restore the article",
        request=serializers.ArticleTransitionSerializer,
        responses={200: serializers.ArticleSerializer, **error_responses_for("409", "412")},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def transition(self, request, number=None):
        article = self.get_object()
        data = serializers.ArticleTransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        article = services.article_transition(
            actor=request.user, article=article, to=data.validated_data["to"],
            reason=data.validated_data.get("reason", ""), expected_version=expected_version(request, article),
        )  # fmt: skip
        return self._answer(article)
