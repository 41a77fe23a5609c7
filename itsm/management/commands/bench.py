"""`manage.py bench`: the product's benchmark (README "Benchmark"). An interface: the work is in
`itsm/bench/`."""

import random
import subprocess
import time
from pathlib import Path

import psycopg2
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import override_settings
from django.utils import timezone

from itsm.bench import changes as bench_changes
from itsm.bench import data, inprocess, load, operations, report, server
from itsm.bench import releases as bench_releases
from itsm.bench import reports as bench_reports


class Command(BaseCommand):
    help = (
        "Benchmark the desk at 100k or 1M records on a PostgreSQL database named '*bench' (made or reused), "
        "through gunicorn with the production settings; prints a Markdown table and writes a JSON result. "
        "--compare A.json B.json compares two results."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", default="1m", help="100k, 1m (default) or a number of records.")
        parser.add_argument(
            "--only", default="", help=f"Comma-separated operations: {', '.join(operations.OPERATIONS)}."
        )
        parser.add_argument("--concurrency", type=int, default=8, help="Connections at once (default 8).")
        parser.add_argument("--duration", type=float, default=20, help="Measured seconds per operation.")
        parser.add_argument("--warmup", type=float, default=5, help="Unmeasured seconds before each.")
        parser.add_argument("--unloaded", type=float, default=5, help="Seconds of the single-connection run.")
        parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4).")
        parser.add_argument("--worker-class", default="sync", help="gunicorn worker class (sync, gthread).")
        parser.add_argument("--threads", type=int, default=1, help="Threads per gunicorn worker (gthread).")
        parser.add_argument("--redis-url", default="", help="Redis for the server (default: REDIS_URL).")
        parser.add_argument("--reset", action="store_true", help="Drop the database and generate it again.")
        parser.add_argument(
            "--generate-only", action="store_true", help="Make (or check) the data, then stop."
        )
        parser.add_argument("--out", default=str(settings.BASE_DIR / "var" / "bench"), help="Result folder.")
        parser.add_argument(
            "--compare", nargs=2, metavar=("A", "B"), help="Compare two result files; run nothing."
        )

    def handle(self, *args, **options):
        if options["compare"]:
            a, b = (report.read(path) for path in options["compare"])
            self.stdout.write(report.compare(a, b))
            return
        name = data.check_database()
        scale = data.parse_scale(options["scale"])
        only = [n.strip() for n in options["only"].split(",") if n.strip()]
        unknown = set(only) - set(operations.OPERATIONS)
        if unknown:
            raise CommandError(f"Unknown operations: {', '.join(sorted(unknown))}.")
        selected = [n for n in operations.OPERATIONS if not only or n in only or n == "floor"]
        self._ensure_data(name, scale, reset=options["reset"])
        if options["generate_only"]:
            return
        redis_url = options["redis_url"] or settings.REDIS_URL
        if not redis_url:
            raise CommandError("The production settings need Redis: set REDIS_URL or --redis-url.")
        # Sessions are signed (and their auth hash salted) with the server's key: make them with it. No
        # DEBUG here either: the in-process timings (sweep, impact) would pay for logging every query.
        with override_settings(SECRET_KEY=server.BENCH_SECRET_KEY, DEBUG=False):
            self._run(name, scale, selected, redis_url, options)

    # The data -------------------------------------------------------------------------------------

    def _ensure_data(self, name: str, scale: int, *, reset: bool) -> None:
        meta = data.meta_read()
        if meta.get("scale") == scale and not reset:
            self.stdout.write(f"Reusing {name}: {scale:,} records (--reset to make it again).")
            return
        self.stdout.write(f"Making {name} at {scale:,} records (was: {meta.get('scale') or 'empty'}).")
        started = time.perf_counter()
        _recreate(name)
        call_command("migrate", verbosity=0)
        call_command("createcachetable", verbosity=0)
        timings = data.generate(scale=scale, out=self.stdout.write)
        self.stdout.write(f"Made in {time.perf_counter() - started:.0f} s: {timings}")

    # The run --------------------------------------------------------------------------------------

    def _run(self, name, scale, selected, redis_url, options) -> None:
        started = timezone.now()
        concurrency, duration = options["concurrency"], options["duration"]
        warmup, unloaded = options["warmup"], options["unloaded"]
        rng = random.Random(14)  # noqa: S311 (which ids, not secrets)
        ctx = operations.Context(rng=rng)
        self.stdout.write(f"Search word {ctx.word!r} matches {ctx.word_share:.1%} of records.")
        writes_needed = int((warmup + duration + unloaded + 2) * 200)
        results = {}
        url = _database_url()
        log = Path(options["out"]) / "gunicorn.log"
        with server.gunicorn(
            database_url=url,
            redis_url=redis_url,
            workers=options["workers"],
            worker_class=options["worker_class"],
            threads=options["threads"],
            log=log,
        ) as (host, port):
            for op_name in [n for n in selected if n in operations.HTTP]:
                op = operations.build(op_name, ctx, writes_needed=writes_needed)
                if op_name.startswith("kedb_"):
                    words = ", ".join(f"{w!r} {share:.1%}" for w, share in ctx.kedb_words)
                    self.stdout.write(f"KEDB words (share of known errors): {words}")
                self.stdout.write(f"{op_name}: {len(op.items):,} distinct requests …")
                if op.writes:  # disjoint shares: the single connection's, then each worker's
                    single_items = op.items[: len(op.items) // (concurrency + 1)]
                    rest = op.items[len(single_items) :]
                    per_worker = [rest[i::concurrency] for i in range(concurrency)]
                    one = [single_items]
                else:  # each worker starts at its own place in the list
                    per_worker = [op.items[i:] + op.items[:i] for i in range(concurrency)]
                    one = [op.items]
                loaded = load.drive(
                    host=host, port=port, per_worker=per_worker, warmup=warmup, duration=duration,
                    cycle=not op.writes,
                )  # fmt: skip
                single = load.drive(
                    host=host, port=port, per_worker=one, warmup=1, duration=unloaded, cycle=not op.writes
                )
                sql, sql_error = operations.count_sql(op.sample)
                row = report.http_figures(loaded, single, sql=sql, duration=duration)
                if sql_error and not row.get("failed"):
                    row["failed"] = f"in-process: {sql_error}"
                row["label"] = op.label
                results[op_name] = row
                self.stdout.write(f"  {row}")
        if "sla_sweep" in selected:
            self.stdout.write("sla_sweep …")
            results["sla_sweep"] = {"label": operations.OPERATIONS["sla_sweep"], **inprocess.sweep()}
            self.stdout.write(f"  {results['sla_sweep']}")
        if "impact" in selected:
            self.stdout.write("impact …")
            results["impact"] = {
                "label": operations.OPERATIONS["impact"],
                **inprocess.impact(budget=duration * 3),
            }
            self.stdout.write(f"  {results['impact']}")
        if "trend_detect" in selected:
            self.stdout.write("trend_detect …")
            results["trend_detect"] = {"label": operations.OPERATIONS["trend_detect"], **inprocess.trend()}
            self.stdout.write(f"  {results['trend_detect']}")
        if "change_conflicts" in selected:
            self.stdout.write("change_conflicts …")
            results["change_conflicts"] = {
                "label": operations.OPERATIONS["change_conflicts"],
                **bench_changes.conflicts(budget=duration * 3),
            }
            self.stdout.write(f"  {results['change_conflicts']}")
        if "release_wave" in selected:
            self.stdout.write("release_wave …")
            results["release_wave"] = {
                "label": operations.OPERATIONS["release_wave"],
                **bench_releases.release_wave(),
            }
            self.stdout.write(f"  {results['release_wave']}")
        if "report_measures" in selected:
            self.stdout.write("report_measures …")
            results["report_measures"] = {
                "label": operations.OPERATIONS["report_measures"],
                **bench_reports.measures_time(out=self.stdout.write),
            }
        if "report_pages" in selected:
            self.stdout.write("report_pages …")
            results["report_pages"] = {
                "label": operations.OPERATIONS["report_pages"],
                **bench_reports.pages_time(out=self.stdout.write),
            }
        if "report_rollup" in selected:
            self.stdout.write("report_rollup …")
            results["report_rollup"] = {
                "label": operations.OPERATIONS["report_rollup"],
                **bench_reports.rollup(),
            }
            self.stdout.write(f"  {results['report_rollup']}")
        made = data.meta_read()
        result = {
            "meta": {
                "started": started.isoformat(timespec="seconds"),
                "database": name,
                "scale": scale,
                "concurrency": concurrency,
                "duration": duration,
                "warmup": warmup,
                "unloaded": unloaded,
                "server": f"{options['workers']} {options['worker_class']} workers "
                f"× {options['threads']} threads",
                "commit": _commit(),
                "search_word": ctx.word,
                "search_word_share": round(ctx.word_share, 4),
                "zh_word": operations.ZH_WORD,
                "kedb_words": made.get("kedb_words"),
                "known_errors": made.get("known_errors"),
                "generation_seconds": made.get("generation_seconds"),
                "record_facts": made.get("record_facts"),
            },
            "operations": report.judge(results),
        }
        path = report.write(result, Path(options["out"]), started.strftime("%Y%m%dT%H%M%S"))
        self.stdout.write("")
        self.stdout.write(report.markdown(result))
        self.stdout.write(f"\nWritten to {path}")


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _recreate(name: str) -> None:
    """Drop and create the (bench-named) database, from the server's maintenance database."""
    s = connection.settings_dict
    connection.close()
    maintenance = psycopg2.connect(
        dbname="postgres", user=s["USER"], password=s.get("PASSWORD") or None, host=s["HOST"] or None,
        port=s["PORT"] or None,
    )  # fmt: skip
    maintenance.autocommit = True
    try:
        with maintenance.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        maintenance.close()


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            capture_output=True,
            text=True,
            cwd=settings.BASE_DIR,
            check=False,
        ).stdout.strip()
    except OSError:
        return ""
