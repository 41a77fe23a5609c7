"""Generate a synthetic CMDB estate of a given size, for benchmarks and tests."""

import random
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from cmdb.models import CIClass, CIRelationship, ConfigurationItem, RelationshipType

BATCH_SIZE = 5000

# Class code -> share of the CIs (at least one of each).
PROPORTIONS = {
    "business_service": 0.02,
    "application": 0.15,
    "database": 0.08,
    "server": 0.55,
    "network_device": 0.18,
    "location": 0.02,
}

# (source class, type, target class, share of the relationships). Layered so that services depend on
# applications, applications on databases and other applications (which closes cycles and diamonds),
# applications and databases run on servers, servers connect to network devices, locations contain
# servers and network devices.
LAYERS = [
    ("business_service", "depends_on", "application", 0.08),
    ("business_service", "depends_on", "business_service", 0.01),
    ("application", "depends_on", "application", 0.10),
    ("application", "depends_on", "database", 0.15),
    ("application", "runs_on", "server", 0.25),
    ("database", "runs_on", "server", 0.10),
    ("database", "installed_on", "server", 0.04),
    ("server", "connected_to", "network_device", 0.12),
    ("network_device", "connected_to", "network_device", 0.03),
    ("location", "contains", "server", 0.09),
    ("location", "contains", "network_device", 0.03),
]


class Command(BaseCommand):
    help = (
        "Create a synthetic CMDB estate (services, applications, databases, servers, network devices, "
        "locations and layered relationships with cycles and diamonds) with bulk inserts. A benchmark "
        "and test tool: it writes no audit events and no history rows, so never run it on real data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cis", type=int, default=1000, help="Number of CIs to create.")
        parser.add_argument("--relationships", type=int, default=3000, help="Number of relationships.")
        parser.add_argument("--seed", type=int, default=None, help="Random seed, for a repeatable estate.")

    def handle(self, *args, cis: int, relationships: int, seed: int | None, **options):
        if cis < len(PROPORTIONS):
            raise CommandError(f"--cis must be at least {len(PROPORTIONS)}.")
        if relationships < 0:
            raise CommandError("--relationships must not be negative.")
        rng = random.Random(seed)  # noqa: S311 (synthetic data, not secrets)
        classes = {c.code: c for c in CIClass.objects.filter(code__in=PROPORTIONS)}
        types = {t.code: t for t in RelationshipType.objects.filter(code__in={layer[1] for layer in LAYERS})}
        missing = set(PROPORTIONS) - set(classes) | {layer[1] for layer in LAYERS} - set(types)
        if missing:
            raise CommandError(f"Seeded classes or relationship types missing: {', '.join(sorted(missing))}.")

        started = time.monotonic()
        with transaction.atomic():
            ids = self._create_cis(classes, cis, rng)
            created = self._create_relationships(ids, types, relationships, rng)
        # Fresh statistics, or the planner walks the new estate with sequential scans.
        with connection.cursor() as cursor:
            for model in (ConfigurationItem, CIRelationship):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {sum(len(v) for v in ids.values())} CIs and {created} relationships "
                f"in {elapsed:.1f}s."
            )
        )
        for code, class_ids in ids.items():
            self.stdout.write(f"  {code}: {len(class_ids)}")

    def _create_cis(self, classes, total, rng) -> dict[str, list[int]]:
        counts = {code: max(1, int(total * share)) for code, share in PROPORTIONS.items()}
        counts["server"] += total - sum(counts.values())
        run = f"{rng.randrange(16**6):06x}"
        ids = {}
        for code, count in counts.items():
            rows = (
                ConfigurationItem(
                    name=f"gen-{run}-{code}-{n:06d}",
                    ci_class=classes[code],
                    status=ConfigurationItem.Status.IN_PRODUCTION,
                    environment=ConfigurationItem.Environment.PRODUCTION,
                )
                for n in range(count)
            )
            ids[code] = []
            for batch in _batches(rows):
                ids[code] += [ci.pk for ci in ConfigurationItem.objects.bulk_create(batch)]
        return ids

    def _create_relationships(self, ids, types, total, rng) -> int:
        seen: set[tuple[int, int, int]] = set()
        shares = sum(layer[3] for layer in LAYERS)

        def edges():
            for source_code, type_code, target_code, share in LAYERS:
                wanted = round(total * share / shares)
                sources, targets, type_id = ids[source_code], ids[target_code], types[type_code].pk
                made = attempts = 0
                while made < wanted and attempts < wanted * 5:
                    attempts += 1
                    key = (rng.choice(sources), rng.choice(targets), type_id)
                    if key[0] == key[1] or key in seen:
                        continue
                    seen.add(key)
                    made += 1
                    yield CIRelationship(source_id=key[0], target_id=key[1], type_id=type_id)

        created = 0
        for batch in _batches(edges()):
            CIRelationship.objects.bulk_create(batch)
            created += len(batch)
        return created


def _batches(rows):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch
