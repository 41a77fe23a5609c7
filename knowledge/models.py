"""Knowledge articles (issue 19, item 7): how-to articles in Markdown, one version per language, written
by agents, published by knowledge reviewers to agents or to the portal, reviewed by a date, with their
history and the readers' "was this helpful"."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from servicedesk.records.fields import StatusField, StatusProtected
from servicedesk.records.search import RecordSearch, search_document_field

# An article's word search: the title before the body (servicedesk.records.search).
ARTICLE_SEARCH = RecordSearch(fields=(("title", "A"), ("body", "B")), trigram_field="title")
NUMBER_PREFIX = "KB"


def language_choices():
    return settings.LANGUAGES


class ArticleCategory(models.Model):
    """A shelf of the knowledge base, possibly inside another."""

    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("article category")
        verbose_name_plural = _("article categories")
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="knowledge_category_unique_name"),
        ]

    def __str__(self):
        return f"{self.parent} › {self.name}" if self.parent_id else self.name


class Article(StatusProtected, models.Model):
    """One article, whatever its languages: who owns it, where it is shelved, who may read it once
    published, where it is in its workflow (knowledge.workflow) and when it is due for review."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        REVIEW = "review", _("In review")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    class Audience(models.TextChoices):
        AGENTS = "agents", _("Agents only")
        PORTAL = "portal", _("Portal (requesters too)")

    concurrency_field = "version"  # servicedesk.concurrency: the ETag and If-Match value

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="knowledge_articles",
        verbose_name=_("owner"),
    )
    category = models.ForeignKey(
        ArticleCategory,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="articles",
        verbose_name=_("category"),
    )
    services = models.ManyToManyField(
        "cmdb.ConfigurationItem",
        blank=True,
        related_name="knowledge_articles",
        verbose_name=_("services and CIs"),
    )
    audience = models.CharField(
        _("audience"), max_length=10, choices=Audience.choices, default=Audience.AGENTS
    )
    status = StatusField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    review_on = models.DateField(
        _("review date"), null=True, blank=True, help_text=_("When the owner checks it is still right.")
    )
    # The record it was written from ("INC0000123"): a resolution turned into an article.
    source_number = models.CharField(_("written from"), max_length=20, blank=True, editable=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("knowledge article")
        verbose_name_plural = _("knowledge articles")
        permissions = [
            ("review_article", _("Can publish, send back and retire knowledge articles")),
        ]
        indexes = [
            models.Index(fields=["status", "audience"], name="knowledge_article_status_idx"),
            models.Index(fields=["owner", "review_on"], name="knowledge_article_review_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "review", "published", "retired"]),
                name="knowledge_article_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(audience__in=["agents", "portal"]), name="knowledge_article_audience_valid"
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def etag(self) -> str:
        return f'"{self.pk}-{self.version}"'

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class ArticleTranslation(models.Model):
    """An article's text in one language; searched with the records' word search (English stems, Chinese
    pairs, partial words of the title)."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="translations", verbose_name=_("article")
    )
    language = models.CharField(_("language"), max_length=10, choices=language_choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), help_text=_("Markdown."))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    search_document = search_document_field(ARTICLE_SEARCH)

    class Meta:
        ordering = ["language"]
        verbose_name = _("article translation")
        verbose_name_plural = _("article translations")
        constraints = [
            models.UniqueConstraint(fields=["article", "language"], name="knowledge_translation_unique"),
        ]

    def __str__(self):
        return self.title


class ArticleRevision(models.Model):
    """One saved text of one language version: who wrote it, when, and what it said (never changed)."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="revisions", verbose_name=_("article")
    )
    language = models.CharField(_("language"), max_length=10, choices=language_choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("article revision")
        verbose_name_plural = _("article revisions")
        indexes = [models.Index(fields=["article", "-created_at"], name="knowledge_revision_idx")]

    def __str__(self):
        return f"{self.article_id} {self.language} {self.created_at:%Y-%m-%d %H:%M}"


class ArticleFeedback(models.Model):
    """Whether the article helped one reader: one answer per person and article, changeable."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="feedback", verbose_name=_("article")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("person")
    )
    helpful = models.BooleanField(_("helpful"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("article feedback")
        verbose_name_plural = _("article feedback")
        constraints = [
            models.UniqueConstraint(fields=["article", "user"], name="knowledge_feedback_once"),
        ]

    def __str__(self):
        return f"{self.article_id} {self.user_id} {self.helpful}"
