"""What release management gives management information: releases delivered on time, failed and rolled
back. Registered with the reporting registry in `ready()`; read from this app's own tables."""

from django.db.models import Count, F, Q
from django.utils.translation import gettext_lazy as _

from servicedesk.reporting.aggregate import grouped, in_period, percent, process_rows, rows_for
from servicedesk.reporting.measures import Column, Measure, Query, Result, register_measure

from . import workflow as wf
from .models import Release

SECTION = _("Releases")
KINDS = ("release",)
FILTERS = ("group", "agent", "priority", "service")
BREAKDOWNS = ("period", "group", "agent", "priority")


def _on_services(ids) -> Q:
    return Q(pk__in=Release.objects.filter(services__in=ids).values("pk"))


def delivery_compute(query: Query) -> Result:
    rows = process_rows(Release.objects.all(), query, services=_on_services).filter(
        in_period("actual_end", query)
    )
    extent = Release.RollbackExtent
    aggregates = {
        "ended": Count("id"),
        "planned": Count("id", filter=Q(planned_end__isnull=False)),
        "on_time": Count("id", filter=Q(actual_end__lte=F("planned_end"))),
        "failed": Count("id", filter=Q(status=wf.FAILED) | Q(outcome=Release.Outcome.FAILED)),
        "rolled_back_partly": Count("id", filter=Q(rollback_extent=extent.PARTIAL)),
        "rolled_back_wholly": Count("id", filter=Q(rollback_extent=extent.FULL)),
    }
    result_rows = rows_for(query, grouped(rows, query, "actual_end", **aggregates), list(aggregates))
    for row in result_rows:
        row.values["on_time_rate"] = percent(row.values["on_time"], row.values["planned"])
    totals = {name: sum(row.values[name] for row in result_rows) for name in aggregates}
    totals["on_time_rate"] = percent(totals["on_time"], totals["planned"])
    return Result(
        columns=[
            Column("ended", _("Deployments ended")),
            Column("on_time", _("On time")),
            Column("on_time_rate", _("On-time rate"), "percent"),
            Column("failed", _("Failed")),
            Column("rolled_back_partly", _("Partly rolled back")),
            Column("rolled_back_wholly", _("Wholly rolled back")),
        ],
        rows=result_rows,
        chart="line" if query.by == "period" else "bar",
        totals=totals,
    )


def register_release_measures(order: int = 400) -> None:
    register_measure(
        Measure(
            key="release_delivery",
            label=_("Releases on time"),
            definition=_(
                "Releases whose deployment ended in the period (deployed or failed): those that ended "
                "by their planned end (the on-time rate counts only releases with a planned end), those"
                " that failed, and those partly or wholly rolled back."
            ),
            section=SECTION,
            compute=delivery_compute,
            filters=FILTERS,
            breakdowns=BREAKDOWNS,
            kinds=KINDS,
            order=order,
        )
    )
