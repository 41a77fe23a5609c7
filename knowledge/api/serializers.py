"""Knowledge articles in the API: shapes only; the services decide."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from cmdb.models import ConfigurationItem

from ..models import Article, ArticleCategory, ArticleTranslation

LANGUAGE_CHOICES = settings.LANGUAGES


class ArticleTranslationSerializer(serializers.ModelSerializer):
    language = serializers.ChoiceField(choices=LANGUAGE_CHOICES, read_only=True)

    class Meta:
        model = ArticleTranslation
        fields = ["language", "title", "body", "updated_at"]


class ArticleSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    category = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    services = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    translations = ArticleTranslationSerializer(many=True, read_only=True)
    helpful = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = Article
        fields = [
            "number", "status", "audience", "owner", "category", "services", "review_on", "source_number",
            "published_at", "created_at", "updated_at", "version", "translations", "helpful",
            "allowed_transitions",
        ]  # fmt: skip
        read_only_fields = fields

    def get_helpful(self, article) -> dict[str, int]:
        return {"yes": getattr(article, "helpful_yes", 0), "no": getattr(article, "helpful_no", 0)}

    def get_allowed_transitions(self, article) -> list[str]:
        from ..workflow import ARTICLE_WORKFLOW

        request = self.context.get("request")
        if request is None:
            return []
        return ARTICLE_WORKFLOW.allowed_targets(article, request.user)


class ArticleWriteSerializer(serializers.Serializer):
    language = serializers.ChoiceField(choices=LANGUAGE_CHOICES)
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=100_000)
    category = serializers.PrimaryKeyRelatedField(
        queryset=ArticleCategory.objects.all(), allow_null=True, required=False
    )
    audience = serializers.ChoiceField(choices=Article.Audience.choices, required=False)
    services = serializers.PrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(), many=True, required=False
    )
    review_on = serializers.DateField(allow_null=True, required=False)


class ArticleUpdateSerializer(ArticleWriteSerializer):
    """A partial update: the text of one language (all three together) and any attribute."""

    def validate(self, attrs):
        text = {"language", "title", "body"} & set(attrs)
        if text and text != {"language", "title", "body"}:
            raise serializers.ValidationError(_("Send the language, the title and the body together."))
        return attrs


class ArticleTransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=Article.Status.choices)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)
