"""The admin for the knowledge base's configuration: its categories. Articles are written and published
in the knowledge base's pages and the API, through `knowledge.services`."""

from django.contrib import admin

from servicedesk.admin import AuditedAdmin

from .models import ArticleCategory


@admin.register(ArticleCategory)
class ArticleCategoryAdmin(AuditedAdmin):
    list_display = ["name", "parent"]
    list_select_related = ["parent"]
    search_fields = ["name", "parent__name"]
    fields = ["name", "parent"]
