"""What change management gives management information: the success rate of the changes reviewed, the
share of emergency changes, and the changes that caused incidents. Registered with the reporting
registry in `ready()`; read from this app's own tables."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from servicedesk.models import RecordLink
from servicedesk.reporting.aggregate import grouped, in_period, percent, process_rows, rows_for
from servicedesk.reporting.measures import Column, Measure, Query, Result, register_measure

from . import workflow as wf
from .links import CHANGE_CAUSED
from .models import Change

SECTION = _("Changes")
KINDS = ("change",)
FILTERS = ("group", "agent", "priority", "service")
BREAKDOWNS = ("period", "group", "agent", "priority")


def _on_services(ids) -> Q:
    return Q(pk__in=Change.objects.filter(services__in=ids).values("pk"))


def _changes(query: Query):
    return process_rows(Change.objects.all(), query, services=_on_services)


def _chart(query: Query) -> str:
    return "line" if query.by == "period" else "bar"


def _totals(rows, names) -> dict:
    return {name: sum(row.values[name] for row in rows) for name in names}


def success_compute(query: Query) -> Result:
    rows = _changes(query).filter(in_period("reviewed_at", query)).exclude(review_outcome="")
    outcome = Change.Outcome
    aggregates = {
        "reviewed": Count("id"),
        "successful": Count("id", filter=Q(review_outcome=outcome.SUCCESSFUL)),
        "partial": Count("id", filter=Q(review_outcome=outcome.PARTIAL)),
        "failed": Count("id", filter=Q(review_outcome=outcome.FAILED)),
        "backed_out": Count("id", filter=Q(review_outcome=outcome.BACKED_OUT)),
    }
    result_rows = rows_for(query, grouped(rows, query, "reviewed_at", **aggregates), list(aggregates))
    for row in result_rows:
        row.values["rate"] = percent(row.values["successful"], row.values["reviewed"])
    totals = _totals(result_rows, aggregates)
    totals["rate"] = percent(totals["successful"], totals["reviewed"])
    return Result(
        columns=[
            Column("reviewed", _("Reviewed")),
            Column("successful", _("Successful")),
            Column("partial", _("Partially successful")),
            Column("failed", _("Failed")),
            Column("backed_out", _("Backed out")),
            Column("rate", _("Success rate"), "percent"),
        ],
        rows=result_rows,
        chart=_chart(query),
        totals=totals,
    )


def types_compute(query: Query) -> Result:
    # Drafts never submitted are no change to the estate yet: counted once submitted.
    rows = _changes(query).filter(in_period("created_at", query)).exclude(status=wf.DRAFT)
    aggregates = {
        "raised": Count("id"),
        "standard": Count("id", filter=Q(change_type=wf.STANDARD)),
        "normal": Count("id", filter=Q(change_type=wf.NORMAL)),
        "emergency": Count("id", filter=Q(change_type=wf.EMERGENCY)),
    }
    result_rows = rows_for(query, grouped(rows, query, "created_at", **aggregates), list(aggregates))
    for row in result_rows:
        row.values["share"] = percent(row.values["emergency"], row.values["raised"])
    totals = _totals(result_rows, aggregates)
    totals["share"] = percent(totals["emergency"], totals["raised"])
    return Result(
        columns=[
            Column("raised", _("Changes raised")),
            Column("standard", _("Standard")),
            Column("normal", _("Normal")),
            Column("emergency", _("Emergency")),
            Column("share", _("Emergency share"), "percent"),
        ],
        rows=result_rows,
        chart=_chart(query),
        totals=totals,
    )


def causing_compute(query: Query) -> Result:
    caused = RecordLink.objects.filter(
        link_type=CHANGE_CAUSED,
        source_type=ContentType.objects.get_for_model(Change),
        source_id=OuterRef("pk"),
    )
    rows = _changes(query).filter(in_period("actual_end", query)).annotate(_caused=Exists(caused))
    aggregates = {"implemented": Count("id"), "causing": Count("id", filter=Q(_caused=True))}
    result_rows = rows_for(query, grouped(rows, query, "actual_end", **aggregates), list(aggregates))
    for row in result_rows:
        row.values["rate"] = percent(row.values["causing"], row.values["implemented"])
    totals = _totals(result_rows, aggregates)
    totals["rate"] = percent(totals["causing"], totals["implemented"])
    return Result(
        columns=[
            Column("implemented", _("Implemented")),
            Column("causing", _("Causing incidents")),
            Column("rate", _("Share causing incidents"), "percent"),
        ],
        rows=result_rows,
        chart=_chart(query),
        totals=totals,
    )


def register_change_measures(order: int = 300) -> None:
    common = {"section": SECTION, "filters": FILTERS, "breakdowns": BREAKDOWNS, "kinds": KINDS}
    definitions = [
        (
            "change_success",
            _("Change success rate"),
            _(
                "Changes whose post-implementation review was recorded in the period, by outcome "
                "(successful, partially successful, failed, backed out), and the share successful."
            ),
            success_compute,
        ),
        (
            "change_types",
            _("Emergency changes"),
            _(
                "Changes raised in the period (drafts never submitted left out) by type, and the share "
                "of emergency changes."
            ),
            types_compute,
        ),
        (
            "changes_causing_incidents",
            _("Changes causing incidents"),
            _(
                "Changes whose implementation ended in the period (implemented, failed or backed out), "
                "and those linked to at least one incident they possibly caused."
            ),
            causing_compute,
        ),
    ]
    for position, (key, label, definition, compute) in enumerate(definitions):
        register_measure(
            Measure(
                key=key, label=label, definition=definition, compute=compute, order=order + position, **common
            )
        )
