"""Word search over records: one machinery for every kind (queue, portal, API, KEDB).

On PostgreSQL a record carries `search_document`, a stored generated `tsvector` over its weighted text
(`Ticket`: title A, description B, public comments C, kept in `search_comments` by the comment service),
indexed with GIN. Each text goes in twice: stemmed with the `english` configuration ("printers" finds
"printer"), and as overlapping pairs of CJK characters with the `simple` one (`search_cjk_bigrams`, a SQL
function created by the kernel's migration), because Chinese has no spaces: PostgreSQL's parser reads a
run of Chinese as one word, and pg_trgm's trigrams of a two-character word never match inside a longer run.
A query is read as `websearch_to_tsquery` reads it (quotes, `-word`, `or`), its Chinese runs turned into
their pairs, ANDed. A title containing every word of four letters or more also matches (a trigram GIN
index on the title: partial words, "netw" or "work" in "network"). Matches come best first (`ts_rank`: a
title match before a description match), then newest first.

Elsewhere (SQLite, `make run`), every word must appear in one of the kind's fields, case-insensitive.

A kind declares what it searches with `RecordSearch` on its registration; `Ticket` gives every record
kind the columns and `search_document_field` builds the column a model with other fields would declare.
"""

import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector, SearchVectorField
from django.db import connection
from django.db.models import Expression, F, FloatField, Func, Max, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce
from django.utils.deconstruct import deconstructible

from servicedesk.kinds import parse_number

# The characters written without spaces between words: CJK ideographs (with extension A and the
# compatibility block), Japanese kana. Kept in step with the SQL function `search_cjk_bigrams`.
CJK_CLASS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_RUN = re.compile(f"[{CJK_CLASS}]+")
# The most words a query is read for: a query is a few words, never a document.
MAX_WORDS = 10
# The shortest word the title's trigram index finds inside another: two letters have no trigram, and
# three ("the", "net") match too much to be worth it; shorter words are matched as whole words only.
TRIGRAM_MIN_LENGTH = 4
# `ts_rank`'s weights for D, C, B, A: a title match well above a description match, above a comment's.
RANK_WEIGHTS = [0.05, 0.2, 0.4, 1.0]
# How close a title must come to the words typed for `trigram_word_similar` (pg_trgm's `%>`, which the title's
# trigram index serves) to find it despite a typo: "vpm dropps" is 0.5 of "VPN drops every hour". pg_trgm
# reads it from the session (`pg_trgm.word_similarity_threshold`, 0.6 by default), set on each connection.
WORD_SIMILARITY_THRESHOLD = 0.4


def search_session_settings(sender, connection, **kwargs) -> None:
    """`connection_created`: the session's word-likeness threshold (PostgreSQL only)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET pg_trgm.word_similarity_threshold = {float(WORD_SIMILARITY_THRESHOLD)}")


# The most matches ranked: the newest ones. Finding them walks the primary key from the newest record and
# reads ~MAX_RANKED / (share of records matching) rows: 200 keeps a word in 2 % of 1,000,000 records near
# 10,000 rows. More matches than this ask for more words.
MAX_RANKED = 200
# The newest records a ranked search walks in key order before it asks the GIN index for older matches.
RECENT_WINDOW = 20_000
# The most text of public comments kept for search (a tsvector holds at most 1 MB).
MAX_COMMENTS_TEXT = 50_000


@dataclass(frozen=True)
class RecordSearch:
    """What a kind searches: its text fields and their weights (A, highest, to D), the field whose words
    a trigram index also finds inside other words, and the generated document column."""

    fields: tuple[tuple[str, str], ...] = (("title", "A"), ("description", "B"), ("search_comments", "C"))
    trigram_field: str = "title"
    document_field: str = "search_document"


TICKET_SEARCH = RecordSearch()


@deconstructible(path="servicedesk.records.search.SearchDocument")
class SearchDocument(Expression):
    """The weighted `tsvector` of a row's text fields, words stemmed in English plus pairs of CJK
    characters; for a generated column. NULL on databases without full-text search (SQLite)."""

    output_field = SearchVectorField()

    def __init__(self, *weighted_fields: tuple[str, str]):
        super().__init__()
        self.weighted_fields = tuple(tuple(pair) for pair in weighted_fields)
        parts = []
        for name, weight in self.weighted_fields:
            parts.append(SearchVector(F(name), config="english", weight=weight))
            parts.append(
                SearchVector(Func(F(name), function="search_cjk_bigrams"), config="simple", weight=weight)
            )
        document = parts[0]
        for part in parts[1:]:
            document = document + part
        self.document = document

    def __repr__(self):
        return f"SearchDocument{self.weighted_fields!r}"

    def __eq__(self, other):
        return isinstance(other, SearchDocument) and other.weighted_fields == self.weighted_fields

    def __hash__(self):
        return hash((SearchDocument, self.weighted_fields))

    def get_source_expressions(self):
        return [self.document]

    def set_source_expressions(self, exprs):
        (self.document,) = exprs

    def as_sql(self, compiler, connection):
        return "NULL", []

    def as_postgresql(self, compiler, connection):
        return compiler.compile(self.document)


def search_document_field(search: RecordSearch = TICKET_SEARCH):
    """The stored generated column holding the search document of `search`'s fields."""
    from django.db.models import GeneratedField

    return GeneratedField(
        expression=SearchDocument(*search.fields),
        output_field=SearchVectorField(),
        db_persist=True,
        editable=False,
    )


def comments_text_append(record, body: str) -> str:
    """Add a public comment's text to `record.search_comments` (in memory, capped); returns the field's
    name for the caller's save, which already writes the record (the version moves on)."""
    text = f"{record.search_comments}\n{body}" if record.search_comments else body
    record.search_comments = text[:MAX_COMMENTS_TEXT]
    return "search_comments"


def cjk_bigrams(text: str) -> list[str]:
    """Each run of CJK characters as its overlapping pairs, and its last character alone (so a single
    character query finds it as a prefix): "网络故障" -> 网络 络故 故障 障. Mirrors `search_cjk_bigrams`."""
    tokens = []
    for run in CJK_RUN.findall(text):
        tokens.extend(run[i : i + 2] for i in range(len(run)))
    return tokens


def _cjk_query(text: str) -> str:
    """A raw `simple` tsquery ANDing the CJK pairs of `text` ('网络' & '络故'; a lone character as a
    prefix), or "" when it has none."""
    terms = []
    for run in CJK_RUN.findall(text)[:MAX_WORDS]:
        if len(run) == 1:
            terms.append(f"'{run}':*")
        else:
            terms.extend(f"'{run[i : i + 2]}'" for i in range(len(run) - 1))
    return " & ".join(dict.fromkeys(terms))


_TOKEN = re.compile(r'-?"[^"]*"?|\S+')


def _plain_words(text: str) -> list[str] | None:
    """The words a title must contain for a trigram match, or None when the query uses websearch's
    operators (quotes, `-word`, `or`), Chinese (its pairs are indexed) or a word too short for the
    trigram index."""
    words = _TOKEN.findall(text)
    if not words or any(_not_for_trigrams(word) for word in words):
        return None
    return words


def _not_for_trigrams(word: str) -> bool:
    return (
        word.startswith(('"', "-"))
        or word.lower() == "or"
        or CJK_RUN.search(word) is not None
        or len(word) < TRIGRAM_MIN_LENGTH
    )


def records_search(queryset: QuerySet, text: str, *, kind=None, ranked: bool = True) -> QuerySet:
    """`queryset` narrowed to what `text` asks for: the record with that number (`INC0001234`, `inc42`),
    or the records matching its words as `search_records` finds them, with the fields `kind` declares."""
    parsed = parse_number(text)
    if parsed is not None:
        return queryset.filter(number=parsed[1])
    search = getattr(kind, "search", None) or TICKET_SEARCH
    return search_records(queryset, text, search, ranked=ranked)


def search_records(
    queryset: QuerySet, text: str, search: RecordSearch = TICKET_SEARCH, *, ranked: bool = True
) -> QuerySet:
    """`queryset` narrowed to the records matching the words `text`. Ranked: the newest
    `MAX_RANKED` matches, best first (`search_rank`), then newest; else every match, in the queryset's
    order (the API's cursor keeps its own). Elsewhere than PostgreSQL, the records whose fields contain
    every word, newest first. Who may see what stays the queryset's business: apply every other filter
    first, since a ranked search narrows to its candidates."""
    text = " ".join(text.split()[:MAX_WORDS])
    if not text:
        return queryset
    if connection.vendor != "postgresql":
        return _search_fallback(queryset, text, search)
    query = _tsquery(text)
    words = _plain_words(text)
    # Partial words: a title containing each word (4+ letters), through the title's trigram index.
    trigram = Q(*(Q(**{f"{search.trigram_field}__icontains": word}) for word in words or ()))
    condition = (
        Q(**{search.document_field: query}) | trigram if words else Q(**{search.document_field: query})
    )
    if not ranked:
        return queryset.filter(condition)
    rank = SearchRank(F(search.document_field), query, weights=RANK_WEIGHTS)
    # The same condition on an expression no index covers, for reading the newest records in key order.
    unindexed = Coalesce(F(search.document_field), Cast(Value(""), SearchVectorField()))
    walked = Q(search_walked=query) | trigram if words else Q(search_walked=query)
    walked = queryset.alias(search_walked=unindexed).filter(walked)
    candidates = RawSQL(*_newest_matches(walked, queryset.filter(condition)))  # noqa: S611 (querysets)
    return queryset.filter(pk__in=candidates).annotate(search_rank=rank).order_by("-search_rank", "-pk")


def _newest_matches(walked: QuerySet, matches: QuerySet) -> tuple[str, list]:
    """SQL for the ids of the newest `MAX_RANKED` matches, at a cost bounded whatever the planner
    guesses of a word's frequency: first among the newest `RECENT_WINDOW` records, walking the primary
    key (a common word fills the list there, and the second part never runs); then, only if fewer were
    found, among the older ones through the GIN index (ordered by an expression, so the planner cannot
    walk the whole primary key for a word it wrongly thinks common: a rare or absent word)."""
    # The window's floor is read first (one index probe) and passed as a value: as a subquery it would be a
    # parameter the planner cannot see, and it would guess a third of the table and scan all of it.
    newest = matches.model._base_manager.aggregate(newest=Max("pk"))["newest"] or 0
    floor = newest - RECENT_WINDOW
    recent = walked.filter(pk__gt=floor).order_by("-pk").values("pk")[:MAX_RANKED]
    older = (
        matches.filter(pk__lte=floor)
        .annotate(newest=F("pk") + 0)
        .order_by("-newest")
        .values("pk")[:MAX_RANKED]
    )
    recent_sql, recent_params = recent.query.sql_with_params()
    older_sql, older_params = older.query.sql_with_params()
    sql = f"SELECT c.id FROM (({recent_sql}) UNION ALL ({older_sql})) AS c(id) LIMIT {MAX_RANKED}"  # noqa: S608
    return sql, [*recent_params, *older_params]


def search_query(text: str) -> SearchQuery | None:
    """The query `search_records` matches `text` with (its first `MAX_WORDS` words), for a caller that
    ranks matches its own way (`SearchRank` with `RANK_WEIGHTS`); None for blank text."""
    text = " ".join(text.split()[:MAX_WORDS])
    return _tsquery(text) if text else None


def _tsquery(text: str) -> SearchQuery:
    """The words of `text` as websearch reads them, ANDed with its CJK runs as pairs."""
    latin = CJK_RUN.sub(" ", text).strip()
    cjk = _cjk_query(text)
    query = SearchQuery(latin, config="english", search_type="websearch") if latin else None
    if cjk:
        cjk_query = SearchQuery(cjk, config="simple", search_type="raw")
        query = cjk_query if query is None else query & cjk_query
    return query


def _search_fallback(queryset: QuerySet, text: str, search: RecordSearch) -> QuerySet:
    for token in text.split():
        word = token.strip('"-')
        if not word or word.lower() == "or":
            continue
        condition = Q()
        for name, _weight in search.fields:
            condition |= Q(**{f"{name}__icontains": word})
        queryset = queryset.exclude(condition) if token.startswith("-") else queryset.filter(condition)
    return queryset.annotate(search_rank=Value(0.0, output_field=FloatField())).order_by("-pk")
