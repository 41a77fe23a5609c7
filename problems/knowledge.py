"""The known errors' workarounds as a knowledge source (knowledge.sources): one search box finds the
knowledge articles and the workarounds together, labelled. Agents find every published workaround (and
open its problem); requesters those published to the portal, shown in place (never the problem)."""

from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from knowledge.sources import KnowledgeHit, KnowledgeSource, register_knowledge_source

from .models import KnownError
from .selectors import known_error_search

PUBLISHED = (KnownError.Status.AGENTS, KnownError.Status.PORTAL)


def workaround_hits(*, user, text: str, portal: bool = False, limit: int = 5) -> list[KnowledgeHit]:
    """The published known errors matching `text`, best first, as labelled hits (two queries at most
    beyond the search's own)."""
    rows = known_error_search(user=user, text=text, portal=portal).filter(status__in=PUBLISHED)
    hits = []
    for known_error in rows[:limit]:
        hits.append(
            KnowledgeHit(
                source="workarounds",
                title=known_error.title,
                url="" if portal else reverse("record", args=[known_error.problem.number]),
                number="" if portal else known_error.problem.number,
                body=known_error.workaround or known_error.symptoms,
                rank=float(getattr(known_error, "search_rank", 0.0) or 0.0),
                pk=known_error.pk,
                summary=Truncator(known_error.symptoms).chars(160),
            )
        )
    return hits


def register_workaround_source() -> None:
    register_knowledge_source(KnowledgeSource("workarounds", _("Workarounds"), workaround_hits, order=20))
