"""Who may read and write knowledge articles (the workflow's rules are in workflow.py)."""

from django.db.models import Q, QuerySet

from servicedesk.records.policy import is_person

from . import workflow as wf
from .models import Article


class ArticlePolicy:
    """Agents who may read articles see every published one, and drafts, reviews and retired ones too
    when they write articles; requesters see only articles published to the portal; nobody else sees any."""

    @staticmethod
    def is_agent(user) -> bool:
        return is_person(user) and bool(getattr(user, "is_agent", False))

    @classmethod
    def reads_all(cls, user) -> bool:
        return cls.is_agent(user) and user.has_perm("knowledge.view_article")

    @classmethod
    def can_write(cls, user) -> bool:
        return cls.is_agent(user) and user.has_perm(wf.WRITE_PERMISSION)

    @classmethod
    def can_review(cls, user) -> bool:
        return cls.is_agent(user) and user.has_perm(wf.REVIEW_PERMISSION)

    @staticmethod
    def portal_articles() -> QuerySet:
        return Article.objects.filter(status=wf.PUBLISHED, audience=Article.Audience.PORTAL)

    @classmethod
    def visible_to(cls, user, *, portal: bool = False) -> QuerySet:
        """The articles `user` may read; with `portal`, only those published to the portal (what the
        portal shows whoever reads it)."""
        if portal or not cls.reads_all(user):
            if is_person(user) and (cls.reads_all(user) or user.has_perm("servicedesk.access_portal")):
                return cls.portal_articles()
            return Article.objects.none()
        if cls.can_write(user):
            return Article.objects.all()
        return Article.objects.filter(status=wf.PUBLISHED)

    @classmethod
    def can_edit(cls, user, article) -> bool:
        """Authors edit drafts and articles in review; a published article's text is a reviewer's to
        change (what readers rely on is checked); a retired one is taken back as a draft first."""
        if article.status == wf.RETIRED:
            return False
        if article.status == wf.PUBLISHED:
            return cls.can_review(user)
        return cls.can_write(user)

    @classmethod
    def review_queue(cls, user) -> QuerySet:
        if not cls.can_review(user):
            return Article.objects.none()
        return Article.objects.filter(status=wf.REVIEW)

    @classmethod
    def due_for_review(cls, user, today) -> QuerySet:
        """Published articles `user` owns whose review date has come."""
        if not cls.is_agent(user):
            return Article.objects.none()
        return Article.objects.filter(
            Q(owner=user), status=wf.PUBLISHED, review_on__isnull=False, review_on__lte=today
        )
