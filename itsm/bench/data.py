"""The bench database: made once per scale with set-based SQL and COPY, then reused.

What it holds: the demo desk (`seed_demo`: catalogue, requesters, policies), 20 bench groups of 10 agents,
N incidents and requests (`incidents_generate`, spread over the bench groups, some titled in Chinese),
about three timeline entries each (a public comment, a status change, work notes) and an attachment on
some, a running resolution clock on each open record (the bench SLA policy, round the clock), and a CMDB
of 100,000 CIs with ~300,000 relationships (`cmdb_generate`), one incident in ten naming an affected CI,
and a known error database of 10,000 known errors with their problems (`kedb`), then every record's
management-information facts (`reports.facts_fill`).
What was made is written in a small table of its own (`itsm_bench_meta`), which is how a later run knows it
can reuse it.
"""

import io
import json
import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from incidents import workflow as wf
from incidents.models import Incident
from servicedesk import roles
from servicedesk.models import ApiToken, SLAPolicy, SLATarget, SupportGroup, User
from servicedesk.services.people import support_group_create, user_create
from servicedesk.services.tokens import KEY_PREFIX, _digest
from servicedesk.sla.calendars import calendar_set_hours

META_TABLE = "itsm_bench_meta"
GROUP_PREFIX = "Bench group "
AGENT_PREFIX = "bench-agent-"
TOKEN_NAME = "bench"
POLICY = "Bench SLA"
CALENDAR = "Bench 24×7"
WARNINGS = [50, 75]
# Business seconds to resolve, by priority: the bench policy's targets.
TARGETS = {1: 4 * 3600, 2: 8 * 3600, 3: 24 * 3600, 4: 48 * 3600, 5: 96 * 3600}
SCALES = {"100k": 100_000, "1m": 1_000_000}


def parse_scale(text: str) -> int:
    """'100k', '1m', or a plain number (the tests' tiny scales)."""
    text = text.strip().lower()
    if text in SCALES:
        return SCALES[text]
    if text.endswith("k") and text[:-1].isdigit():
        return int(text[:-1]) * 1000
    if text.isdigit() and int(text) > 0:
        return int(text)
    raise CommandError(f"Unknown scale {text!r}: use 100k, 1m or a number of records.")


def check_database() -> str:
    """The database's name; refuses anything but PostgreSQL named '*bench' (it is filled and changed)."""
    name = connection.settings_dict["NAME"] or ""
    if connection.vendor != "postgresql":
        raise CommandError("The bench needs PostgreSQL (set DATABASE_URL).")
    if not name.endswith("bench"):
        raise CommandError(
            f"Refusing to use {name!r}: the bench fills a database whose name ends in 'bench'."
        )
    return name


# What was made -------------------------------------------------------------------------------------


def _meta_table(cursor) -> None:
    """The bench's own table, outside the models and migrations: it exists only in bench databases."""
    cursor.execute(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key text PRIMARY KEY, value jsonb NOT NULL)")


def meta_read() -> dict:
    with connection.cursor() as cursor:
        _meta_table(cursor)
        cursor.execute(f"SELECT key, value FROM {META_TABLE}")  # noqa: S608
        return {
            key: json.loads(value) if isinstance(value, str) else value for key, value in cursor.fetchall()
        }


def meta_write(**values) -> None:
    with connection.cursor() as cursor:
        _meta_table(cursor)
        for key, value in values.items():
            cursor.execute(
                f"INSERT INTO {META_TABLE} (key, value) VALUES (%s, %s) "  # noqa: S608
                "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                [key, json.dumps(value)],
            )


# Making it -----------------------------------------------------------------------------------------


def generate(
    *,
    scale: int,
    cis: int = 100_000,
    relationships: int = 300_000,
    groups: int = 20,
    agents_per_group: int = 10,
    demo: bool = True,
    known_errors: int | None = None,
    seed: int = 14,
    out=print,
) -> dict:
    """Fill the (empty) database; returns the seconds each step took, also kept in the meta table.
    `known_errors`: how many (default: the KEDB's 10,000)."""
    from . import kedb, reports

    timings = {}

    def step(name, function, *args, **kwargs):
        started = time.perf_counter()
        function(*args, **kwargs)
        timings[name] = round(time.perf_counter() - started, 1)
        out(f"  {name}: {timings[name]} s")

    quiet = io.StringIO()
    if demo:
        step("seed_demo", call_command, "seed_demo", stdout=quiet)
    step("agents", _agents, groups=groups, per_group=agents_per_group)
    step("policy", _policy)
    step(
        "incidents",
        call_command,
        "incidents_generate",
        count=scale,
        seed=seed,
        chinese=0.05,
        spread_groups=True,
        batch_size=10_000,
        stdout=quiet,
    )
    step("timelines", _timelines)
    step("clocks", _clocks)
    step("cmdb", call_command, "cmdb_generate", cis=cis, relationships=relationships, seed=seed, stdout=quiet)
    step("affected_cis", affected_cis)
    step("known_errors", kedb.generate, count=kedb.SIZE if known_errors is None else known_errors)
    step("record_facts", reports.facts_fill, out=out)
    step("analyze", _analyze)
    meta_write(scale=scale, cis=cis, relationships=relationships, generation_seconds=timings)
    return timings


@transaction.atomic
def _agents(*, groups: int, per_group: int) -> None:
    """`groups` bench groups of `per_group` agents each (made through the services, like real ones)."""
    for g in range(1, groups + 1):
        members = [
            user_create(
                actor=None,
                username=f"{AGENT_PREFIX}{g:02d}-{a:02d}",
                email=f"{AGENT_PREFIX}{g:02d}-{a:02d}@bench.invalid",
                full_name=f"Bench Agent {g:02d}-{a:02d}",
                roles=[roles.AGENT],
            )
            for a in range(1, per_group + 1)
        ]
        support_group_create(actor=None, name=f"{GROUP_PREFIX}{g:02d}", members=members)


@transaction.atomic
def _policy() -> SLAPolicy:
    """The bench clocks' policy: round the clock, warnings at 50 and 75 %, last in order (never chosen
    for a new record while any other policy matches)."""
    from servicedesk.models import BusinessCalendar

    calendar, created = BusinessCalendar.objects.get_or_create(name=CALENDAR, defaults={"time_zone": "UTC"})
    if created:
        calendar_set_hours(calendar=calendar, actor=None, weekly={day: [(0, 1440)] for day in range(7)})
    policy, created = SLAPolicy.objects.get_or_create(
        name=POLICY,
        defaults={
            "calendar": calendar,
            "order": 10_000,
            "warning_percents": WARNINGS,
            "description": "Created by manage.py bench.",
        },
    )
    if created:
        SLATarget.objects.bulk_create(
            SLATarget(policy=policy, metric="resolution", priority=p, target=timedelta(seconds=s))
            for p, s in TARGETS.items()
        )
    return policy


def _timelines() -> None:
    """About three entries a record: the requester's public comment on creation, an agent's work note on
    every other record, a status change on each record past `new`, the requester's follow-up on every
    third; and an attachment (with its entry) on one record in twenty. Set-based: one INSERT each."""
    incident_type = ContentType.objects.get_for_model(Incident).pk
    table = connection.ops.quote_name(Incident._meta.db_table)  # from the model: safe to format in
    common = {"type": incident_type}
    statements = [
        # The opening comment.
        """INSERT INTO servicedesk_timelineentry (content_type_id, object_id, kind, is_public, author_id,
                       body, data, created_at)
           SELECT %(type)s, i.id, 'comment', true, i.requester_id, i.description, '{}'::jsonb,
                          i.created_at
                   FROM incidents i""",
        # A work note by the assignee (or nobody) on every other record.
        """INSERT INTO servicedesk_timelineentry (content_type_id, object_id, kind, is_public, author_id,
                       body, data, created_at)
           SELECT %(type)s, i.id, 'work_note', false, i.assignee_id,
                          'Checked the logs; looking into it with the team.', '{}'::jsonb,
                          COALESCE(i.responded_at, i.created_at) + interval '5 minutes'
                   FROM incidents i WHERE i.id %% 2 = 0""",
        # The status change to where the record is now.
        """INSERT INTO servicedesk_timelineentry (content_type_id, object_id, kind, is_public, author_id,
                       body, data, created_at)
           SELECT %(type)s, i.id, 'transition', true, i.assignee_id, '',
                          jsonb_build_object('from', 'new', 'to', i.status, 'transition', CASE i.status
                              WHEN 'assigned' THEN 'assign' WHEN 'in_progress' THEN 'start'
                              WHEN 'on_hold' THEN 'hold' WHEN 'resolved' THEN 'resolve'
                              WHEN 'closed' THEN 'close' ELSE 'cancel' END),
                          COALESCE(i.closed_at, i.resolved_at, i.responded_at, i.created_at)
                   FROM incidents i WHERE i.status <> 'new'""",
        # The requester's follow-up on every third record.
        """INSERT INTO servicedesk_timelineentry (content_type_id, object_id, kind, is_public, author_id,
                       body, data, created_at)
           SELECT %(type)s, i.id, 'comment', true, i.requester_id,
                          'Any news on this? It is still happening.', '{}'::jsonb,
                          i.created_at + interval '2 hours'
                   FROM incidents i WHERE i.id %% 3 = 0""",
        # A screenshot on one record in twenty: its entry, then the file's row (the file itself is not
        # written: pages list attachments by name and size, only a download opens the file).
        """INSERT INTO servicedesk_timelineentry (content_type_id, object_id, kind, is_public, author_id,
                       body, data, created_at)
           SELECT %(type)s, i.id, 'attachment', true, i.requester_id, '', '{"bench": true}'::jsonb,
                          i.created_at + interval '1 minute'
                   FROM incidents i WHERE i.id %% 20 = 7""",
        """INSERT INTO servicedesk_attachment (entry_id, file, name, media_type, size, sha256, uploaded_by_id,
                created_at)
            SELECT e.id, 'bench/screenshot-' || e.object_id || '.png', 'screenshot.png', 'image/png', 48213,
                   repeat('0', 64), e.author_id, e.created_at
            FROM servicedesk_timelineentry e WHERE e.kind = 'attachment' AND e.data ? 'bench'""",
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql.replace("FROM incidents i", f"FROM {table} i"), common)


def _clocks() -> None:
    """A running resolution clock (and its ledger's open segment) on each open record, under the bench
    policy; the record's `sla_due_at` is the clock's due time, as the SLA engine keeps it."""
    policy = SLAPolicy.objects.get(name=POLICY)
    table = connection.ops.quote_name(Incident._meta.db_table)
    targets = " ".join(f"WHEN {p} THEN {s}" for p, s in TARGETS.items())
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO servicedesk_slaclock (
                content_type_id, object_id, metric, cycle, policy_id, priority, time_zone, target_seconds,
                state, pause_reason, started_at, running_since, consumed_seconds, due_at, checked_seconds,
                next_check_at, updated_at)
            SELECT %(type)s, i.id, 'resolution', 1, %(policy)s, i.priority, 'UTC', t.target, 'running', '',
                   i.created_at, i.created_at, 0, i.created_at + make_interval(secs => t.target), 0,
                   i.created_at + make_interval(secs => t.target * {WARNINGS[0]} / 100), now()
            FROM {table} i CROSS JOIN LATERAL (SELECT CASE i.priority {targets} END AS target) t
            WHERE i.status = ANY(%(open)s) AND NOT EXISTS (
                SELECT 1 FROM servicedesk_slaclock o
                WHERE o.content_type_id = %(type)s AND o.object_id = i.id AND o.metric = 'resolution')
            """,  # noqa: S608 (the table name comes from the model, the targets are integers)
            {
                "type": ContentType.objects.get_for_model(Incident).pk,
                "policy": policy.pk,
                "open": wf.OPEN_STATUSES,
            },
        )
        cursor.execute(
            """
            INSERT INTO servicedesk_slasegment (clock_id, cycle, kind, started_at, ended_at, business_seconds,
                reason, data)
            SELECT c.id, 1, 'running', c.started_at, NULL, 0, 'started', '{}'::jsonb
            FROM servicedesk_slaclock c WHERE c.policy_id = %s
            """,
            [policy.pk],
        )
        cursor.execute(
            f"""
            UPDATE {table} i SET sla_due_at = c.due_at FROM servicedesk_slaclock c
            WHERE c.policy_id = %s AND c.content_type_id = %s AND c.object_id = i.id
            """,  # noqa: S608
            [policy.pk, ContentType.objects.get_for_model(Incident).pk],
        )


# One incident in AFFECTED_SHARE names an affected CI, among the first AFFECTED_CIS CIs that are not
# business services: some CIs recur often enough in a month for trend detection to propose them.
AFFECTED_SHARE = 10
AFFECTED_CIS = 5000


def affected_cis() -> None:
    """Affected CIs on one incident in AFFECTED_SHARE (one INSERT); noted in the meta table, so a database
    made before this step gets it once, when the trend operation first runs."""
    from cmdb.models import CIClass, ConfigurationItem

    table = connection.ops.quote_name(Incident._meta.db_table)
    through = connection.ops.quote_name(Incident.affected_cis.through._meta.db_table)
    cis = connection.ops.quote_name(ConfigurationItem._meta.db_table)
    classes = connection.ops.quote_name(CIClass._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH cis AS (
                SELECT c.id, row_number() OVER (ORDER BY c.id) - 1 AS k
                FROM {cis} c JOIN {classes} k ON k.id = c.ci_class_id
                WHERE k.path NOT LIKE '/business_service/%%' ORDER BY c.id LIMIT %(cis)s
            ), n AS (SELECT count(*) AS n FROM cis)
            INSERT INTO {through} (incident_id, configurationitem_id)
            SELECT i.id, cis.id FROM {table} i CROSS JOIN n
            JOIN cis ON cis.k = (i.id / %(share)s) %% n.n
            WHERE i.kind = 'incident' AND i.id %% %(share)s = 3
            ON CONFLICT DO NOTHING
            """,  # noqa: S608 (table names from the models)
            {"cis": AFFECTED_CIS, "share": AFFECTED_SHARE},
        )
        cursor.execute(f"ANALYZE {through}")
    meta_write(affected_cis=AFFECTED_SHARE)


def _analyze() -> None:
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
    with connection.cursor() as cursor:
        cursor.execute(command)


# What the operations draw from ---------------------------------------------------------------------


def bench_groups() -> list[SupportGroup]:
    return list(SupportGroup.objects.filter(name__startswith=GROUP_PREFIX).order_by("name"))


def bench_agents() -> list[User]:
    return list(User.objects.filter(username__startswith=AGENT_PREFIX).order_by("username"))


def sessions(agents) -> dict[int, str]:
    """A signed-in session per agent, made directly (no password, no sign-in page): pk -> session key."""
    keys = {}
    for agent in agents:
        store = SessionStore()
        store[SESSION_KEY] = str(agent.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = agent.get_session_auth_hash()
        store.create()
        keys[agent.pk] = store.session_key
    return keys


@transaction.atomic
def tokens(agents) -> dict[int, str]:
    """A fresh API token per agent (the previous run's are deleted): pk -> key."""
    ApiToken.objects.filter(user__in=agents, name=TOKEN_NAME).delete()
    keys = {agent.pk: KEY_PREFIX + secrets.token_urlsafe(32) for agent in agents}
    ApiToken.objects.bulk_create(
        ApiToken(user_id=pk, name=TOKEN_NAME, prefix=key[:12], digest=_digest(key))
        for pk, key in keys.items()
    )
    return keys


def cookie_name() -> str:
    return settings.SESSION_COOKIE_NAME
