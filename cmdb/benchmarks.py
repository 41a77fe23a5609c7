"""In-process benchmark of impact analysis, for `make bench` (speed is measured here, never in tests).

`impact_bench()` times `ci_impact` from the densest CIs of the current database (the ones with the most
relationships), at each depth and direction asked, and returns p50/p95/max in milliseconds with the SQL
statement count and the CIs reached. Build the graph first, e.g. `manage.py cmdb_generate --cis 100000
--relationships 300000 --seed 2`.
"""

import statistics
import time
from collections import Counter

from django.db import connection
from django.test.utils import CaptureQueriesContext

from .impact import DOWN, UP, ci_impact
from .models import CIRelationship, ConfigurationItem


def densest_cis(count: int = 20) -> list[ConfigurationItem]:
    """The `count` CIs with the most relationships (either end), densest first."""
    ends = CIRelationship.objects.values_list("source_id", flat=True).union(
        CIRelationship.objects.values_list("target_id", flat=True), all=True
    )
    degrees = Counter(ends)
    ids = [pk for pk, _ in sorted(degrees.items(), key=lambda item: (-item[1], item[0]))[:count]]
    found = ConfigurationItem.objects.select_related("ci_class").in_bulk(ids)
    return [found[pk] for pk in ids]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def impact_bench(
    *,
    starts: int = 20,
    depths: tuple[int, ...] = (5, 10),
    directions: tuple[str, ...] = (UP, DOWN),
    repeat: int = 3,
) -> list[dict]:
    """One row per (direction, depth): timings over the `starts` densest CIs (each the best of `repeat`
    runs, which filters out the noise of a shared machine), SQL statements and CIs reached."""
    cis = densest_cis(starts)
    rows = []
    for direction in directions:
        for depth in depths:
            timings, statements, reached, truncated = [], [], [], 0
            for ci in cis:
                runs = []
                for _ in range(repeat):
                    with CaptureQueriesContext(connection) as queries:
                        started = time.perf_counter()
                        result = ci_impact(ci=ci, direction=direction, max_depth=depth)
                        runs.append((time.perf_counter() - started) * 1000)
                timings.append(min(runs))
                statements.append(len(queries))
                reached.append(len(result))
                truncated += result.truncated
            rows.append(
                {
                    "operation": f"impact {direction} depth {depth}",
                    "starts": len(cis),
                    "p50_ms": round(statistics.median(timings), 1),
                    "p95_ms": round(_percentile(timings, 0.95), 1),
                    "max_ms": round(max(timings), 1),
                    "sql_max": max(statements),
                    "reached_max": max(reached),
                    "truncated": truncated,
                }
            )
    return rows
