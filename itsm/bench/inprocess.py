"""The operations timed in this process: the SLA sweep, impact analysis and trend detection."""

import time
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from cmdb.impact import ci_impact
from cmdb.selectors import ci_densest
from incidents.models import Incident
from problems.models import ProblemCandidate
from problems.services.candidates import candidates_detect, trend_days
from servicedesk.models import SLAClock, SLAFiring, SLAPolicy
from servicedesk.sla.sweep import sla_sweep

from . import data
from .report import percentile, statements

DUE = 10_000


@transaction.atomic
def _rebase(policy, *, due: int, now) -> int:
    """Put the bench policy's running clocks back to running without a check, relative to `now`: `due`
    of them (by id) past their first warning and short of the second, the others before their first;
    forget the firings and SLA entries of earlier sweeps; no other clock is due. Returns how many clocks
    run."""
    SLAFiring.objects.filter(clock__policy=policy).delete()
    low, high = data.WARNINGS[0] / 100, data.WARNINGS[1] / 100
    with connection.cursor() as cursor:
        cursor.execute(
            """DELETE FROM servicedesk_timelineentry e USING servicedesk_slaclock c
               WHERE c.policy_id = %s AND e.content_type_id = c.content_type_id AND e.object_id = c.object_id
                 AND e.kind = 'system' AND e.data->>'event' IN ('sla_warning', 'sla_breached')""",
            [policy.pk],
        )
        cursor.execute(
            """
            WITH ranked AS (
                SELECT id, target_seconds AS t, row_number() OVER (ORDER BY id) AS k FROM servicedesk_slaclock
                WHERE policy_id = %(policy)s AND state IN ('running', 'breached')
            ), start AS (
                SELECT id, CASE WHEN k <= %(due)s
                    THEN %(now)s - make_interval(
                        secs => t * %(low)s + 1 + k %% (t * (%(high)s - %(low)s) - 2)::int)
                    ELSE %(now)s - make_interval(secs => k %% (t * %(low)s - 60)::int) END AS at,
                    t
                FROM ranked
            )
            UPDATE servicedesk_slaclock c SET
                state = 'running', pause_reason = '', started_at = s.at, running_since = s.at,
                consumed_seconds = 0, checked_seconds = 0, warned_at = NULL, breached_at = NULL,
                stopped_at = NULL, due_at = s.at + make_interval(secs => s.t),
                next_check_at = s.at + make_interval(secs => s.t * %(low)s)
            FROM start s WHERE c.id = s.id
            """,
            {"policy": policy.pk, "due": due, "now": now, "low": low, "high": high},
        )
        rebased = cursor.rowcount
        # Only the bench's clocks are due: the demo's and those of records the writes created wait.
        cursor.execute(
            "UPDATE servicedesk_slaclock SET next_check_at = NULL "
            "WHERE policy_id <> %s AND next_check_at <= %s",
            [policy.pk, now],
        )
        return rebased


def sweep(*, due: int = DUE) -> dict:
    """Time one sweep (one worker) of `due` due clocks among the bench's running ones; check that each
    due clock fired exactly once and no other did."""
    policy = SLAPolicy.objects.get(name=data.POLICY)
    now = timezone.now()
    running = SLAClock.objects.filter(policy=policy, state__in=["running", "breached"]).count()
    # 10,000 due, or a fifth of the running clocks on a smaller desk (100k records have ~7,000 open).
    due = min(due, max(1, running // 5))
    _rebase(policy, due=due, now=now)
    due_before = SLAClock.objects.filter(next_check_at__lte=now).count()
    with statements() as captured:
        started = time.perf_counter()
        checked = sla_sweep(now=now, time_budget=3600)
        seconds = time.perf_counter() - started
    fired = SLAFiring.objects.filter(clock__policy=policy)
    per_clock = fired.values("clock").annotate(n=Count("id"))
    once = per_clock.filter(n=1).count()
    left = SLAClock.objects.filter(next_check_at__lte=now).count()
    exact = checked == due_before and once == due == per_clock.count() and left == 0
    return {
        "seconds": round(seconds, 2),
        "running": running,
        "due": due_before,
        "checked": checked,
        "fired_once": once,
        "exactly_once": exact,
        "sql": captured[0],
        "sql_per_clock": round(captured[0] / max(checked, 1), 2),
    }


def impact(*, depth: int = 10, budget: float = 60.0, minimum: int = 3, maximum: int = 50) -> dict:
    """Impact analysis "up" at `depth` from the densest CIs in turn, as often as `budget` seconds allow
    (at least `minimum`, at most `maximum` calls): p50/p95 and statements per call."""
    starts = ci_densest()
    if not starts:
        return {"calls": 0}
    times, counts, reached = [], [], []
    began = time.perf_counter()
    while len(times) < maximum and (len(times) < minimum or time.perf_counter() - began < budget):
        ci = starts[len(times) % len(starts)]
        with statements() as captured:
            started = time.perf_counter()
            nodes = ci_impact(ci=ci, direction="up", max_depth=depth)
            times.append(time.perf_counter() - started)
        counts.append(captured[0])
        reached.append(len(nodes))
    return {
        "calls": len(times),
        "p50_ms": round(1000 * percentile(times, 50), 1),
        "p95_ms": round(1000 * percentile(times, 95), 1),
        "p99_ms": round(1000 * percentile(times, 99), 1),
        "sql": max(counts),
        "reached": max(reached),
        "starts": [ci.pk for ci in starts],
    }


def trend() -> dict:
    """Time trend detection over the desk (the window of ITSM_PROBLEM_TREND_DAYS days), from no candidates
    (every recurring group is proposed), then once more (nothing changed: nothing is proposed twice)."""
    if "affected_cis" not in data.meta_read():
        data.affected_cis()  # a database made before the bench gave incidents their CIs
    ProblemCandidate.objects.all().delete()
    now = timezone.now()
    window = Incident.objects.filter(kind="incident", created_at__gte=now - timedelta(days=trend_days()))
    with statements() as captured:
        started = time.perf_counter()
        first = candidates_detect(now=now)
        seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = candidates_detect(now=now)
    again_seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 2),
        "again_seconds": round(again_seconds, 2),
        "incidents": Incident.objects.filter(kind="incident").count(),
        "in_window": window.count(),
        "proposed": first["proposed"],
        "listed": ProblemCandidate.incidents.through.objects.count(),
        "proposed_again": again["proposed"] + again["updated"] + again["withdrawn"],
        "exactly_once": again == {"proposed": 0, "updated": 0, "withdrawn": 0},
        "sql": captured[0],
    }
