"""Deflection in the portal (issue 15, item 4): while a requester types the title of a new incident, the
portal suggests the workarounds published to the portal and the open major incidents on the chosen
service; "this solved it" files nothing and is counted, and so is filing anyway.

Each rendering of the new-incident form carries a token; the suggestions shown under it are kept in the
requester's session, so a suggestion is counted as shown once per form however often the title changes,
and filing the form counts "filed anyway" for exactly what that form showed. Requesters see the known
errors published to the portal (symptoms and workaround, never the problem behind them) and the title
of a major incident, nothing else.
"""

import secrets

from django.db import transaction
from django.db.models import Count, Q

from incidents import workflow as incident_workflow
from incidents.models import Incident
from knowledge.selectors import article_search

from .models import Deflection, KnownError
from .selectors import known_error_search

SESSION_KEY = "problems.deflection"
TOKENS_KEPT = 20  # forms a session remembers: older tabs count nothing more
MIN_TEXT = 3  # characters of a title before anything is suggested (two Chinese characters count as words)
MAX_KNOWN_ERRORS = 3
MAX_ARTICLES = 3
MAX_MAJOR_INCIDENTS = 3


# Suggestions --------------------------------------------------------------------------------------------


def deflection_suggestions(*, user, text: str, service=None) -> dict:
    """What to suggest for a new incident titled `text` on `service`: the best-matching known errors
    published to the portal (their workarounds), the best-matching knowledge articles published to the
    portal (in the requester's language where they have it) and the open major incidents on the service."""
    text = " ".join((text or "").split())[:200]
    known_errors = []
    articles = []
    if len(text) >= MIN_TEXT or (_has_cjk(text) and len(text) >= 2):
        known_errors = list(known_error_search(user=user, text=text, portal=True)[:MAX_KNOWN_ERRORS])
        articles = article_search(user=user, text=text, portal=True, limit=MAX_ARTICLES)
    majors = []
    if service is not None:
        majors = list(
            Incident.objects.filter(
                service=service, is_major=True, status__in=incident_workflow.OPEN_STATUSES
            )
            .only("pk", "number", "title", "created_at", "service_id")
            .order_by("-created_at", "-pk")[:MAX_MAJOR_INCIDENTS]
        )
    return {"known_errors": known_errors, "articles": articles, "major_incidents": majors}


def _has_cjk(text: str) -> bool:
    return any("\u3400" <= char <= "\u9fff" for char in text)


def portal_known_error_get(pk) -> KnownError | None:
    return KnownError.objects.filter(status=KnownError.Status.PORTAL, pk=_int(pk)).first()


def open_major_incident_get(pk) -> Incident | None:
    return Incident.objects.filter(
        pk=_int(pk), is_major=True, status__in=incident_workflow.OPEN_STATUSES
    ).first()


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


# The form's token ---------------------------------------------------------------------------------------


def deflection_token(request, given: str = "") -> str:
    """The token of this rendering of the form: `given` (a form sent back with errors) if the session
    knows it, else a new one remembered in the session."""
    tokens = request.session.get(SESSION_KEY, {})
    if given and given in tokens:
        return given
    token = secrets.token_urlsafe(12)
    tokens[token] = {"ke": [], "mi": []}
    while len(tokens) > TOKENS_KEPT:
        tokens.pop(next(iter(tokens)))
    request.session[SESSION_KEY] = tokens
    return token


def _shown(request, token: str) -> dict | None:
    return request.session.get(SESSION_KEY, {}).get(token or "")


def _forget(request, token: str) -> dict | None:
    tokens = request.session.get(SESSION_KEY, {})
    shown = tokens.pop(token or "", None)
    if shown is not None:
        request.session[SESSION_KEY] = tokens
    return shown


# Counting -----------------------------------------------------------------------------------------------


def deflection_record_shown(*, request, token: str, suggestions: dict) -> int:
    """Count the suggestions shown under `token` that it had not shown yet; returns how many. A token
    the session does not know (forged, or forgotten) counts nothing."""
    shown = _shown(request, token)
    if shown is None:
        return 0
    user = request.user
    rows = [
        Deflection(known_error=row, user=user, outcome=Deflection.Outcome.SHOWN)
        for row in suggestions["known_errors"]
        if row.pk not in shown["ke"]
    ] + [
        Deflection(major_incident=row, user=user, outcome=Deflection.Outcome.SHOWN)
        for row in suggestions["major_incidents"]
        if row.pk not in shown["mi"]
    ]
    if rows:
        Deflection.objects.bulk_create(rows)
        shown["ke"] += [row.known_error_id for row in rows if row.known_error_id]
        shown["mi"] += [row.major_incident_id for row in rows if row.major_incident_id]
        request.session.modified = True
    return len(rows)


def deflection_accept(*, request, token: str, known_error=None, major_incident=None) -> bool:
    """ "This solved it": count the suggestion as accepted, once per form (the token is spent, so the
    form counts nothing more). Returns whether it was counted."""
    if (known_error is None) == (major_incident is None):
        raise ValueError("Accept one known error or one major incident.")
    if _forget(request, token) is None:
        return False
    Deflection.objects.create(
        known_error=known_error,
        major_incident=major_incident,
        user=request.user,
        outcome=Deflection.Outcome.ACCEPTED,
    )
    return True


def deflection_filed(request, record=None, **values) -> int:
    """The form was filed anyway (the slot's `on_submit`): count each suggestion its token showed."""
    shown = _forget(request, request.POST.get("deflection_token", ""))
    if not shown:
        return 0
    user = request.user
    rows = [
        Deflection(known_error_id=pk, user=user, outcome=Deflection.Outcome.FILED) for pk in shown["ke"]
    ] + [Deflection(major_incident_id=pk, user=user, outcome=Deflection.Outcome.FILED) for pk in shown["mi"]]
    if rows:
        with transaction.atomic():
            Deflection.objects.bulk_create(rows)
    return len(rows)


# Reading the counts -------------------------------------------------------------------------------------


def deflection_counts(known_errors) -> dict[int, dict]:
    """For each known error (by id): how often the portal showed it, how often it solved the requester's
    issue (nothing filed) and how often they filed anyway; in one query. Known errors never shown are
    absent."""
    rows = (
        Deflection.objects.filter(known_error__in=list(known_errors))
        .values("known_error")
        .annotate(
            shown=Count("id", filter=Q(outcome=Deflection.Outcome.SHOWN)),
            accepted=Count("id", filter=Q(outcome=Deflection.Outcome.ACCEPTED)),
            filed=Count("id", filter=Q(outcome=Deflection.Outcome.FILED)),
        )
    )
    return {
        row["known_error"]: {"shown": row["shown"], "accepted": row["accepted"], "filed": row["filed"]}
        for row in rows
    }


def deflection_totals() -> dict[str, int]:
    """Every suggestion the portal made, by outcome (for the KEDB's page and reports)."""
    rows = Deflection.objects.order_by().values("outcome").annotate(n=Count("id"))
    totals = dict.fromkeys(Deflection.Outcome.values, 0)
    totals.update({row["outcome"]: row["n"] for row in rows})
    return totals
