"""The portal's article page, with "Was this helpful?" (one answer per person, changeable)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from servicedesk.errors import ApplicationError, PermissionDenied

from .forms import FeedbackForm
from .models import ArticleFeedback
from .selectors import article_feedback_counts, article_get_for_user, translation_for, user_language
from .services import article_feedback


def _require_portal(user) -> None:
    if not user.has_perm("servicedesk.access_portal"):
        raise PermissionDenied(_("You may not use the self-service portal."))


@login_required
@require_GET
def portal_article(request, number):
    _require_portal(request.user)
    article = article_get_for_user(user=request.user, number=number, portal=True)
    language = request.GET.get("lang") or user_language(request.user)
    mine = (
        ArticleFeedback.objects.filter(article=article, user=request.user)
        .values_list("helpful", flat=True)
        .first()
    )
    context = {
        "article": article,
        "translation": translation_for(article, language),
        "versions": {t.language: t for t in article.translations.all()},
        "feedback": article_feedback_counts(article),
        "mine": mine,
    }
    return render(request, "knowledge/portal/article.html", context)


@login_required
@require_POST
def portal_feedback(request, number):
    _require_portal(request.user)
    article = article_get_for_user(user=request.user, number=number, portal=True)
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        raise Http404
    try:
        article_feedback(user=request.user, article=article, helpful=form.cleaned_data["helpful"])
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Thank you: your answer is counted."))
    return redirect(reverse("knowledge:portal_article", args=[article.number]))
