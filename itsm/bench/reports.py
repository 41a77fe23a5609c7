"""Management information at the bench's scale: its facts, every registered measure timed, the rollup.

`facts_fill` gives every record its `RecordFact`. The real path (`facts_refresh`, the beat task's) is
timed on a sample first; when the whole desk would take longer than `REAL_LIMIT` seconds that way, the
incidents and requests are filled with one set-based INSERT ... SELECT instead, which writes what
`facts_refresh` would for the bench's records (their only clocks are the bench policy's, round the clock
in UTC, so business seconds are wall seconds; no moves between groups, no SLA firings), and the records it
cannot reproduce (the demo's, those with another policy's clocks, firings or moves) go the real way. How
it was made is noted in the meta table, so a later run reuses it.

`measures_time` computes every registered measure (`servicedesk.reporting.measures.measures()`) as a
report would, over the last 30 days by day and the last 12 months by month and by group, for an
administrator (everything) and for a group manager (one bench group); `rollup` times the beat task
(`facts_refresh_due`) over a day's changes.
"""

import statistics
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from incidents.models import Incident
from servicedesk.kinds import record_kind, record_kinds
from servicedesk.models import (
    FactMark,
    FactRollup,
    RecordFact,
    SLAClock,
    SLAFiring,
    SLAPolicy,
    TimelineEntry,
    User,
)
from servicedesk.reporting.facts import facts_refresh, facts_refresh_due
from servicedesk.reporting.measures import Query, Scope, measures
from servicedesk.reporting.rollups import rollup_rebuild

from . import data
from .report import statements

KINDS = ("incident", "request")  # the incidents table's kinds: the bench's million
REAL_LIMIT = 600  # seconds: beyond this (estimated from a sample) the SQL fill is used
REAL_SAMPLE = 5000  # records refreshed the real way to estimate its time
REPETITIONS = 3
DAYS_SPREAD = 365  # incidents_generate's default --days: a day's changes are scale / DAYS_SPREAD records


# The facts ------------------------------------------------------------------------------------------


def facts_ensure(*, out=print) -> dict:
    """The facts of every record, made once (a database made before this step gets them on first use)."""
    made = data.meta_read().get("record_facts")
    if not made:
        return facts_fill(out=out)
    if "rollup_rows" not in made:  # a database filled before the rollup existed
        made.update(_rollup_build(out=out))
        data.meta_write(record_facts=made)
    return made


def _rollup_build(*, out=print) -> dict:
    """The rollup made from every fact (`rollup_rebuild`), timed: what `facts_rebuild` also does."""
    tick = time.perf_counter()
    rows = rollup_rebuild()
    seconds = round(time.perf_counter() - tick, 1)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(FactRollup._meta.db_table)}")
    out(f"  rollup: {rows:,} rows from every fact in {seconds} s")
    return {"rollup_rows": rows, "rollup_seconds": seconds}


def facts_fill(*, method: str | None = None, sample: int = REAL_SAMPLE, out=print) -> dict:
    """Every record's facts, and each kind's mark at the fill's start; returns (and notes) how.
    `method`: "real" or "sql"; None: the real path unless its estimate is over `REAL_LIMIT` seconds."""
    began = timezone.now()
    started = time.perf_counter()
    incident_ids = []
    for code in KINDS:
        kind = record_kind(code)
        incident_ids += list(
            Incident.objects.filter(**kind.filters).order_by("pk").values_list("pk", flat=True)
        )
    total = len(incident_ids)
    estimate = None
    done_real = 0
    if method is None:
        head = incident_ids[:sample]
        tick = time.perf_counter()
        for code in KINDS:
            done_real += facts_refresh(code, head)
        per_record = (time.perf_counter() - tick) / max(len(head), 1)
        estimate = round(per_record * total, 1)
        method = "real" if estimate <= REAL_LIMIT else "sql"
        out(
            f"  record facts: the real path {1000 * per_record:.2f} ms a record, "
            f"~{estimate:,.0f} s for {total:,}"
        )
    if method == "real":
        rest = incident_ids[done_real:]
        for code in KINDS:
            facts_refresh(code, rest)
        exceptions = 0
    else:
        _sql_fill(now=began)
        exceptional = _exceptions()
        for code in KINDS:
            facts_refresh(code, exceptional)
        exceptions = len(exceptional)
    others = 0
    for kind in record_kinds():
        if kind.code not in KINDS:
            ids = kind.model_class()._base_manager.filter(**kind.filters).values_list("pk", flat=True)
            others += facts_refresh(kind, ids)
    for kind in record_kinds():
        FactMark.objects.update_or_create(kind=kind.code, defaults={"until": began})
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(RecordFact._meta.db_table)}")
    # The SQL fill wrote facts without moving the rollup: it is made from them, whole.
    rollup_made = _rollup_build(out=out)
    made = {
        **rollup_made,
        "method": method,
        "records": total,
        "other_kinds": others,
        "real_exceptions": exceptions,
        "real_estimate_seconds": estimate,
        "seconds": round(time.perf_counter() - started, 1),
    }
    data.meta_write(record_facts=made)
    return made


def _sql_fill(*, now: datetime) -> int:
    """The incidents' and requests' facts in one INSERT ... SELECT, as `facts_refresh` computes them for
    a record whose only clock is a running bench one (or none): see the module's docstring."""
    policy = SLAPolicy.objects.get(name=data.POLICY)
    incident_type = ContentType.objects.get_for_model(Incident).pk
    q = connection.ops.quote_name
    facts, incidents = q(RecordFact._meta.db_table), q(Incident._meta.db_table)
    users, clocks = q(User._meta.db_table), q(SLAClock._meta.db_table)
    open_statuses = list(record_kind(KINDS[0]).open_statuses)
    assert all(list(record_kind(code).open_statuses) == open_statuses for code in KINDS)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {facts} WHERE content_type_id = %s", [incident_type])  # noqa: S608
        cursor.execute(
            f"""
            INSERT INTO {facts} (
                content_type_id, object_id, kind, number, status, is_open, opened_at, responded_at,
                resolved_at, ended_at, opened_group_id, support_group_id, assignee_id, requester_id,
                organisation_id, department, service_id, category_id, priority, channel, merged,
                first_contact, training_need, reopen_count, transfers, escalations_functional,
                escalations_hierarchical, response_business, response_wall, resolution_business,
                resolution_wall, sla_policy_id, response_sla, resolution_sla, sla_due_at, csat_score,
                csat_commented, rated_at, refreshed_at)
            SELECT %(type)s, i.id, i.kind, i.number, i.status, o.is_open, i.created_at, i.responded_at,
                   r.resolved_at, r.ended_at, i.support_group_id, i.support_group_id, i.assignee_id,
                   i.requester_id, u.organisation_id, COALESCE(u.department, ''), i.service_id,
                   i.category_id, i.priority, i.channel, i.merged_into_id IS NOT NULL,
                   i.first_contact_resolution,
                   i.resolution_code = 'advice' OR (i.kind = 'incident' AND i.first_contact_resolution),
                   i.reopen_count, 0, 0, 0,
                   CASE WHEN c.id IS NOT NULL THEN s.response END, s.response,
                   CASE WHEN c.id IS NOT NULL THEN s.resolution END, s.resolution,
                   c.policy_id, '', CASE WHEN c.id IS NOT NULL THEN 'running' ELSE '' END,
                   CASE WHEN o.is_open THEN c.due_at END,
                   i.csat_score, btrim(i.csat_comment, E' \\t\\n\\r\\f\\v') <> '', i.rated_at, %(now)s
            FROM {incidents} i
            CROSS JOIN LATERAL (SELECT i.status = ANY(%(open)s) AS is_open) o
            CROSS JOIN LATERAL (
                SELECT CASE WHEN o.is_open THEN NULL ELSE i.resolved_at END AS resolved_at,
                       CASE WHEN o.is_open THEN NULL
                            ELSE COALESCE(i.resolved_at, i.closed_at, i.updated_at) END AS ended_at) r
            CROSS JOIN LATERAL (
                SELECT CASE WHEN i.responded_at >= i.created_at
                            THEN extract(epoch FROM i.responded_at - i.created_at)::float8 END AS response,
                       CASE WHEN r.resolved_at >= i.created_at
                            THEN extract(epoch FROM r.resolved_at - i.created_at)::float8 END AS resolution) s
            LEFT JOIN {users} u ON u.id = i.requester_id
            LEFT JOIN {clocks} c ON c.content_type_id = %(type)s AND c.object_id = i.id
                AND c.metric = 'resolution' AND c.policy_id = %(policy)s
            WHERE i.kind = ANY(%(kinds)s)
            """,  # noqa: S608 (table names from the models)
            {
                "type": incident_type,
                "policy": policy.pk,
                "open": open_statuses,
                "kinds": list(KINDS),
                "now": now,
            },
        )
        return cursor.rowcount


def _exceptions() -> list[int]:
    """The incidents the SQL fill cannot reproduce: any clock but a running, unbreached bench resolution
    clock, any SLA firing, any move between groups."""
    policy = SLAPolicy.objects.get(name=data.POLICY)
    incident_type = ContentType.objects.get_for_model(Incident)
    clocks = SLAClock.objects.filter(content_type=incident_type)
    odd = clocks.filter(
        ~Q(policy=policy)
        | ~Q(metric="resolution")
        | ~Q(state=SLAClock.State.RUNNING)
        | Q(breached_at__isnull=False)
    ).values_list("object_id", flat=True)
    fired = SLAFiring.objects.filter(clock__content_type=incident_type).values_list(
        "clock__object_id", flat=True
    )
    moved = TimelineEntry.objects.filter(
        content_type=incident_type,
        kind=TimelineEntry.Kind.FIELD_CHANGE,
        data__changes__has_key="support_group",
    ).values_list("object_id", flat=True)
    return sorted({*odd, *fired, *moved})


# The measures ---------------------------------------------------------------------------------------


def cases(now: datetime, group_id: int | None) -> dict[str, Query]:
    """The questions each measure is asked: the last 30 days by day, the last 12 months by month and by
    group, for everything; and a group manager's (one group) 30 days and 12 months."""
    zone = ZoneInfo(settings.TIME_ZONE)
    today = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    tomorrow = (today + timedelta(days=1)).replace(tzinfo=None)
    end_day = tomorrow.replace(tzinfo=zone)
    month = today.replace(day=1, tzinfo=None)
    next_month = datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=zone)
    first_month = datetime(month.year - 1 + (month.month) // 12, month.month % 12 + 1, 1, tzinfo=zone)
    everything = Scope(everything=True)
    days = {"start": end_day - timedelta(days=30), "end": end_day, "bucket": "day"}
    months = {"start": first_month, "end": next_month, "bucket": "month"}
    common = {"time_zone": str(zone), "now": now}
    out = {
        "30d": Query(scope=everything, **days, **common),
        "12m": Query(scope=everything, **months, **common),
        "12m_group": Query(scope=everything, by="group", **months, **common),
    }
    if group_id is not None:
        manager = Scope(groups=(group_id,))
        out["mgr_30d"] = Query(scope=manager, **days, **common)
        out["mgr_12m"] = Query(scope=manager, **months, **common)
    return out


def measures_time(*, repetitions: int = REPETITIONS, out=print) -> dict:
    """Each measure's compute for each case, `repetitions` times: median and max ms, and statements."""
    facts_ensure(out=out)
    groups = data.bench_groups()
    now = timezone.now()
    asked = cases(now, groups[0].pk if groups else None)
    table, slowest = {}, (0.0, "")
    for measure in measures():
        row = {}
        for name, query in asked.items():
            if query.by not in measure.breakdowns and query.by != "period":
                continue  # a breakdown the measure does not offer
            times = []
            for _ in range(repetitions):
                with statements() as captured:
                    started = time.perf_counter()
                    result = measure.compute(query)
                    times.append(time.perf_counter() - started)
            row[name] = {
                "median_ms": round(1000 * statistics.median(times), 1),
                "max_ms": round(1000 * max(times), 1),
                "sql": captured[0],
                "rows": len(result.rows),
            }
            slowest = max(slowest, (row[name]["max_ms"], f"{measure.key} {name}"))
        table[measure.key] = row
        out(
            f"  {measure.key}: "
            + ", ".join(f"{n} {v['median_ms']:.0f}/{v['max_ms']:.0f} ms" for n, v in row.items())
        )
    over = [f"{key} {name}" for key, row in table.items() for name, v in row.items() if v["max_ms"] >= 1000]
    return {
        "measures": len(table),
        "computed": sum(len(row) for row in table.values()) * repetitions,
        "repetitions": repetitions,
        "max_ms": slowest[0],
        "slowest": slowest[1],
        "over_1s": over,
        "facts": RecordFact.objects.filter(kind__in=KINDS).count(),
        "cases": table,
    }


# The rollup -----------------------------------------------------------------------------------------


def rollup(*, records: int | None = None) -> dict:
    """A day's changes (`records`, default the desk's records / DAYS_SPREAD, drawn evenly over the table)
    written now, records and their clocks; then the beat task once, from each kind's mark set just before."""
    facts_ensure()
    incident_type = ContentType.objects.get_for_model(Incident).pk
    total = Incident.objects.count()
    records = max(1, total // DAYS_SPREAD) if records is None else records
    now = timezone.now()
    for kind in record_kinds():
        FactMark.objects.update_or_create(kind=kind.code, defaults={"until": now})
    q = connection.ops.quote_name
    incidents, clocks = q(Incident._meta.db_table), q(SLAClock._meta.db_table)
    step = max(1, total // records)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {incidents} SET updated_at = now() WHERE id IN (
                    SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM {incidents}) s
                    WHERE s.n %% %(step)s = 0 LIMIT %(records)s)
                RETURNING id""",  # noqa: S608 (table names from the models)
            {"step": step, "records": records},
        )
        touched = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            f"UPDATE {clocks} SET updated_at = now() WHERE content_type_id = %s AND object_id = ANY(%s)",  # noqa: S608
            [incident_type, touched],
        )
        clocks_touched = cursor.rowcount
    with statements() as captured:
        started = time.perf_counter()
        done = facts_refresh_due()
        seconds = time.perf_counter() - started
    fresh = RecordFact.objects.filter(
        content_type_id=incident_type, object_id__in=touched, refreshed_at__gte=now
    ).count()
    return {
        "seconds": round(seconds, 2),
        "touched": len(touched),
        "clocks": clocks_touched,
        "refreshed": sum(done.values()),
        "by_kind": done,
        "covered": fresh == len(touched),
        "sql": captured[0],
    }


# The pages ------------------------------------------------------------------------------------------


def pages_time(*, repetitions: int = REPETITIONS, out=print) -> dict:
    """Every dashboard and every report page as its reader gets it (the view, its queries and the
    template), in process through Django's test client: an administrator (the whole desk, from the
    rollup) and a group manager (one bench group, from the facts). Median and max ms, and statements."""
    from django.test import Client
    from django.urls import reverse

    from servicedesk import roles
    from servicedesk.services.people import support_group_update, user_create

    facts_ensure(out=out)
    groups = data.bench_groups()
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    manager = User.objects.filter(username="bench-report-manager").first()
    if manager is None and groups:
        manager = user_create(
            actor=None, username="bench-report-manager", roles=[roles.AGENT, roles.GROUP_MANAGER]
        )
        support_group_update(group=groups[0], actor=None, manager=manager)
    pages = {}
    for label, reader, boards in (
        ("admin", admin, ("manager", "services", "agent")),
        ("manager", manager, ("manager", "agent")),
    ):
        if reader is None:
            continue
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(reader)
        addresses = {f"dashboard {board}": reverse("reports:board", args=[board]) for board in boards}
        for measure in measures():
            addresses[f"report {measure.key}"] = reverse("reports:report", args=[measure.key])
        addresses["report mttr 12 months"] = (
            reverse("reports:report", args=["mttr"]) + "?period=last_12_months"
        )
        addresses["report volumes 12 months"] = (
            reverse("reports:report", args=["volumes"]) + "?period=last_12_months"
        )
        for name, address in addresses.items():
            times, status = [], None
            for _ in range(repetitions):
                with statements() as captured:
                    started = time.perf_counter()
                    response = client.get(address)
                    times.append(time.perf_counter() - started)
                status = response.status_code
            pages[f"{label}: {name}"] = {
                "median_ms": round(1000 * statistics.median(times), 1),
                "max_ms": round(1000 * max(times), 1),
                "sql": captured[0],
                "status": status,
            }
            out(f"  {label}: {name} {pages[f'{label}: {name}']['median_ms']:.0f} ms")
    slowest = max(pages.items(), key=lambda item: item[1]["max_ms"], default=(None, {"max_ms": 0}))
    return {
        "pages": len(pages),
        "max_ms": slowest[1]["max_ms"],
        "slowest": slowest[0],
        "over_1s": [name for name, row in pages.items() if row["max_ms"] >= 1000],
        "not_ok": [name for name, row in pages.items() if row["status"] != 200],
        "cases": pages,
    }
