"""The service desk's measures over `RecordFact`: volumes, backlog and its ageing, response and resolution
times, first-contact resolution, reopens, escalations, SLA compliance and risk, satisfaction and the
training-needs report. Each is defined here once, in words and in SQL; the incidents app registers them for
its kinds (`register_desk_measures`), with the dimensions and the drill-down only it knows."""

from datetime import timedelta

from django.db.models import Avg, Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .aggregate import (
    buckets,
    facts,
    grouped,
    grouped_percentiles,
    in_period,
    percent,
    row_records,
    rows_for,
)
from .measures import Column, Measure, Query, Result, Row, register_measure
from .rollups import EVENTS, tally, totals

SECTION = _("Service desk")
ALL_FILTERS = (
    "organisation",
    "department",
    "service",
    "category",
    "group",
    "agent",
    "priority",
    "kind",
    "channel",
)
BREAKDOWNS = (
    "period",
    "group",
    "agent",
    "service",
    "category",
    "priority",
    "channel",
    "organisation",
    "kind",
)
AGE_BANDS = [
    ("lt_1d", _("Under a day"), timedelta(0), timedelta(days=1)),
    ("d1_3", _("1 to 3 days"), timedelta(days=1), timedelta(days=3)),
    ("d3_7", _("3 to 7 days"), timedelta(days=3), timedelta(days=7)),
    ("d7_30", _("7 to 30 days"), timedelta(days=7), timedelta(days=30)),
    ("gt_30d", _("Over 30 days"), timedelta(days=30), None),
]
AT_RISK_HOURS = 4
_SLA_COUNTS = EVENTS["resolved"][1]


def _pick(found: dict, renames: dict) -> dict:
    """{row key: {new name: value}} of some figures of a tally."""
    return {key: {new: values.get(old, 0) for old, new in renames.items()} for key, values in found.items()}


def _merge(*parts: dict) -> dict:
    out = {}
    for part in parts:
        for key, values in part.items():
            out.setdefault(key, {}).update(values)
    return out


def _volumes(kinds):
    def compute(query: Query) -> Result:
        found = _merge(
            _pick(tally(query, kinds, "opened"), {"n": "opened"}),
            _pick(tally(query, kinds, "resolved"), {"n": "resolved"}),
        )
        result_rows = rows_for(
            query, found, ["opened", "resolved"], lambda key: row_records(query, key, opened=True)
        )
        return Result(
            columns=[Column("opened", pgettext_lazy("figures", "Opened")), Column("resolved", _("Resolved"))],
            rows=result_rows,
            chart="line" if query.by == "period" else "bar",
            totals={
                "opened": sum(r.values["opened"] for r in result_rows),
                "resolved": sum(r.values["resolved"] for r in result_rows),
            },
            records=row_records(query.but(by="period"), None, opened=True),
        )

    return compute


def _backlog(kinds):
    def compute(query: Query) -> Result:
        if query.by == "period":
            # At each period's end: filed by then and not yet ended (resolved or closed) by then: what
            # was open at the start, plus what was filed, less what ended, period after period.
            open_at_start = _before(query, kinds, "opened") - _before(query, kinds, "ended")
            opened, ended = tally(query, kinds, "opened"), tally(query, kinds, "ended")
            found, running = {}, open_at_start
            for day in buckets(query):
                running += opened.get(day, {}).get("n", 0) - ended.get(day, {}).get("n", 0)
                found[day] = {"backlog": running}
        else:
            end = query.end
            found = grouped(
                facts(query, kinds).filter(
                    Q(opened_at__lt=end) & (Q(ended_at__isnull=True) | Q(ended_at__gte=end))
                ),
                query,
                None,
                backlog=Count("id"),
            )
        result_rows = rows_for(query, found, ["backlog"], lambda key: row_records(query, key, open=True))
        return Result(
            columns=[Column("backlog", _("Open at the end of the period"))],
            rows=result_rows,
            chart="line" if query.by == "period" else "bar",
            records=row_records(query.but(by="period"), None, open=True),
        )

    return compute


def _before(query: Query, kinds, event: str) -> int:
    """How many records' `event` came before the query's start (from the first record on)."""
    earliest = query.start.replace(year=1970, month=1, day=1)
    found = tally(query.but(start=earliest, end=query.start, bucket="month", by="kind"), kinds, event)
    return sum(values.get("n", 0) for values in found.values())


def _ageing(kinds):
    def compute(query: Query) -> Result:
        now = query.now or timezone.now()
        rows = facts(query, kinds).filter(is_open=True)
        bands = {}
        for key, _label, low, high in AGE_BANDS:
            condition = Q(opened_at__lte=now - low)
            if high is not None:
                condition &= Q(opened_at__gt=now - high)
            bands[key] = Count("id", filter=condition)
        if query.by == "period":
            totals = rows.aggregate(**bands)
            result_rows = [
                Row(
                    key=key,
                    label=label,
                    values={"open": totals[key] or 0},
                    records=row_records(query, None, open=True, **_age_range(now, low, high)),
                )
                for key, label, low, high in AGE_BANDS
            ]
            return Result(columns=[Column("open", _("Open records"))], rows=result_rows, chart="bar")
        found = grouped(rows, query, None, **bands)
        return Result(
            columns=[Column(key, label) for key, label, _low, _high in AGE_BANDS],
            rows=rows_for(
                query,
                found,
                [key for key, *_rest in AGE_BANDS],
                lambda key: row_records(query, key, open=True),
            ),
            chart="stacked",
        )

    return compute


def _age_range(now, low, high) -> dict:
    out = {"opened_before": now - low}
    if high is not None:
        out["opened_from"] = now - high
    return out


def _times(kinds, time_field: str, prefix: str):
    """Median, 90th percentile and mean of `prefix`_business and `prefix`_wall over records whose
    `time_field` falls in the period."""

    def compute(query: Query) -> Result:
        rows = facts(query, kinds).filter(in_period(time_field, query))
        business, wall = f"{prefix}_business", f"{prefix}_wall"
        # Every value in one pass (a record with a business time has its wall time too).
        found = grouped_percentiles(
            rows.filter(**{f"{wall}__isnull": False}),
            query,
            time_field,
            {"count": Count("id"), "mean_business": Avg(business), "mean_wall": Avg(wall)},
            {
                "p50_business": (business, 0.5),
                "p90_business": (business, 0.9),
                "p50_wall": (wall, 0.5),
                "p90_wall": (wall, 0.9),
            },
        )
        # A percentile found for no record of a row (no calendar: no business time) is unknown, not 0.
        for values in found.values():
            for name in ("p50_business", "p90_business", "p50_wall", "p90_wall"):
                values.setdefault(name, None)
        names = [
            "count",
            "p50_business",
            "p90_business",
            "mean_business",
            "p50_wall",
            "p90_wall",
            "mean_wall",
        ]
        result_rows = rows_for(
            query,
            found,
            names,
            lambda key: row_records(query, key, **{f"{time_field.removesuffix('_at')}": True}),
        )
        for row in result_rows:
            for name in names[1:]:
                value = row.values[name]
                row.values[name] = (
                    None if value is None or (value == 0 and not row.values["count"]) else round(value)
                )
        return Result(
            columns=[
                Column("count", pgettext_lazy("figures", "Records")),
                Column("p50_business", _("Median (business time)"), "seconds"),
                Column("p90_business", _("90th percentile (business time)"), "seconds"),
                Column("mean_business", _("Mean (business time)"), "seconds"),
                Column("p50_wall", _("Median (elapsed)"), "seconds"),
                Column("p90_wall", _("90th percentile (elapsed)"), "seconds"),
                Column("mean_wall", _("Mean (elapsed)"), "seconds"),
            ],
            rows=result_rows,
            chart="line" if query.by == "period" else "bar",
        )

    return compute


def _rate(kinds, figure: str, column, label):
    """Of the records resolved in the period, how many count in `figure` of the resolved tally, and the
    share."""

    def compute(query: Query) -> Result:
        found = _pick(tally(query, kinds, "resolved"), {"n": "resolved", figure: column})
        result_rows = rows_for(
            query, found, ["resolved", column], lambda key: row_records(query, key, resolved=True)
        )
        for row in result_rows:
            row.values["rate"] = percent(row.values[column], row.values["resolved"])
        whole = totals(found)
        return Result(
            columns=[
                Column("resolved", _("Resolved")),
                Column(column, label),
                Column("rate", pgettext_lazy("figures", "Rate"), "percent"),
            ],
            rows=result_rows,
            chart="line" if query.by == "period" else "bar",
            totals={
                "resolved": whole.get("resolved", 0),
                column: whole.get(column, 0),
                "rate": percent(whole.get(column, 0), whole.get("resolved", 0)),
            },
        )

    return compute


def _escalations(kinds):
    def compute(query: Query) -> Result:
        found = _pick(
            tally(query, kinds, "opened"),
            {
                "n": "opened",
                "esc_functional": "functional",
                "esc_hierarchical": "hierarchical",
                "escalated": "escalated",
            },
        )
        names = ["opened", "functional", "hierarchical", "escalated"]
        result_rows = rows_for(query, found, names, lambda key: row_records(query, key, opened=True))
        for row in result_rows:
            row.values["rate"] = percent(row.values["escalated"], row.values["opened"])
        return Result(
            columns=[
                Column("opened", pgettext_lazy("figures", "Opened")),
                Column("functional", _("Functional escalations")),
                Column("hierarchical", _("Hierarchical escalations")),
                Column("escalated", _("Records escalated")),
                Column("rate", _("Share escalated"), "percent"),
            ],
            rows=result_rows,
            chart="stacked" if query.by == "period" else "bar",
        )

    return compute


def _sla(kinds):
    def compute(query: Query) -> Result:
        names = ["response_met", "response_breached", "resolution_met", "resolution_breached"]
        if query.policies:  # the rollup keeps no policy: the facts answer
            rows = facts(query, kinds).filter(in_period("resolved_at", query))
            found = grouped(rows, query, "resolved_at", **{name: _SLA_COUNTS[name] for name in names})
        else:
            found = _pick(tally(query, kinds, "resolved"), {name: name for name in names})
        # Each row's records are its breaches: what a manager opens the report to look into.
        result_rows = rows_for(
            query,
            found,
            names,
            lambda key: row_records(query, key, resolved=True, sla_breached=True),
        )
        for row in result_rows:
            for metric in ("response", "resolution"):
                met, breached = row.values[f"{metric}_met"], row.values[f"{metric}_breached"]
                row.values[f"{metric}_percent"] = percent(met, met + breached)
            row.values["breached"] = row.values["response_breached"] + row.values["resolution_breached"]
        whole = {name: totals(found).get(name, 0) for name in names}
        summary = {
            f"{m}_percent": percent(whole[f"{m}_met"], whole[f"{m}_met"] + whole[f"{m}_breached"])
            for m in ("response", "resolution")
        }
        summary["breached"] = whole["response_breached"] + whole["resolution_breached"]
        return Result(
            columns=[
                Column("response_percent", _("Response met"), "percent"),
                Column("resolution_percent", _("Resolution met"), "percent"),
                Column("response_breached", _("Response breaches")),
                Column("resolution_breached", _("Resolution breaches")),
                Column("breached", _("Breaches")),
            ],
            rows=result_rows,
            chart="line" if query.by == "period" else "bar",
            totals=summary,
            records=row_records(query.but(by="period"), None, resolved=True, sla_breached=True),
        )

    return compute


def _at_risk(kinds):
    def compute(query: Query) -> Result:
        now = query.now or timezone.now()
        rows = facts(query, kinds).filter(is_open=True)
        aggregates = {
            "breached": Count(
                "id",
                filter=Q(sla_due_at__lte=now) | Q(response_sla="breached") | Q(resolution_sla="breached"),
            ),
            "within_1h": Count("id", filter=Q(sla_due_at__gt=now, sla_due_at__lte=now + timedelta(hours=1))),
            "within_4h": Count(
                "id", filter=Q(sla_due_at__gt=now, sla_due_at__lte=now + timedelta(hours=AT_RISK_HOURS))
            ),
            "open": Count("id"),
        }
        by = query if query.by != "period" else query.but(by="group")
        found = grouped(rows, by, None, **aggregates)
        result_rows = rows_for(
            by,
            found,
            list(aggregates),
            lambda key: row_records(by, key, open=True, breaching_within=AT_RISK_HOURS * 60),
        )
        whole = rows.aggregate(**aggregates)
        return Result(
            columns=[
                Column("breached", _("Breached")),
                Column("within_1h", _("Due within an hour")),
                Column("within_4h", _("Due within 4 hours")),
                Column("open", pgettext_lazy("figures", "Open")),
            ],
            rows=result_rows,
            chart="stacked",
            totals=whole,
            records=row_records(query.but(by="period"), None, open=True, breaching_within=AT_RISK_HOURS * 60),
        )

    return compute


NOTES = 20


def _csat(kinds, comments):
    """`comments(query, facts)` -> the Notes of the rated facts with a comment (newest first, at most
    NOTES): the kind's app reads the words, which the facts do not keep."""

    def compute(query: Query) -> Result:
        rated = tally(query, kinds, "rated")
        found = _merge(
            _pick(rated, {"n": "ratings", "csat_sum": "sum", "commented": "commented", "low": "low"}),
            _pick(tally(query, kinds, "resolved"), {"n": "resolved"}),
        )
        names = ["ratings", "sum", "commented", "low", "resolved"]
        result_rows = rows_for(query, found, names, lambda key: row_records(query, key, rated=True))
        for row in result_rows:
            ratings, total = row.values["ratings"], row.values.pop("sum")
            row.values["average"] = round(total / ratings, 2) if ratings else None
            row.values["response_rate"] = percent(ratings, row.values["resolved"])
        whole = totals(rated)
        notes = []
        if comments is not None:
            commented = facts(query, kinds).filter(in_period("rated_at", query), csat_commented=True)
            notes = comments(query, commented.order_by("-rated_at", "-id")[:NOTES])
        return Result(
            notes=notes,
            columns=[
                Column("average", _("Average rating"), "rating"),
                Column("ratings", _("Ratings")),
                Column("response_rate", _("Response rate"), "percent"),
                Column("commented", _("With a comment")),
                Column("low", _("Rated 1 or 2")),
            ],
            rows=result_rows,
            chart="line" if query.by == "period" else "bar",
            totals={
                "ratings": whole.get("n", 0),
                "average": round(whole["csat_sum"] / whole["n"], 2) if whole.get("n") else None,
            },
        )

    return compute


def _training(kinds):
    def compute(query: Query) -> Result:
        found = _pick(tally(query, kinds, "opened"), {"n": "opened", "training_need": "needs"})
        result_rows = rows_for(
            query,
            found,
            ["opened", "needs"],
            lambda key: row_records(query, key, opened=True, training_need=True),
        )
        for row in result_rows:
            row.values["share"] = percent(row.values["needs"], row.values["opened"])
        return Result(
            columns=[
                Column("needs", _("How-to and first-line records")),
                Column("opened", _("All records")),
                Column("share", _("Share"), "percent"),
            ],
            rows=result_rows,
            chart="line" if query.by == "period" else "bar",
        )

    return compute


def register_desk_measures(kinds: tuple[str, ...], order: int = 0, comments=None) -> None:
    """The desk's measures over the facts of `kinds` (the incidents app's incidents and requests);
    `comments(query, facts)`: the satisfaction comments behind the CSAT report (see `_csat`)."""
    common = {"section": SECTION, "filters": ALL_FILTERS, "breakdowns": BREAKDOWNS, "kinds": kinds}
    definitions = [
        (
            "volumes",
            _("Volumes"),
            _(
                "Records opened (by the time they were filed) and resolved (by the time of their last"
                " resolution) in each period; by channel, group, service or any other breakdown."
            ),
            _volumes(kinds),
            {},
        ),
        (
            "backlog",
            _("Backlog"),
            _("Records filed and not yet resolved or closed at the end of each period: the work waiting."),
            _backlog(kinds),
            {},
        ),
        (
            "backlog_ageing",
            _("Backlog ageing"),
            _(
                "Records open now, by how long ago they were filed: under a day, 1 to 3 days, 3 to 7 "
                "days, 7 to 30 days, over 30 days."
            ),
            _ageing(kinds),
            {"snapshot": True, "breakdowns": ("period", "group", "agent", "priority", "service", "category")},
        ),
        (
            "mtta",
            _("Time to respond (MTTA)"),
            _(
                "From filing to the first response (an agent's public reply or acceptance), over the "
                "records first answered in the period: median, 90th percentile and mean, in business "
                "time on the record's SLA calendar and in elapsed time."
            ),
            _times(kinds, "responded_at", "response"),
            {},
        ),
        (
            "mttr",
            _("Time to resolve (MTTR)"),
            _(
                "From filing to the last resolution, over the records resolved in the period: median,"
                " 90th percentile and mean, in business time on the record's SLA calendar (time on "
                "hold included) and in elapsed time."
            ),
            _times(kinds, "resolved_at", "resolution"),
            {},
        ),
        (
            "first_contact_resolution",
            _("First-contact resolution"),
            _(
                "Of the records resolved in the period, the share the desk resolved while the "
                "requester was still in contact, without passing them on."
            ),
            _rate(kinds, "first_contact", "first_contact", _("At first contact")),
            {},
        ),
        (
            "reopen_rate",
            _("Reopen rate"),
            _("Of the records resolved in the period, the share reopened at least once after a resolution."),
            _rate(kinds, "reopened", "reopened", _("Reopened")),
            {},
        ),
        (
            "escalations",
            _("Escalations"),
            _(
                "Records filed in the period and their escalations: functional (moved to a group of a"
                " higher support tier) and hierarchical (an SLA rule told the group manager or the "
                "service owner)."
            ),
            _escalations(kinds),
            {},
        ),
        (
            "sla_compliance",
            _("SLA compliance"),
            _(
                "Of the records resolved in the period, the share whose response and resolution "
                "targets were met (met against met plus breached, per metric), and the breaches. "
                "Records without an SLA, and records cancelled without a resolution, are not counted."
            ),
            _sla(kinds),
            {"filters": (*ALL_FILTERS, "policy"), "breakdowns": (*BREAKDOWNS, "policy")},
        ),
        (
            "sla_at_risk",
            _("SLA at risk now"),
            _(
                "Open records already past a target, or due within an hour or within four hours, by "
                "group (or another breakdown)."
            ),
            _at_risk(kinds),
            {"snapshot": True, "breakdowns": ("group", "agent", "priority", "service", "category")},
        ),
        (
            "csat",
            _("Satisfaction (CSAT)"),
            _(
                "Ratings given in the period (1 to 5): the average, how many, the response rate "
                "against the records resolved in the period, those with a comment and the low ones; "
                "by group or agent."
            ),
            _csat(kinds, comments),
            {},
        ),
        (
            "training_needs",
            _("Training needs"),
            _(
                "How-to questions (advice given, requests for information) and incidents the first "
                "line resolved at first contact, filed in the period, by organisation, department and"
                " category: who needs training on what."
            ),
            _training(kinds),
            {"breakdowns": ("period", "organisation", "department", "category", "service", "channel")},
        ),
    ]
    for position, (key, label, definition, compute, overrides) in enumerate(definitions):
        register_measure(
            Measure(
                key=key,
                label=label,
                definition=definition,
                compute=compute,
                order=order + position,
                **{**common, **overrides},
            )
        )
