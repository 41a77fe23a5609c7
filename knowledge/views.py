"""The agents' knowledge base: search and browse, read an article in each language, write and edit,
send for review and publish, the review queue, and each language's history with its differences.

Every write goes through `knowledge.services`; a refused one becomes a message (409) or form errors (400),
a stale edit (412) the form again with what changed meanwhile; never a server error."""

import difflib
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from servicedesk.errors import ApplicationError, PermissionDenied, StaleWrite
from servicedesk.form_errors import apply_service_errors
from servicedesk.form_once import form_token, submit_once
from servicedesk.pagination import CappedPaginator

from . import workflow as wf
from .forms import ArticleForm, ArticleSearchForm, TransitionForm
from .permissions import ArticlePolicy
from .selectors import (
    article_due_for_review,
    article_feedback_counts,
    article_get_for_user,
    article_list_for_user,
    article_review_queue,
    article_revisions,
    category_list,
    knowledge_search,
    translation_for,
    user_language,
)
from .services import article_create, article_transition, article_update

PAGE_SIZE = 25


def knowledge_reader_required(view):
    """Signed in as an agent who may read articles; 404 otherwise."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not ArticlePolicy.reads_all(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@knowledge_reader_required
@require_GET
def home(request):
    """Search (articles and workarounds, grouped) or browse by category and status; the reader's own
    articles due for review and the review queue's size on the side."""
    form = ArticleSearchForm(request.GET or None)
    valid = form.is_valid() if form.is_bound else True
    data = form.cleaned_data if form.is_bound and valid else {}
    words = data.get("q", "")
    groups = knowledge_search(user=request.user, text=words, portal=False, limit=10) if words else []
    rows = article_list_for_user(user=request.user)
    if data.get("category"):
        rows = rows.filter(category=data["category"])
    if data.get("status"):
        rows = rows.filter(status=data["status"])
    page = CappedPaginator(rows.order_by("-updated_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    language = user_language(request.user)
    page.object_list = [(article, translation_for(article, language)) for article in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "words": words,
        "groups": groups,
        "page": page,
        "query": query.urlencode(),
        "categories": category_list(),
        "due": list(article_due_for_review(user=request.user)[:10]),
        "review_count": article_review_queue(user=request.user).count(),
        "can_write": ArticlePolicy.can_write(request.user),
        "can_review": ArticlePolicy.can_review(request.user),
        "language": language,
    }
    return render(request, "knowledge/home.html", context, status=200 if valid else 400)


@knowledge_reader_required
@require_GET
def review_queue(request):
    if not ArticlePolicy.can_review(request.user):
        raise Http404
    language = user_language(request.user)
    rows = [
        (article, translation_for(article, language))
        for article in article_review_queue(user=request.user)[:100]
    ]
    return render(request, "knowledge/review.html", {"rows": rows})


def _article_context(request, article, language: str) -> dict:
    versions = {t.language: t for t in article.translations.all()}
    transitions = wf.ARTICLE_WORKFLOW.allowed(article, request.user)
    return {
        "article": article,
        "translation": versions.get(language) or translation_for(article, language),
        "language": language,
        "versions": versions,
        "transitions": transitions,
        "can_edit": ArticlePolicy.can_edit(request.user, article),
        "feedback": article_feedback_counts(article),
    }


@knowledge_reader_required
@require_GET
def article_page(request, number):
    article = article_get_for_user(user=request.user, number=number)
    language = request.GET.get("lang") or user_language(request.user)
    return render(request, "knowledge/article.html", _article_context(request, article, language))


@knowledge_reader_required
@require_http_methods(["GET", "POST"])
def article_new(request):
    """A new draft; `?from=INC…&title=…` arrives prefilled from a resolution (the incident's action)."""
    if not ArticlePolicy.can_write(request.user):
        raise PermissionDenied(_("You may not write knowledge articles."))
    if request.method == "POST":
        form = ArticleForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            source = request.POST.get("source", "")[:20]

            def create() -> str:
                article = article_create(
                    actor=request.user, language=data["language"], title=data["title"], body=data["body"],
                    category=data["category"], services=data["services"], audience=data["audience"],
                    review_on=data["review_on"], source_number=source,
                )  # fmt: skip
                return reverse("knowledge:article", args=[article.number])

            try:
                address, _again = submit_once(request, data.get("form_token", ""), create)
                messages.success(request, _("Draft saved. Send it for review when it is ready."))
                return redirect(address)
            except ValidationError as error:
                apply_service_errors(form, error)
        return render(
            request,
            "knowledge/edit.html",
            {"form": form, "source": request.POST.get("source", "")},
            status=400,
        )
    initial = {"language": user_language(request.user), "form_token": form_token()}
    initial.update({key: request.GET[key] for key in ("title", "body") if key in request.GET})
    form = ArticleForm(initial=initial)
    return render(request, "knowledge/edit.html", {"form": form, "source": request.GET.get("from", "")[:20]})


@knowledge_reader_required
@require_http_methods(["GET", "POST"])
def article_edit(request, number):
    """Edit one language version (a new one the first time) and the article's attributes, against the
    version read: a stale save (412) shows the form again with a message."""
    article = article_get_for_user(user=request.user, number=number)
    if not ArticlePolicy.can_edit(request.user, article):
        raise PermissionDenied(_("You may not edit this article now."))
    language = request.POST.get("language") or request.GET.get("lang") or user_language(request.user)
    if request.method == "POST":
        form = ArticleForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                article_update(
                    actor=request.user, article=article, expected_version=data["version"],
                    language=data["language"], title=data["title"], body=data["body"],
                    services=data["services"], category=data["category"], audience=data["audience"],
                    review_on=data["review_on"],
                )  # fmt: skip
                messages.success(request, _("Article saved."))
                return redirect(
                    f"{reverse('knowledge:article', args=[article.number])}?lang={data['language']}"
                )
            except StaleWrite as error:
                form.add_error(None, str(error.message))
                return render(request, "knowledge/edit.html", {"form": form, "article": article}, status=412)
            except ValidationError as error:
                apply_service_errors(form, error)
        return render(request, "knowledge/edit.html", {"form": form, "article": article}, status=400)
    translation = {t.language: t for t in article.translations.all()}.get(language)
    form = ArticleForm(
        initial={
            "language": language,
            "title": translation.title if translation else "",
            "body": translation.body if translation else "",
            "category": article.category_id,
            "audience": article.audience,
            "services": [ci.pk for ci in article.services.all()],
            "review_on": article.review_on,
            "version": article.version,
        }
    )
    return render(request, "knowledge/edit.html", {"form": form, "article": article})


@knowledge_reader_required
@require_POST
def article_transition_view(request, number):
    article = article_get_for_user(user=request.user, number=number)
    form = TransitionForm(request.POST)
    address = reverse("knowledge:article", args=[article.number])
    if not form.is_valid():
        messages.error(request, _("Choose what to do with the article."))
        return redirect(address)
    data = form.cleaned_data
    try:
        article_transition(
            actor=request.user, article=article, to=data["to"], reason=data["reason"],
            expected_version=data["version"],
        )  # fmt: skip
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except ApplicationError as error:
        if isinstance(error, PermissionDenied):
            raise
        messages.error(request, str(error.message))
    else:
        messages.success(
            request, _("Article is now %(status)s.") % {"status": article.get_status_display().lower()}
        )
    return redirect(address)


@knowledge_reader_required
@require_GET
def article_history(request, number):
    """Each saved text of each language, newest first, with what changed from the one before it."""
    article = article_get_for_user(user=request.user, number=number)
    revisions = list(article_revisions(article)[:200])
    previous: dict[str, object] = {}
    rows = []
    for revision in reversed(revisions):
        before = previous.get(revision.language)
        rows.append((revision, _diff(before, revision) if before else None))
        previous[revision.language] = revision
    rows.reverse()
    return render(request, "knowledge/history.html", {"article": article, "rows": rows})


def _diff(before, after) -> list[tuple[str, str]]:
    """The changed lines of title and text as (kind, line): "+" added, "-" removed, "@" a hunk."""
    old = [f"# {before.title}", *before.body.splitlines()]
    new = [f"# {after.title}", *after.body.splitlines()]
    lines = []
    for line in list(difflib.unified_diff(old, new, lineterm="", n=1))[2:]:
        kind = line[:1] if line[:1] in "+-@" else " "
        lines.append((kind, line[1:] if kind != "@" else line))
    return lines
