"""The filters of the article list."""

import django_filters
from django.utils.translation import gettext_lazy as _

from servicedesk.api.filters import FilterSet

from ..models import Article, ArticleCategory


class ArticleFilter(FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Article.Status.choices, label=_("Status"))
    audience = django_filters.ChoiceFilter(choices=Article.Audience.choices, label=_("Audience"))
    category = django_filters.ModelChoiceFilter(queryset=ArticleCategory.objects.all(), label=_("Category"))

    class Meta:
        model = Article
        fields = ["status", "audience", "category"]
