"""What problem management gives management information: problems open, filed and resolved; the KEDB's
known errors, their workarounds and how often they were applied; the incidents linked to problems; and
the incidents the portal's deflection avoided. Registered with the reporting registry in `ready()`; read
from this app's own tables (small volumes: plain aggregates grouped in the database)."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _

from servicedesk.models import RecordLink
from servicedesk.reporting.aggregate import (
    bucket_end,
    buckets,
    grouped,
    in_period,
    open_at,
    percent,
    process_rows,
    rows_for,
)
from servicedesk.reporting.measures import Column, Measure, Query, Result, register_measure

from .links import PROBLEM_INCIDENTS
from .models import Deflection, KnownError, Problem, WorkaroundApplication

SECTION = _("Problems")
KINDS = ("problem",)
FILTERS = ("group", "agent", "priority", "service")
BREAKDOWNS = ("period", "group", "agent", "priority")


def _on_services(prefix: str = ""):
    return lambda ids: Q(**{f"{prefix}service_id__in": ids})


def _problems(query: Query):
    return process_rows(Problem.objects.all(), query, services=_on_services())


def _chart(query: Query) -> str:
    return "line" if query.by == "period" else "bar"


def problems_compute(query: Query) -> Result:
    rows = _problems(query)
    found = {}
    for key, values in grouped(
        rows.filter(in_period("created_at", query)), query, "created_at", opened=Count("id")
    ).items():
        found.setdefault(key, {}).update(values)
    for key, values in grouped(
        rows.filter(in_period("resolved_at", query)), query, "resolved_at", resolved=Count("id")
    ).items():
        found.setdefault(key, {}).update(values)
    ended = ("resolved_at", "closed_at")
    if query.by == "period":
        ends = {f"d{i}": bucket_end(day, query) for i, day in enumerate(buckets(query))}
        counts = rows.aggregate(**open_at(ends, "created_at", ended)) if ends else {}
        for i, day in enumerate(buckets(query)):
            found.setdefault(day, {})["open"] = counts[f"d{i}"]
    else:
        for key, values in grouped(
            rows, query, None, **open_at({"open": query.end}, "created_at", ended)
        ).items():
            found.setdefault(key, {}).update(values)
        found = {key: values for key, values in found.items() if any(values.values())}
    result_rows = rows_for(query, found, ["opened", "resolved", "open"])
    return Result(
        columns=[
            Column("opened", _("Filed")),
            Column("resolved", _("Resolved")),
            Column("open", _("Open at the end of the period")),
        ],
        rows=result_rows,
        chart=_chart(query),
        totals={
            "opened": sum(row.values["opened"] for row in result_rows),
            "resolved": sum(row.values["resolved"] for row in result_rows),
        },
    )


def known_errors_compute(query: Query) -> Result:
    through = "problem__"
    entries = process_rows(
        KnownError.objects.all(), query, through=through, services=_on_services(through)
    ).filter(in_period("created_at", query))
    found = grouped(
        entries,
        query,
        "created_at",
        known_errors=Count("id"),
        with_workaround=Count("id", filter=~Q(workaround="")),
        published=Count("id", filter=Q(status__in=[KnownError.Status.AGENTS, KnownError.Status.PORTAL])),
    )
    through = "known_error__problem__"
    applied = process_rows(
        WorkaroundApplication.objects.all(), query, through=through, services=_on_services(through)
    ).filter(in_period("applied_at", query))
    for key, values in grouped(applied, query, "applied_at", applied=Count("id")).items():
        found.setdefault(key, {}).update(values)
    names = ["known_errors", "with_workaround", "published", "applied"]
    result_rows = rows_for(query, found, names)
    return Result(
        columns=[
            Column("known_errors", _("Known errors recorded")),
            Column("with_workaround", _("With a workaround")),
            Column("published", _("Published")),
            Column("applied", _("Workarounds applied")),
        ],
        rows=result_rows,
        chart=_chart(query),
        totals={name: sum(row.values[name] for row in result_rows) for name in names},
    )


def linked_incidents_compute(query: Query) -> Result:
    problem_type = ContentType.objects.get_for_model(Problem)
    problem = Problem.objects.filter(pk=OuterRef("source_id"))
    links = RecordLink.objects.filter(
        link_type=PROBLEM_INCIDENTS, source_type=problem_type, source_id__in=_problems(query).values("pk")
    ).annotate(
        support_group_id=Subquery(problem.values("support_group_id")),
        assignee_id=Subquery(problem.values("assignee_id")),
        priority=Subquery(problem.values("priority")),
    )
    found = grouped(
        links.filter(in_period("created_at", query)),
        query,
        "created_at",
        incidents=Count("target_id", distinct=True),
        problems=Count("source_id", distinct=True),
    )
    result_rows = rows_for(query, found, ["incidents", "problems"])
    whole = links.filter(in_period("created_at", query)).aggregate(
        incidents=Count("target_id", distinct=True), problems=Count("source_id", distinct=True)
    )
    return Result(
        columns=[
            Column("incidents", _("Incidents linked")),
            Column("problems", _("Problems they were linked to")),
        ],
        rows=result_rows,
        chart=_chart(query),
        totals=whole,
    )


def deflection_compute(query: Query) -> Result:
    through = "known_error__problem__"
    rows = process_rows(
        Deflection.objects.filter(known_error__isnull=False),
        query,
        through=through,
        services=_on_services(through),
    ).filter(in_period("created_at", query))
    outcome = Deflection.Outcome
    aggregates = {
        "shown": Count("id", filter=Q(outcome=outcome.SHOWN)),
        "avoided": Count("id", filter=Q(outcome=outcome.ACCEPTED)),
        "filed": Count("id", filter=Q(outcome=outcome.FILED)),
    }
    found = grouped(rows, query, "created_at", **aggregates)
    result_rows = rows_for(query, found, list(aggregates))
    for row in result_rows:
        row.values["rate"] = percent(row.values["avoided"], row.values["avoided"] + row.values["filed"])
    whole = rows.aggregate(**aggregates)
    whole["rate"] = percent(whole["avoided"], whole["avoided"] + whole["filed"])
    return Result(
        columns=[
            Column("shown", _("Workarounds suggested")),
            Column("avoided", _("Incidents avoided")),
            Column("filed", _("Filed anyway")),
            Column("rate", _("Deflection rate"), "percent"),
        ],
        rows=result_rows,
        chart=_chart(query),
        totals=whole,
    )


def register_problem_measures(order: int = 200) -> None:
    common = {"section": SECTION, "filters": FILTERS, "breakdowns": BREAKDOWNS, "kinds": KINDS}
    definitions = [
        (
            "problems",
            _("Problems"),
            _(
                "Problems filed and resolved in each period, and those open at its end (filed before it"
                " and neither resolved nor closed by then), by the group that holds them."
            ),
            problems_compute,
        ),
        (
            "known_errors",
            _("Known errors"),
            _(
                "Known errors recorded in the KEDB in each period, those with a workaround and those "
                "published (to agents or to the portal), and the workarounds applied to incidents in "
                "the period; by the group of the problem behind them."
            ),
            known_errors_compute,
        ),
        (
            "problem_incidents",
            _("Incidents linked to problems"),
            _(
                "Incidents linked to a problem in each period (each counted once), and how many "
                "problems they were linked to."
            ),
            linked_incidents_compute,
        ),
        (
            "deflection",
            _("Incidents avoided by deflection"),
            _(
                "The portal's suggestions of published workarounds while a requester typed a new "
                "incident: how often one was shown, solved the issue so nothing was filed (an incident"
                " avoided) or was not enough (filed anyway), and the share avoided of those that "
                "ended either way."
            ),
            deflection_compute,
        ),
    ]
    for position, (key, label, definition, compute) in enumerate(definitions):
        register_measure(
            Measure(
                key=key, label=label, definition=definition, compute=compute, order=order + position, **common
            )
        )
