"""Every write to knowledge articles: create, edit a language version, move through the workflow, record
whether an article helped. Each takes the acting person, checks the policy, and records who did what (a
revision for every text saved, an audit event for every change)."""

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk import concurrency
from servicedesk.errors import Conflict, PermissionDenied
from servicedesk.services import audit_record
from servicedesk.services.numbering import number_allocate

from . import workflow as wf
from .models import (
    NUMBER_PREFIX,
    Article,
    ArticleCategory,
    ArticleFeedback,
    ArticleRevision,
    ArticleTranslation,
)
from .permissions import ArticlePolicy

MAX_TITLE = 200
MAX_BODY = 100_000


def _clean_text(language: str, title: str, body: str) -> tuple[str, str]:
    errors = {}
    if language not in dict(settings.LANGUAGES):
        errors["language"] = _("Choose one of the listed values.")
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        errors["title"] = _("This field is required.")
    elif len(title) > MAX_TITLE:
        errors["title"] = _("Keep the title under %(max)d characters.") % {"max": MAX_TITLE}
    if not body:
        errors["body"] = _("This field is required.")
    elif len(body) > MAX_BODY:
        errors["body"] = _("Keep the text under %(max)d characters.") % {"max": MAX_BODY}
    if errors:
        raise ValidationError(errors)
    return title, body


def _text_save(*, article: Article, actor, language: str, title: str, body: str) -> bool:
    """Save one language version and its revision; returns whether the text changed."""
    translation = ArticleTranslation.objects.filter(article=article, language=language).first()
    if translation is not None and (translation.title, translation.body) == (title, body):
        return False
    if translation is None:
        ArticleTranslation.objects.create(article=article, language=language, title=title, body=body)
    else:
        translation.title, translation.body = title, body
        translation.save(update_fields=["title", "body", "updated_at"])
    ArticleRevision.objects.create(article=article, language=language, title=title, body=body, author=actor)
    return True


def article_create(
    *,
    actor,
    language: str,
    title: str,
    body: str,
    category: ArticleCategory | None = None,
    services=(),
    audience: str = Article.Audience.AGENTS,
    review_on: date | None = None,
    source_number: str = "",
) -> Article:
    """A new draft article numbered KB…, owned by `actor`, with its first language version. Only authors
    (agents with the right to write articles) create; PermissionDenied otherwise, ValidationError for
    missing or too long text."""
    if not ArticlePolicy.can_write(actor):
        raise PermissionDenied(_("You may not write knowledge articles."))
    title, body = _clean_text(language, title, body)
    if audience not in Article.Audience.values:
        raise ValidationError({"audience": _("Choose one of the listed values.")})
    with transaction.atomic():
        (number,) = number_allocate(prefix=NUMBER_PREFIX)
        article = Article.objects.create(
            number=number,
            owner=actor,
            category=category,
            audience=audience,
            review_on=review_on,
            source_number=source_number[:20],
        )
        if services:
            article.services.set(services)
        _text_save(article=article, actor=actor, language=language, title=title, body=body)
        audit_record(
            actor=actor,
            action="article.created",
            target=article,
            data={"language": language, "source": source_number},
        )
    return article


ATTRIBUTES = ("category", "audience", "review_on", "owner")


def article_update(
    *, actor, article: Article, expected_version: int | None = None, language: str | None = None,
    title: str = "", body: str = "", services=None, **attributes,
) -> Article:  # fmt: skip
    """Change an article's text in `language` (a new language version the first time) and its
    attributes (category, audience, review date, owner, services). Refused with PermissionDenied when
    `actor` may not edit it now (ArticlePolicy.can_edit), StaleWrite (412) when it moved past
    `expected_version`. Saves a revision when the text changed."""
    unknown = set(attributes) - set(ATTRIBUTES)
    if unknown:
        raise TypeError(f"Unknown article attributes: {', '.join(sorted(unknown))}")
    if language is not None:
        title, body = _clean_text(language, title, body)
    if "audience" in attributes and attributes["audience"] not in Article.Audience.values:
        raise ValidationError({"audience": _("Choose one of the listed values.")})
    with transaction.atomic():
        article = concurrency.lock(article, expected=expected_version)
        if not ArticlePolicy.can_edit(actor, article):
            raise PermissionDenied(_("You may not edit this article now."))
        changed = {}
        for name, value in attributes.items():
            if getattr(article, name) != value:
                changed[name] = value
                setattr(article, name, value)
        text_changed = language is not None and _text_save(
            article=article, actor=actor, language=language, title=title, body=body
        )
        services_changed = False
        if services is not None:
            wanted = {ci.pk for ci in services}
            if wanted != set(article.services.values_list("pk", flat=True)):
                article.services.set(services)
                services_changed = True
        if not (changed or text_changed or services_changed):
            return article
        concurrency.save_changed(
            article, [f"{name}_id" if name in ("category", "owner") else name for name in changed]
        )
        audit_record(
            actor=actor,
            action="article.updated",
            target=article,
            data={
                "fields": sorted(changed),
                "language": language if text_changed else None,
                "services": services_changed,
            },
        )
    return article


def article_transition(
    *, actor, article: Article, to: str, reason: str = "", expected_version: int | None = None
) -> Article:
    """Move `article` to status `to` through its transition table (knowledge.workflow): InvalidTransition
    (409, with the allowed targets) when no transition leads there from its status or its guard refuses,
    PermissionDenied when `actor` may not fire it, ValidationError when a required reason is missing,
    StaleWrite (412) when it moved past `expected_version`."""
    with transaction.atomic():
        article = concurrency.lock(article, expected=expected_version)
        transition = wf.ARTICLE_WORKFLOW.find(article, to, actor)
        if not transition.permission(article, actor):
            raise PermissionDenied(_("You may not do this to the article."))
        reason = (reason or "").strip()
        if "reason" in transition.requires and not reason:
            raise ValidationError({"reason": _("Say why, for the author.")})
        source = article.status
        wf.ARTICLE_WORKFLOW.set_status(article, transition.target)
        fields = ["status"]
        if transition.target == wf.PUBLISHED:
            article.published_at = timezone.now()
            fields.append("published_at")
        concurrency.save_changed(article, fields)
        audit_record(
            actor=actor,
            action=f"article.{transition.name}",
            target=article,
            data={"from": source, "to": transition.target, "reason": reason},
        )
    return article


def article_feedback(*, user, article: Article, helpful: bool) -> ArticleFeedback:
    """Record whether `article` helped `user`: one answer per person, the latest standing. Only someone
    who may read the article answers; Conflict for an article no longer published."""
    if not article.is_published:
        raise Conflict(_("This article is no longer published."), code="article_not_published")
    if not ArticlePolicy.visible_to(user).filter(pk=article.pk).exists():
        raise PermissionDenied(_("You may not read this article."))
    feedback, _created = ArticleFeedback.objects.update_or_create(
        article=article, user=user, defaults={"helpful": bool(helpful)}
    )
    return feedback
