"""What each operation asks the server, drawn from real ids of the bench database, and how its SQL is
counted: the same requests sent in-process through Django's test client, statements captured.

The names are stable (`--only`, result files and comparisons use them); `floor` always runs first.
"""

import json
import random
import statistics
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db import connection
from django.test import Client

from incidents import workflow as wf
from incidents.models import Incident

from . import data, kedb, report
from .load import Request

ZH_WORD = "打印机"  # "printer": in one of generate's Chinese titles
WORD_SHARE = 0.04  # the share of records the English search word should match
OPEN = [("status", status) for status in wf.OPEN_STATUSES]


@dataclass
class Operation:
    name: str
    label: str
    # "http": driven through the server; "sweep" and "impact": timed in-process.
    kind: str = "http"
    writes: bool = False  # each item is used once (they change the record)
    items: list = field(default_factory=list)  # each a tuple of Requests: one operation
    sample: list = field(default_factory=list)  # items for the in-process SQL count (writes: their own)


OPERATIONS = {
    "floor": "floor: GET /api/v1/me/ (session)",
    "queue_page": "agent queue page (one group, open)",
    "queue_api": "queue API (one group, open, by priority)",
    "record_page": "record page",
    "record_api": "record API",
    "search_page": "queue page with a word (q=)",
    "search_api": "API with a word (q=)",
    "search_zh": "queue page with a Chinese word (q=)",
    "kedb_search_api": "KEDB search API (q=), 10,000 known errors",
    "kedb_search_page": "KEDB page with a word (q=), 10,000 known errors",
    "create_api": "create an incident (API)",
    "comment_resolve_api": "public comment + resolve (API)",
    "sla_sweep": "SLA sweep, 10,000 due clocks, one worker",
    "impact": "impact analysis, depth 10, densest CIs",
    "trend_detect": "trend detection: problem candidates from the last 30 days' incidents",
    "change_conflicts": "conflict detection: a change on a CI with 1,000 dependants, 10,000 changes",
    "release_wave": "a release's 10,000-CI wave: every task succeeded (CMDB updated), then rolled back",
    "report_measures": "every registered measure: 30 days, 12 months, by group, a group manager's",
    "report_pages": "every dashboard and report page, an administrator's and a group manager's",
    "report_rollup": "management information's beat task over a day's changes",
}
IN_PROCESS = (
    "sla_sweep",
    "impact",
    "trend_detect",
    "change_conflicts",
    "release_wave",
    "report_measures",
    "report_pages",
    "report_rollup",
)
HTTP = [name for name in OPERATIONS if name not in IN_PROCESS]


class Context:
    """The people, sessions, tokens and ids the operations draw from (one random draw per run)."""

    def __init__(self, *, rng: random.Random, records: int = 2000):
        self.rng = rng
        self.groups = data.bench_groups()
        self.agents = data.bench_agents()
        if not self.groups or not self.agents:
            raise RuntimeError("The bench database has no bench groups or agents: run with --reset.")
        self.sessions = data.sessions(self.agents)
        self.tokens = data.tokens(self.agents)
        self.cookie = data.cookie_name()
        self.agent_ids = [agent.pk for agent in self.agents]
        self.numbers = _sample_numbers(records)
        self.requesters = list(
            Incident.objects.order_by().values_list("requester_id", flat=True).distinct()[:200]
        )
        known = data.meta_read().get("search_word")
        if known:
            self.word, self.word_share = known
        else:
            self.word, self.word_share = pick_word()
            data.meta_write(search_word=[self.word, self.word_share])
        self._kedb_words = None

    @property
    def kedb_words(self) -> list[tuple[str, float]]:
        """The words the KEDB operations search, each matching a few % of the known errors (made and
        measured once, on first use: a database made before the KEDB gets it then)."""
        if self._kedb_words is None:
            self._kedb_words = kedb.ensure()
        return self._kedb_words

    def session(self, pk=None) -> dict:
        pk = pk or self.rng.choice(self.agent_ids)
        return {"Cookie": f"{self.cookie}={self.sessions[pk]}", "Host": "127.0.0.1"}

    def token(self, pk=None) -> dict:
        pk = pk or self.rng.choice(self.agent_ids)
        return {
            "Authorization": f"Bearer {self.tokens[pk]}",
            "Host": "127.0.0.1",
            "Accept": "application/json",
        }


def _sample_numbers(count: int) -> list[str]:
    """Numbers of incidents spread over the table (random, not the newest)."""
    top = Incident.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    rng = random.Random(count)  # noqa: S311 (a sample, not a secret)
    wanted = sorted({rng.randint(1, top) for _ in range(count * 2)}) if top else []
    numbers = list(Incident.objects.filter(pk__in=wanted, kind="incident").values_list("number", flat=True))
    rng.shuffle(numbers)
    return numbers[:count]


def pick_word() -> tuple[str, float]:
    """An English title word matching (title or description, as `q` does) closest to 4 % of records,
    from a sample; returns it with the share measured exactly over the whole table."""
    table = connection.ops.quote_name(Incident._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT w, count(*) FROM (SELECT title FROM {table} ORDER BY id DESC LIMIT 20000) s,
                   regexp_split_to_table(lower(s.title), '[^a-z]+') w
                WHERE length(w) >= 5 GROUP BY w ORDER BY count(*) DESC LIMIT 15"""  # noqa: S608
        )
        candidates = [row[0] for row in cursor.fetchall()]
        if not candidates:
            return "printer", 0.0
        filters = ", ".join(
            "count(*) FILTER (WHERE title ILIKE %s OR description ILIKE %s)" for _ in candidates
        )
        params = [p for word in candidates for p in (f"%{word}%", f"%{word}%")]
        cursor.execute(f"SELECT count(*), {filters} FROM {table}", params)  # noqa: S608
        total, *counts = cursor.fetchone()
    shares = {word: count / total for word, count in zip(candidates, counts, strict=True)}
    word = min(shares, key=lambda w: abs(shares[w] - WORD_SHARE))
    return word, shares[word]


def build(name: str, ctx: Context, *, writes_needed: int) -> Operation:
    """The operation's items and its SQL sample."""
    rng = ctx.rng
    op = Operation(name=name, label=OPERATIONS[name])
    groups = [group.pk for group in ctx.groups]

    def get(path, headers, marker, params=()):
        query = f"?{urlencode(list(params))}" if params else ""
        return (Request("GET", path + query, headers=headers, marker=marker.encode()),)

    if name == "floor":
        op.items = [get("/api/v1/me/", ctx.session(pk), '"username"') for pk in ctx.agent_ids]
    elif name == "queue_page":
        op.items = [
            get("/desk/queue/", ctx.session(), 'id="queue-table"', [("view", "open"), ("support_group", g)])
            for g in groups
        ]
    elif name == "queue_api":
        op.items = [
            get("/api/v1/incidents/", ctx.token(), '"results"', [("support_group", g), *OPEN]) for g in groups
        ]
    elif name == "record_page":
        op.items = [get(f"/records/{n}/", ctx.session(), n) for n in ctx.numbers]
    elif name == "record_api":
        op.items = [get(f"/api/v1/incidents/{n}/", ctx.token(), f'"{n}"') for n in ctx.numbers]
    elif name == "search_page":
        op.items = [
            get("/desk/queue/", ctx.session(), 'id="queue-table"', [("view", "all"), ("q", ctx.word)])
            for _ in range(50)
        ]
    elif name == "search_api":
        op.items = [get("/api/v1/incidents/", ctx.token(), '"results"', [("q", ctx.word)]) for _ in range(50)]
    elif name == "search_zh":
        op.items = [
            get("/desk/queue/", ctx.session(), 'id="queue-table"', [("view", "all"), ("q", ZH_WORD)])
            for _ in range(50)
        ]
    elif name == "kedb_search_api":
        op.items = [
            get("/api/v1/known-errors/", ctx.token(), '"results"', [("q", word)])
            for word, _share in ctx.kedb_words
            for _ in range(10)
        ]
    elif name == "kedb_search_page":
        op.items = [
            get("/desk/known-errors/", ctx.session(), 'data-testid="kedb-count"', [("q", word)])
            for word, _share in ctx.kedb_words
            for _ in range(10)
        ]
    elif name == "create_api":
        op.writes = True
        op.items = [_create(ctx) for _ in range(writes_needed + 5)]
    elif name == "comment_resolve_api":
        op.writes = True
        op.items = _comment_resolve(ctx, writes_needed + 5)
    else:
        op.kind = name
        return op
    rng.shuffle(op.items)
    if op.writes:
        op.sample, op.items = op.items[:5], op.items[5:]
    else:
        op.sample = op.items[:5]
    return op


def _json(method, path, headers, payload, status, marker) -> Request:
    headers = {**headers, "Content-Type": "application/json"}
    return Request(
        method, path, headers=headers, body=json.dumps(payload).encode(), status=status, marker=marker
    )


def _create(ctx: Context) -> tuple:
    payload = {
        "title": ctx.rng.choice(["Printer jammed on floor 3", "Cannot open the CRM", "VPN drops every hour"]),
        "description": "Created by the benchmark.",
        "requester": ctx.rng.choice(ctx.requesters),
        "impact": 2,
        "urgency": 2,
    }
    return (_json("POST", "/api/v1/incidents/", ctx.token(), payload, 201, b'"number"'),)


def _comment_resolve(ctx: Context, count: int) -> list:
    """A public comment then the resolution, by the record's assignee, on a different open incident each."""
    rows = list(
        Incident.objects.filter(
            kind="incident", status__in=[wf.ASSIGNED, wf.IN_PROGRESS], assignee_id__in=ctx.agent_ids
        )
        .order_by("?")
        .values_list("number", "assignee_id")[:count]
    )
    items = []
    for number, assignee in rows:
        headers = ctx.token(assignee)
        base = f"/api/v1/incidents/{number}/"
        comment = {"body": "We have found the cause and are fixing it now.", "is_public": True}
        resolve = {"to": "resolved", "resolution_code": "solved", "resolution_notes": "Fixed and checked."}
        items.append(
            (
                _json("POST", base + "comments/", headers, comment, 201, b'"comment"'),
                _json("POST", base + "transitions/", headers, resolve, 200, b'"resolved"'),
            )
        )
    return items


def count_sql(items: list) -> tuple[float | None, str]:
    """The median number of SQL statements per operation over `items`, sent in-process (same database,
    same code; the settings of this process), and the first wrong answer if any."""
    client = Client()
    counts, error = [], ""
    for requests in items:
        total = 0
        for request in requests:
            headers = {
                k: v for k, v in request.headers.items() if k not in ("Cookie", "Host", "Content-Type")
            }
            client.cookies.clear()
            cookie = request.headers.get("Cookie")
            if cookie:
                key, _eq, value = cookie.partition("=")
                client.cookies[key] = value
            with report.statements() as captured:
                response = client.generic(
                    request.method,
                    request.path,
                    data=request.body or "",
                    content_type=request.headers.get("Content-Type", "application/octet-stream"),
                    headers=headers,
                    HTTP_HOST="127.0.0.1",
                )
            total += captured[0]
            if response.status_code != request.status or request.marker not in response.content:
                error = error or f"{request.method} {request.path}: {response.status_code}"
        counts.append(total)
    return (statistics.median(counts) if counts else None), error
