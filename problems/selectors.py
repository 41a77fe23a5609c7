"""Reads of problems and the KEDB, for pages, the API and tasks."""

from django.db.models import QuerySet

from servicedesk.errors import NotFound

from .models import Problem
from .permissions import ProblemPolicy


def problem_list_for_user(*, user) -> QuerySet[Problem]:
    return ProblemPolicy.visible_to(user).select_related("support_group", "assignee", "service")


def problem_get_for_user(*, user, number: str) -> Problem:
    found = (
        problem_list_for_user(user=user)
        .select_related("requester", "created_by", "category", "known_error")
        .filter(number=number)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def problem_incidents(*, problem: Problem, user) -> list:
    """The links of `problem` to incidents `user` may see (`LinkedRecord`s, oldest first)."""
    from servicedesk.records.selectors import record_links

    from .links import PROBLEM_INCIDENTS

    return record_links(record=problem, user=user, types=[PROBLEM_INCIDENTS])


def problem_of_incident(incident) -> Problem | None:
    """The problem `incident` is linked to, whoever asks (services decide what to show), or None."""
    from django.contrib.contenttypes.models import ContentType

    from servicedesk.models import RecordLink

    from .links import PROBLEM_INCIDENTS

    problem_id = (
        RecordLink.objects.filter(
            link_type=PROBLEM_INCIDENTS,
            target_type=ContentType.objects.get_for_model(incident),
            target_id=incident.pk,
        )
        .values_list("source_id", flat=True)
        .first()
    )
    return None if problem_id is None else Problem.objects.filter(pk=problem_id).first()


# What a title's likeness to the words (pg_trgm's word similarity; the threshold is the kernel's
# `WORD_SIMILARITY_THRESHOLD`) weighs in the ranking beside `ts_rank` (a title match ranks about 0.6 to 1, a
# match in the workaround alone about 0.1).
SIMILARITY_WEIGHT = 0.5
# With this many entries matching the words themselves, titles that merely look like them are not sought.
ENOUGH_MATCHES = 10


def known_error_search(*, user, text: str = "", service=None, ci=None, portal: bool = False):
    """The known errors `user` may read (with `portal`, only those published to the portal) matching the
    words `text` (title before symptoms before workaround; English stems, partial words, Chinese pairs:
    `servicedesk.records.search`), on `service` or `ci` when given; best matches first, annotated with
    `search_rank`. On PostgreSQL, when the words themselves match fewer than `ENOUGH_MATCHES` entries, a
    title that looks like them (pg_trgm's word similarity) matches too, so a typo still finds the entry,
    after the entries that match the words themselves."""
    rows = ProblemPolicy.portal_known_errors() if portal else ProblemPolicy.known_errors_visible_to(user)
    if service is not None:
        rows = rows.filter(services=service)
    if ci is not None:
        rows = rows.filter(cis=ci)
    if text.strip():
        rows = _ranked(rows, text)
    return rows.select_related("problem")


def _ranked(rows: QuerySet, text: str) -> QuerySet:
    from django.contrib.postgres.lookups import TrigramWordSimilar
    from django.contrib.postgres.search import SearchRank, TrigramWordSimilarity
    from django.db import connection
    from django.db.models import F, FloatField, Q, Value
    from django.db.models.functions import Coalesce, Upper

    from servicedesk.records.search import RANK_WEIGHTS, search_query, search_records

    from .models import KNOWN_ERROR_SEARCH

    if connection.vendor != "postgresql":
        return search_records(rows, text, KNOWN_ERROR_SEARCH)
    words = " ".join(text.split()[:10])
    matched = search_records(rows, words, KNOWN_ERROR_SEARCH, ranked=False).values("pk")
    rank = SearchRank(F("search_document"), search_query(words), weights=RANK_WEIGHTS)
    zero = Value(0.0, output_field=FloatField())
    if len(matched[:ENOUGH_MATCHES]) >= ENOUGH_MATCHES:
        # The words themselves match enough entries: no typo to forgive.
        return (
            rows.filter(pk__in=matched)
            .annotate(search_rank=Coalesce(rank, zero))
            .order_by("-search_rank", "-pk")
        )
    # Few or none: titles that look like the words too, each side through its index (`%>` through the
    # title's trigram index), rather than either compared row by row.
    alike = rows.filter(TrigramWordSimilar(Upper("title"), Value(words.upper()))).values("pk")
    return (
        rows.filter(Q(pk__in=matched) | Q(pk__in=alike))
        .annotate(title_likeness=TrigramWordSimilarity(Value(words.upper()), Upper("title")))
        .annotate(search_rank=Coalesce(rank, zero) + F("title_likeness") * SIMILARITY_WEIGHT)
        .order_by("-search_rank", "-pk")
    )


def known_error_usage(known_errors) -> dict[int, dict]:
    """For each known error (by id): how often its workaround was applied, and to how many incidents that
    were reopened since; in one query."""
    from django.db.models import Count, F, Q

    from .models import WorkaroundApplication

    rows = (
        WorkaroundApplication.objects.filter(known_error__in=list(known_errors))
        .values("known_error")
        .annotate(
            applied=Count("id"),
            reopened=Count("id", filter=Q(incident__reopen_count__gt=F("reopen_count_then"))),
        )
    )
    return {row["known_error"]: {"applied": row["applied"], "reopened": row["reopened"]} for row in rows}


def candidate_list_for_user(*, user, status: str | None = None):
    """The problem candidates a problem manager decides (nobody else sees any), with their incidents
    (newest first) and problem prefetched: a page of them in a fixed number of queries."""
    from django.db.models import Prefetch

    from incidents.models import Incident

    from .models import ProblemCandidate

    if not ProblemPolicy.can_decide_candidates(user):
        return ProblemCandidate.objects.none()
    rows = ProblemCandidate.objects.select_related("problem", "decided_by").prefetch_related(
        Prefetch(
            "incidents",
            queryset=Incident.objects.only("id", "number", "title", "status", "created_at").order_by(
                "-created_at", "-id"
            ),
        )
    )
    return rows.filter(status=status) if status else rows


def candidate_get_for_user(*, user, pk):
    """One candidate for a problem manager; NotFound for anyone else or an unknown id."""
    found = candidate_list_for_user(user=user).filter(pk=pk).first() if str(pk).isdigit() else None
    if found is None:
        raise NotFound()
    return found


def incident_by_number_for_user(*, user, number: str):
    """The incident numbered `number` (any spelling the jump box takes) that `user` may see, or None: for
    pages that act on an incident named in their address or form."""
    from incidents.selectors import incident_get_for_user
    from servicedesk.kinds import parse_number

    parsed = parse_number(number or "")
    if parsed is None or parsed[0].code != "incident":
        return None
    try:
        return incident_get_for_user(user=user, number=parsed[1])
    except NotFound:
        return None
