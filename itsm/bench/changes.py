"""The bench's forward schedule: 10,000 scheduled changes on CIs of the bench database, and a hub CI with
1,000 dependants, for timing conflict detection (`changes.conflicts.change_conflicts`) of a change on
the hub: its walk up reaches the 1,000 dependants, whose changes are among the 10,000.

Made once, set-based (the CIs, relationships, changes and their CIs each with a few multi-row INSERTs,
numbers from one block of `CHG` numbers); noted in the meta table.
"""

import random
import time
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from changes import workflow as wf
from changes.conflicts import change_conflicts
from changes.models import Change
from cmdb.models import CIClass, CIRelationship, ConfigurationItem, RelationshipType
from servicedesk.services.numbering import number_allocate

from . import data
from .report import percentile, statements

CHANGES = 10_000
DEPENDANTS = 1_000
HUB = "bench-conflicts-hub"
DAYS = 90  # the changes are spread over the next 90 days, two hours each
ON_DEPENDANTS = 0.1  # the share of changes on the hub's dependants
BATCH = 2_000


def _hub(dependants: int) -> ConfigurationItem:
    server = CIClass.objects.get(code="server")
    hub = ConfigurationItem.objects.filter(name=HUB).first()
    if hub is None:
        hub = ConfigurationItem.objects.create(name=HUB, ci_class=server, status="in_production")
    depends_on = RelationshipType.objects.get(code="depends_on")
    have = CIRelationship.objects.filter(target=hub, type=depends_on).count()
    if have < dependants:
        cis = ConfigurationItem.objects.bulk_create(
            [
                ConfigurationItem(name=f"{HUB}-dependant-{n:05d}", ci_class=server, status="in_production")
                for n in range(have, dependants)
            ],
            batch_size=BATCH,
        )
        CIRelationship.objects.bulk_create(
            [CIRelationship(source=ci, target=hub, type=depends_on) for ci in cis], batch_size=BATCH
        )
    return hub


def ensure(*, count: int | None = None, dependants: int | None = None, seed: int = 16) -> dict:
    """The hub with its dependants and `count` scheduled bench changes; made once (the meta table's
    `change_conflicts` says so), completed when a previous run made fewer."""
    count = CHANGES if count is None else count
    dependants = DEPENDANTS if dependants is None else dependants
    made = data.meta_read().get("change_conflicts")
    hub = ConfigurationItem.objects.filter(name=HUB).first()
    if (
        made
        and hub is not None
        and made.get("changes", 0) >= count
        and made.get("dependants", 0) >= dependants
    ):
        return made
    rng = random.Random(seed)  # noqa: S311  (a reproducible draw, not a secret)
    agents = data.bench_agents()
    if not agents:
        raise RuntimeError("The bench database has no bench agents: run with --reset.")
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    with transaction.atomic():
        hub = _hub(dependants)
        near = list(
            CIRelationship.objects.filter(target=hub)
            .order_by("source_id")
            .values_list("source_id", flat=True)
        )
        others = list(
            ConfigurationItem.objects.exclude(pk=hub.pk).order_by("?").values_list("pk", flat=True)[:50_000]
        )
        have = Change.objects.filter(title__startswith="Bench change").count()
        missing = max(0, count - have)
        if missing:
            numbers = number_allocate(prefix="CHG", count=missing)
            rows = []
            for number in numbers:
                start = now + timedelta(hours=rng.randrange(DAYS * 24))
                rows.append(
                    Change(
                        number=number,
                        title=f"Bench change {number}",
                        requester=agents[0],
                        created_by=agents[0],
                        status=wf.SCHEDULED,
                        change_type=wf.NORMAL,
                        risk_level=rng.choice(["low", "medium", "high"]),
                        planned_start=start,
                        planned_end=start + timedelta(hours=2),
                    )
                )
            created = Change.objects.bulk_create(rows, batch_size=BATCH)
            through = Change.affected_cis.through
            links = [
                through(
                    change_id=change.pk,
                    configurationitem_id=rng.choice(near if rng.random() < ON_DEPENDANTS else others),
                )
                for change in created
            ]
            through.objects.bulk_create(links, batch_size=BATCH, ignore_conflicts=True)
    with connection.cursor() as cursor:
        for model in (Change, Change.affected_cis.through, CIRelationship):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    made = {"changes": count, "dependants": dependants, "hub": hub.pk}
    data.meta_write(change_conflicts=made)
    return made


def conflicts(*, budget: float = 30.0, minimum: int = 5, maximum: int = 100) -> dict:
    """Time `change_conflicts` of a change on the hub (assessed, not saved: a probe), at a slot moved
    through the schedule each call, as often as `budget` seconds allow: p50/p95/p99, statements per call
    and how many conflicts it found."""
    made = ensure()
    hub = ConfigurationItem.objects.get(pk=made["hub"])
    first = Change.objects.filter(title__startswith="Bench change").order_by("planned_start").first()
    probe = Change(
        number="CHG-PROBE",
        title="Probe",
        status=wf.ASSESSMENT,
        change_type=wf.NORMAL,
        requester=first.requester,
    )
    times, counts, found = [], [], []
    began = time.perf_counter()
    with transaction.atomic():
        probe.save()  # rolled back below: the probe never stays
        probe.affected_cis.set([hub])
        while len(times) < maximum and (len(times) < minimum or time.perf_counter() - began < budget):
            start = first.planned_start + timedelta(hours=len(times) * 7)
            probe.planned_start, probe.planned_end = start, start + timedelta(hours=4)
            with statements() as captured:
                started = time.perf_counter()
                answer = change_conflicts(probe)
                times.append(time.perf_counter() - started)
            counts.append(captured[0])
            found.append(len(answer))
        transaction.set_rollback(True)
    return {
        "calls": len(times),
        "p50_ms": round(1000 * percentile(times, 50), 1),
        "p95_ms": round(1000 * percentile(times, 95), 1),
        "p99_ms": round(1000 * percentile(times, 99), 1),
        "sql": max(counts),
        "conflicts": max(found),
        "changes": made["changes"],
        "dependants": made["dependants"],
    }
