"""A resolution turned into a knowledge article (issue 19, item 7): on a resolved or closed incident's
page, an author sees "Create article from this resolution", which makes a draft from the incident's
title and resolution notes, linked back to the incident; once made, the page links to the draft instead.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from knowledge.models import Article
from knowledge.permissions import ArticlePolicy
from knowledge.selectors import user_language
from knowledge.services import article_create
from servicedesk.errors import PermissionDenied
from servicedesk.form_once import form_token, submit_once
from servicedesk.slots import SlotContent, register_slot_content

from . import workflow as wf
from .models import Incident
from .selectors import incident_get_for_user

RESOLVED = (wf.RESOLVED, wf.CLOSED)


def article_draft_body(incident: Incident) -> str:
    """The draft's text: the resolution notes, with what the requester saw as the symptom."""
    parts = []
    if incident.description.strip():
        parts += [_("## Symptoms"), incident.description.strip()]
    parts += [_("## Solution"), incident.resolution_notes.strip() or _("Describe the solution.")]
    return "\n\n".join(parts)


def resolution_side(request, record=None, **values) -> dict | None:
    """For authors, on a resolved or closed incident's page: the action, or the articles made from it."""
    user = getattr(request, "user", None)
    if not isinstance(record, Incident) or record.status not in RESOLVED or not ArticlePolicy.can_write(user):
        return None
    written = list(Article.objects.filter(source_number=record.number).only("pk", "number", "status")[:5])
    return {"written_articles": written, "article_token": form_token()}


@login_required
@require_POST
def article_from_resolution(request, number):
    """Make a draft article from a resolved incident and open it for editing. Refused (403) to who may
    not write articles, 404 for an incident the agent may not see; a double click makes one draft."""
    incident = incident_get_for_user(user=request.user, number=number)
    if not ArticlePolicy.can_write(request.user):
        raise PermissionDenied(_("You may not write knowledge articles."))
    if incident.status not in RESOLVED:
        messages.error(request, _("Resolve the incident first: the article is written from its resolution."))
        return redirect("record", incident.number)

    def create() -> str:
        article = article_create(
            actor=request.user,
            language=user_language(request.user),
            title=incident.title,
            body=article_draft_body(incident),
            services=[incident.service] if incident.service_id else [],
            source_number=incident.number,
        )
        return reverse("knowledge:edit", args=[article.number])

    try:
        address, _again = submit_once(request, request.POST.get("form_token", ""), create)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("record", incident.number)
    messages.success(request, _("Draft article made from the resolution: edit it, then send it for review."))
    return redirect(address)


def register_knowledge_slot() -> None:
    register_slot_content(
        SlotContent(
            slot="record_side",
            name="incidents.article_from_resolution",
            template="incidents/workspace/_record_article.html",
            context=resolution_side,
            order=80,
        )
    )
