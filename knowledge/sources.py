"""The knowledge sources one search box reads: articles (this app) and whatever higher apps register
(problems: the workarounds of published known errors), each answering with labelled hits.

A source registers itself in its app's `AppConfig.ready()` (`register_knowledge_source`); the knowledge
app never imports the apps above it. Each source answers in a constant number of queries."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _


@dataclass
class KnowledgeHit:
    """One thing found: what it is (`source`'s label), its title, where to read it (or its text shown in
    place, Markdown, where it has no page of its own for the reader), and how well it matched."""

    source: str
    title: str
    url: str = ""
    number: str = ""
    body: str = ""  # Markdown shown in place when there is no page to open
    summary: str = ""  # plain text, a line or two
    rank: float = 0.0
    pk: int | None = None
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class KnowledgeSource:
    """A place knowledge comes from: `search(user=, text=, portal=, limit=)` -> list[KnowledgeHit]."""

    key: str
    label: Any  # a lazy translation, plural: "Articles"
    search: Callable[..., list[KnowledgeHit]]
    order: int = 100


_SOURCES: dict[str, KnowledgeSource] = {}


def register_knowledge_source(source: KnowledgeSource) -> None:
    existing = _SOURCES.get(source.key)
    if existing is not None and existing != source:
        raise ValueError(f"Knowledge source {source.key!r} is already registered.")
    _SOURCES[source.key] = source


def knowledge_sources() -> list[KnowledgeSource]:
    return sorted(_SOURCES.values(), key=lambda source: (source.order, source.key))


def register_article_source() -> None:
    from .selectors import article_hits

    register_knowledge_source(KnowledgeSource("articles", _("Articles"), article_hits, order=10))
