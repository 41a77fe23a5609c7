"""Reads of knowledge articles for pages, the API and the search box, each in a constant number of
queries, each through the policy (knowledge.permissions)."""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import get_language

from servicedesk.records.search import search_records

from .models import ARTICLE_SEARCH, Article, ArticleCategory, ArticleRevision, ArticleTranslation
from .permissions import ArticlePolicy
from .sources import KnowledgeHit, knowledge_sources

# The most language versions a search reads before picking the best one per article.
MAX_CANDIDATES = 60


def user_language(user) -> str:
    """The language an article is shown in: the person's own, else the request's."""
    language = (getattr(user, "language", "") or get_language() or "en").lower()
    return language


def article_list_for_user(*, user, portal: bool = False) -> QuerySet:
    """The articles `user` may read, with what a list shows (category, owner, language versions)."""
    return (
        ArticlePolicy.visible_to(user, portal=portal)
        .select_related("category", "owner")
        .prefetch_related(Prefetch("translations", queryset=ArticleTranslation.objects.only(
            "id", "article_id", "language", "title")))
    )  # fmt: skip


def article_get_for_user(*, user, number: str, portal: bool = False) -> Article:
    """The article `number` if `user` may read it (in the portal: only those published there); 404
    otherwise, whether it exists or not."""
    article = (
        ArticlePolicy.visible_to(user, portal=portal)
        .select_related("category", "owner")
        .prefetch_related("translations", "services")
        .annotate(
            helpful_yes=Count("feedback", filter=Q(feedback__helpful=True), distinct=True),
            helpful_no=Count("feedback", filter=Q(feedback__helpful=False), distinct=True),
        )
        .filter(number=(number or "").upper())
        .first()
    )
    if article is None:
        raise Http404()
    return article


def translation_for(article: Article, language: str) -> ArticleTranslation | None:
    """The version in `language`, else the English one, else any (from the prefetched versions)."""
    versions = {t.language: t for t in article.translations.all()}
    return versions.get(language) or versions.get("en") or next(iter(versions.values()), None)


def article_revisions(article: Article, language: str | None = None) -> QuerySet:
    rows = ArticleRevision.objects.filter(article=article).select_related("author")
    return rows.filter(language=language) if language else rows


def article_review_queue(*, user) -> QuerySet:
    return (
        ArticlePolicy.review_queue(user).select_related("owner", "category").prefetch_related("translations")
    )


def article_due_for_review(*, user) -> QuerySet:
    today = timezone.localdate()
    return (
        ArticlePolicy.due_for_review(user, today)
        .select_related("category")
        .prefetch_related("translations")
        .order_by("review_on", "pk")
    )


def category_list() -> QuerySet:
    return ArticleCategory.objects.select_related("parent").annotate(
        published=Count("articles", filter=Q(articles__status="published"))
    )


def article_feedback_counts(article: Article) -> dict:
    return {"yes": getattr(article, "helpful_yes", 0), "no": getattr(article, "helpful_no", 0)}


# Search --------------------------------------------------------------------------------------------------


@dataclass
class ArticleMatch:
    """An article found: the version shown (the reader's language if it has one) and the match's rank."""

    article: Article
    translation: ArticleTranslation
    rank: float


def article_search(
    *, user, text: str, portal: bool = False, limit: int = 20, articles=None
) -> list[ArticleMatch]:
    """The articles `user` may read (with `portal`, those published to the portal) whose text in any
    language matches the words `text` (servicedesk.records.search: English stems, Chinese pairs, partial
    words of titles), best first; a match in the reader's language ranks above one in another, and an
    article is shown in the reader's language where it has that version. Three queries at most."""
    text = " ".join((text or "").split())
    if not text:
        return []
    if articles is None:
        articles = ArticlePolicy.visible_to(user, portal=portal)
    language = user_language(user)
    rows = ArticleTranslation.objects.filter(article__in=articles.values("pk"))
    found = list(search_records(rows, text, ARTICLE_SEARCH).select_related("article")[:MAX_CANDIDATES])
    best: dict[int, ArticleMatch] = {}
    for row in found:
        rank = float(getattr(row, "search_rank", 0.0) or 0.0) + (0.5 if row.language == language else 0.0)
        current = best.get(row.article_id)
        if current is None or rank > current.rank:
            best[row.article_id] = ArticleMatch(row.article, row, rank)
    # Shown in the reader's language where the article has it, whichever version matched.
    other = [match.article.pk for match in best.values() if match.translation.language != language]
    if other:
        for row in ArticleTranslation.objects.filter(article__in=other, language=language):
            best[row.article_id].translation = row
    matches = sorted(best.values(), key=lambda match: (-match.rank, -match.article.pk))
    return matches[:limit]


def article_hits(*, user, text: str, portal: bool = False, limit: int = 5) -> list[KnowledgeHit]:
    """The articles found, as the search box lists them (the knowledge source "articles")."""
    hits = []
    for match in article_search(user=user, text=text, portal=portal, limit=limit):
        name = "knowledge:portal_article" if portal else "knowledge:article"
        hits.append(
            KnowledgeHit(
                source="articles",
                title=match.translation.title,
                url=reverse(name, args=[match.article.number]),
                number=match.article.number,
                summary=Truncator(match.translation.body).chars(160),
                rank=match.rank,
                pk=match.article.pk,
            )
        )
    return hits


def knowledge_search(*, user, text: str, portal: bool, limit: int = 5) -> list[tuple]:
    """One search over every knowledge source (articles, and the workarounds problems registers):
    [(source, hits)], each source's best `limit` hits, labelled by source. Agents search what agents
    read; `portal` (and requesters always) only what is published to the portal."""
    if not ArticlePolicy.reads_all(user):
        portal = True
    text = " ".join((text or "").split())[:200]
    if not text:
        return []
    return [
        (source, source.search(user=user, text=text, portal=portal, limit=limit))
        for source in knowledge_sources()
    ]
