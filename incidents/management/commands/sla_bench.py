"""`manage.py sla_bench`: how the SLA engine scales (DESIGN.md §5). A benchmark, not a test.

Fills a PostgreSQL database (one whose name ends in `bench`, unless --force) with --running incidents,
each with one running resolution clock, --due of them past their first warning, using set-based SQL;
then times the sweep over the due clocks (and checks it took exactly those), shows the plan of the
sweep's select, times `add()` and `between()` per call on a round-the-clock and an office calendar, and
the queue's first page sorted by SLA due time. The data is kept for the next run (--reset regenerates
it); each run re-bases the clocks on the current time first.
"""

import random
import statistics
import time
import timeit
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from incidents import workflow as wf
from incidents.models import Incident
from incidents.selectors import QUEUE_ORDER
from servicedesk.configmemo import config_changed
from servicedesk.models import (
    BusinessCalendar,
    SLAClock,
    SLAFiring,
    SLAPolicy,
    SLASegment,
    SLATarget,
    TimelineEntry,
    User,
)
from servicedesk.sla.calendar import add, between
from servicedesk.sla.calendars import calendar_load_holidays, calendar_schedule, calendar_set_hours
from servicedesk.sla.sweep import sla_sweep

# The bench's incident numbers, INC900000001 onwards: real ones have seven digits until the 10 millionth
# record. (The sweep finds a record's kind from its number's prefix.)
NUMBER_FIRST = 900_000_000
NUMBER_PATTERN = r"^INC9[0-9]{8}$"
POLICY = "SLA bench"
ALWAYS, OFFICE = "SLA bench 24×7", "SLA bench office hours"
USERNAME = "sla-bench"
TARGET = 8 * 3600  # business seconds: every bench clock resolves in 8 h round the clock
FIRST_WARNING = TARGET // 2  # warnings at 50 and 75 %: a due clock crosses only the first
STAMP = "2000-01-01T00:00:00Z"  # `updated_at` of untouched clocks: what the sweep changes stands out
QUEUE_PAGE = 25


class Command(BaseCommand):
    help = (
        "Benchmark the SLA sweep (--due clocks due among --running running ones), add()/between() per "
        "call and the SLA-sorted queue, on a PostgreSQL database whose name ends in 'bench'."
    )

    def add_arguments(self, parser):
        parser.add_argument("--running", type=int, default=1_000_000, help="Running clocks (and incidents).")
        parser.add_argument("--due", type=int, default=10_000, help="Clocks due for a check now.")
        parser.add_argument("--calls", type=int, default=10_000, help="add()/between() calls to time.")
        parser.add_argument("--reset", action="store_true", help="Drop the bench data and generate it again.")
        parser.add_argument(
            "--force", action="store_true", help="Run on a PostgreSQL database not named '*bench'."
        )

    def handle(self, *args, running: int, due: int, calls: int, reset: bool, force: bool, **options):
        name = connection.settings_dict["NAME"] or ""
        if connection.vendor != "postgresql":
            raise CommandError("sla_bench needs PostgreSQL (set DATABASE_URL).")
        if not force and not name.endswith("bench"):
            raise CommandError(f"Refusing to fill {name!r}: use a database whose name ends in 'bench'.")
        if running < 1 or not 0 <= due <= running or calls < 1:
            raise CommandError("Need --running >= 1, 0 <= --due <= --running and --calls >= 1.")
        self.out = self.stdout.write
        self.incident = Incident
        self.out(f"SLA bench on {name}: {running:,} running clocks, {due:,} due.")
        policy, always, office = self._fixtures()
        self._data(policy, running=running, reset=reset)
        now = timezone.now()
        self._rebase(policy, due=due, now=now)
        self._explain(now)
        self._sweep(policy, due=due, now=now)
        self._arithmetic(always, office, calls=calls)
        self._queue()

    # Setup -------------------------------------------------------------------------------------------

    @transaction.atomic
    def _fixtures(self):
        user = User.objects.filter(username=USERNAME).first()
        if user is None:
            user = User.objects.create_user(
                username=USERNAME, email="sla-bench@example.invalid", is_staff=True, is_superuser=True
            )
        self.user = user
        always, created = BusinessCalendar.objects.get_or_create(name=ALWAYS, defaults={"time_zone": "UTC"})
        if created:
            calendar_set_hours(calendar=always, actor=None, weekly={day: [(0, 1440)] for day in range(7)})
        office, created = BusinessCalendar.objects.get_or_create(
            name=OFFICE, defaults={"time_zone": "Asia/Shanghai"}
        )
        if created:
            calendar_set_hours(calendar=office, actor=None, weekly={day: [(540, 1080)] for day in range(5)})
            year = timezone.now().year
            calendar_load_holidays(calendar=office, actor=None, country="CN", years=[year, year + 1])
        policy, created = SLAPolicy.objects.get_or_create(
            name=POLICY,
            defaults={
                "calendar": always,
                # Last in order and only for its service-less bench records in practice: never chosen
                # for anything else, since nothing else in a bench database matches first.
                "order": 10_000,
                "warning_percents": [50, 75],
                "description": "Created by manage.py sla_bench.",
            },
        )
        if created:
            SLATarget.objects.bulk_create(
                SLATarget(policy=policy, metric=metric, priority=priority, target=timedelta(seconds=TARGET))
                for metric in ("response", "resolution")
                for priority in range(1, 6)
            )
            config_changed()  # the bulk write sends no signal
        return policy, always, office

    def _data(self, policy, *, running: int, reset: bool) -> None:
        """The bench's incidents and clocks: made once, kept unless --reset or their number changed."""
        incident_type = ContentType.objects.get_for_model(self.incident)
        have = self.incident.objects.filter(number__regex=NUMBER_PATTERN).count()
        clocks = SLAClock.objects.filter(policy=policy).count()
        if have == running and clocks == running and not reset:
            self.out(f"Reusing {running:,} bench incidents and clocks (--reset to regenerate).")
            return
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            self._drop(cursor, policy, incident_type)
            table = connection.ops.quote_name(self.incident._meta.db_table)
            cursor.execute(
                f"""
                INSERT INTO {table} (
                    number, title, description, priority, created_at, updated_at, version, kind, status,
                    channel, impact, urgency, is_major, hold_reason, resolution_code, resolution_notes,
                    first_contact_resolution, reopen_count, csat_comment, requester_id, created_by_id,
                    sla_due_at, form_data)
                SELECT 'INC' || (%(first)s + g)::text, 'SLA bench record ' || g, '', 3,
                       now() - make_interval(secs => g %% 10800), now(), 1, 'incident', 'new',
                       'api', 2, 2, false, '', '', '', false, 0, '', %(user)s, %(user)s,
                       now() - make_interval(secs => g %% 10800) + make_interval(secs => %(target)s),
                       '{{}}'::jsonb
                FROM generate_series(1, %(n)s) AS g
                """,  # noqa: S608 (the table name comes from the model)
                {"first": NUMBER_FIRST, "user": self.user.pk, "target": TARGET, "n": running},
            )
            cursor.execute(
                f"""
                INSERT INTO servicedesk_slaclock (
                    content_type_id, object_id, metric, cycle, policy_id, priority, time_zone,
                    target_seconds, state, pause_reason, started_at, running_since, consumed_seconds,
                    due_at, checked_seconds, next_check_at, updated_at)
                SELECT %(type)s, i.id, 'resolution', 1, %(policy)s, 3, 'UTC', %(target)s, 'running', '',
                       i.created_at, i.created_at, 0, i.sla_due_at, 0, NULL, %(stamp)s
                FROM {table} i WHERE i.number ~ %(pattern)s
                """,  # noqa: S608
                {
                    "type": incident_type.pk,
                    "policy": policy.pk,
                    "target": TARGET,
                    "stamp": STAMP,
                    "pattern": NUMBER_PATTERN,
                },
            )
            cursor.execute(
                """
                INSERT INTO servicedesk_slasegment (
                    clock_id, cycle, kind, started_at, ended_at, business_seconds, reason, data)
                SELECT c.id, 1, 'running', c.started_at, NULL, 0, 'started', '{}'::jsonb
                FROM servicedesk_slaclock c WHERE c.policy_id = %s
                """,
                [policy.pk],
            )
        self.out(f"Generated {running:,} incidents, clocks and ledger rows in {self._since(started)}.")
        self._analyze()

    def _drop(self, cursor, policy, incident_type) -> None:
        bench = self.incident.objects.filter(number__regex=NUMBER_PATTERN).values("pk")
        TimelineEntry.objects.filter(content_type=incident_type, object_id__in=bench).delete()
        cursor.execute(
            "DELETE FROM servicedesk_slafiring WHERE clock_id IN "
            "(SELECT id FROM servicedesk_slaclock WHERE policy_id = %s)",
            [policy.pk],
        )
        cursor.execute(
            "DELETE FROM servicedesk_slasegment WHERE clock_id IN "
            "(SELECT id FROM servicedesk_slaclock WHERE policy_id = %s)",
            [policy.pk],
        )
        cursor.execute("DELETE FROM servicedesk_slaclock WHERE policy_id = %s", [policy.pk])
        # Whatever else points at bench incidents (audit, outbox) was written by a sweep: not needed.
        table = connection.ops.quote_name(self.incident._meta.db_table)
        cursor.execute(f"DELETE FROM {table} WHERE number ~ %s", [NUMBER_PATTERN])  # noqa: S608

    @transaction.atomic
    def _rebase(self, policy, *, due: int, now) -> None:
        """Put every bench clock back to running without a check, started relative to `now`: the first
        `due` (by id) between 4 and 5 hours ago, so their 50 % warning (4 h) has passed and their 75 %
        one (6 h) has not; the others up to 3 hours ago, their first check still ahead."""
        started = time.perf_counter()
        incident_type = ContentType.objects.get_for_model(self.incident)
        bench = self.incident.objects.filter(number__regex=NUMBER_PATTERN).values("pk")
        TimelineEntry.objects.filter(content_type=incident_type, object_id__in=bench).delete()
        SLAFiring.objects.filter(clock__policy=policy).delete()
        SLASegment.objects.filter(clock__policy=policy).exclude(kind=SLASegment.Kind.RUNNING).delete()
        with connection.cursor() as cursor:
            cursor.execute(
                """
                WITH ranked AS (
                    SELECT id, row_number() OVER (ORDER BY id) AS k FROM servicedesk_slaclock
                    WHERE policy_id = %(policy)s
                ), start AS (
                    SELECT id, CASE WHEN k <= %(due)s
                        THEN %(now)s - make_interval(secs => %(warning)s + 1 + k %% 3599)
                        ELSE %(now)s - make_interval(secs => k %% 10800) END AS at
                    FROM ranked
                )
                UPDATE servicedesk_slaclock c SET
                    state = 'running', pause_reason = '', started_at = s.at, running_since = s.at,
                    consumed_seconds = 0, checked_seconds = 0, warned_at = NULL, breached_at = NULL,
                    stopped_at = NULL, due_at = s.at + make_interval(secs => target_seconds),
                    next_check_at = s.at + make_interval(secs => %(warning)s), updated_at = %(stamp)s
                FROM start s WHERE c.id = s.id
                """,
                {"policy": policy.pk, "due": due, "now": now, "warning": FIRST_WARNING, "stamp": STAMP},
            )
            cursor.execute(
                """
                UPDATE servicedesk_slasegment g SET started_at = c.started_at, ended_at = NULL,
                    business_seconds = 0
                FROM servicedesk_slaclock c WHERE g.clock_id = c.id AND c.policy_id = %s
                """,
                [policy.pk],
            )
        self.out(f"Re-based the clocks on the current time in {self._since(started)}.")
        transaction.on_commit(self._analyze)

    def _analyze(self) -> None:
        started = time.perf_counter()
        # VACUUM cannot run in a transaction (a test's, say): ANALYZE alone there.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        with connection.cursor() as cursor:
            for table in (self.incident._meta.db_table, SLAClock._meta.db_table, SLASegment._meta.db_table):
                cursor.execute(f"{command} {connection.ops.quote_name(table)}")
        self.out(f"{command} in {self._since(started)}.")

    # Measures ----------------------------------------------------------------------------------------

    def _explain(self, now) -> None:
        """The plan of the sweep's select (as `sla_sweep_batch` builds it), run and rolled back."""
        batch = settings.ITSM_SLA_SWEEP_BATCH
        queryset = (
            SLAClock.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(next_check_at__lte=now)
            .exclude(pk__in=set())
            .order_by("next_check_at", "pk")[:batch]
        )
        with transaction.atomic(), connection.cursor() as cursor:
            sql, params = queryset.query.sql_with_params()
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = [row[0] for row in cursor.fetchall()]
            transaction.set_rollback(True)
        uses = any("sla_clock_due_idx" in line for line in plan)
        self.out(f"\n(b) The sweep's select, batch of {batch} (EXPLAIN ANALYZE):")
        for line in plan:
            self.out(f"    {line}")
        self.out(f"    uses the partial index sla_clock_due_idx: {'yes' if uses else 'NO'}")

    def _sweep(self, policy, *, due: int, now) -> None:
        clocks = SLAClock.objects.filter(policy=policy)
        due_before = SLAClock.objects.filter(next_check_at__lte=now).count()
        started = time.perf_counter()
        checked = sla_sweep(now=now, time_budget=3600)
        elapsed = time.perf_counter() - started
        touched = clocks.exclude(updated_at=STAMP)
        warned = clocks.filter(warned_at__isnull=False).count()
        firings = SLAFiring.objects.filter(clock__policy=policy).count()
        left = SLAClock.objects.filter(next_check_at__lte=now).count()
        self.out(f"\n(a) Sweep of {due:,} due clocks among {clocks.count():,} running ones:")
        self.out(f"    due before: {due_before:,}; checked: {checked:,}; still due after: {left:,}")
        per_clock = 1000 * elapsed / checked if checked else 0.0
        rate = checked / elapsed if elapsed else 0.0
        self.out(f"    time: {elapsed:.2f} s ({rate:,.0f} clocks/s, {per_clock:.2f} ms per clock)")
        self.out(
            f"    bench clocks changed: {touched.count():,} (warned {warned:,}, firings {firings:,}); "
            f"untouched: {clocks.filter(updated_at=STAMP).count():,}"
        )
        exact = checked == due_before and touched.count() == due == warned == firings and left == 0
        self.out(f"    exactly the due clocks were checked, and no other: {'yes' if exact else 'NO'}")
        self.sweep_result = {
            "checked": checked,
            "due": due_before,
            "touched": touched.count(),
            "exact": exact,
        }

    def _arithmetic(self, always, office, *, calls: int) -> None:
        """add() and between() per call, with starts spread over a year and durations from a minute to
        three weeks (log-uniform), on both calendars."""
        rng = random.Random(6)  # noqa: S311 (benchmark inputs)
        base = timezone.now().replace(microsecond=0) - timedelta(days=180)
        starts = [base + timedelta(seconds=rng.randrange(365 * 86400)) for _ in range(calls)]
        spans = [round(60 * 30240 ** rng.random()) for _ in range(calls)]  # 1 min .. 21 days
        self.out(f"\n(c) Business-time arithmetic, {calls:,} calls each (best of 3):")
        for label, calendar in (("24×7", always), ("office hours + CN holidays", office)):
            schedule = calendar_schedule(calendar)
            inputs = list(zip(starts, spans, strict=True))
            ends = [start + timedelta(seconds=span) for start, span in inputs]
            pairs = list(zip(starts, ends, strict=True))

            def run_add(schedule=schedule, inputs=inputs):
                for start, seconds in inputs:
                    add(schedule, start, seconds)

            def run_between(schedule=schedule, pairs=pairs):
                for a, b in pairs:
                    between(schedule, a, b)

            add_us = 1e6 * min(timeit.repeat(run_add, number=1, repeat=3)) / calls
            between_us = 1e6 * min(timeit.repeat(run_between, number=1, repeat=3)) / calls
            self.out(f"    {label:<28} add(): {add_us:8.1f} µs/call   between(): {between_us:8.1f} µs/call")

    def _queue(self) -> None:
        queryset = self.incident.objects.filter(status__in=wf.OPEN_STATUSES).order_by(*QUEUE_ORDER)
        page = queryset.values_list("pk", "number", "sla_due_at")[:QUEUE_PAGE]
        times = []
        for _ in range(5):
            started = time.perf_counter()
            rows = list(page.all())  # a fresh query each time, not the cached rows
            times.append(time.perf_counter() - started)
        sql, params = page.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + sql, params)
            plan = [row[0] for row in cursor.fetchall()]
        self.out(f"\n(d) The open queue's first page ({len(rows)} rows) sorted by SLA due time:")
        self.out(f"    median {1000 * statistics.median(times):.2f} ms over 5 runs; plan: {plan[0].strip()}")
        index = next((line.strip() for line in plan if "Index" in line), "no index")
        self.out(f"    {index}")

    @staticmethod
    def _since(started: float) -> str:
        return f"{time.perf_counter() - started:.1f} s"
