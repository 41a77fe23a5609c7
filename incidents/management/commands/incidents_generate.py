"""Generate any number of incidents and service requests quickly, for benchmarks and tests."""

import contextlib
import io
import json
import math
import random
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from cmdb.selectors import business_service_list
from incidents import workflow as wf
from incidents.demo.data import DESCRIPTIONS, INCIDENT_TOPICS
from incidents.models import Category, Incident, RequestType
from incidents.records import PREFIXES
from servicedesk.models import PriorityRule, SupportGroup, User
from servicedesk.selectors import agent_list, support_group_default
from servicedesk.services.numbering import number_allocate
from servicedesk.services.priority import DEFAULT_MATRIX

R = Incident.ResolutionCode
CHANNELS = [("portal", 55), ("email", 20), ("phone", 15), ("api", 5), ("monitoring", 5)]
IMPACTS = [(1, 3), (2, 22), (3, 75)]
URGENCIES = [(1, 15), (2, 45), (3, 40)]
INCIDENT_CODES = [(R.SOLVED, 60), (R.WORKAROUND, 18), (R.ADVICE, 14), (R.NOT_REPRODUCIBLE, 8)]
HOLD_REASONS = [
    (Incident.HoldReason.REQUESTER, 50),
    (Incident.HoldReason.VENDOR, 35),
    (Incident.HoldReason.CHANGE, 15),
]
SCORES = [(5, 45), (4, 30), (3, 13), (2, 7), (1, 5)]
# Status by age of the record: the last day, the last week, older. Closed and resolved records are
# checked against their resolution time below (a resolved one past the auto-close delay is closed).
STATUS_BY_AGE = [
    (1, [("new", 35), ("assigned", 18), ("in_progress", 25), ("on_hold", 7), ("resolved", 12),
         ("cancelled", 3)]),
    (7, [("new", 4), ("assigned", 8), ("in_progress", 22), ("on_hold", 10), ("resolved", 34), ("closed", 16),
         ("cancelled", 6)]),
    (None, [("new", 0.5), ("assigned", 0.5), ("in_progress", 2), ("on_hold", 1.5), ("closed", 87.5),
            ("cancelled", 8)]),
]  # fmt: skip
# Chinese titles for the share of records given by --chinese (search must find words in them too).
CHINESE_TITLES = [
    "打印机无法打印", "邮箱无法登录", "网络连接中断", "VPN 连接失败", "系统运行缓慢", "电脑无法开机",
    "密码过期无法登录", "共享文件夹无法访问", "会议室投影仪故障", "报销系统报错", "无线网络信号弱",
    "软件安装申请", "显示器闪烁", "账户被锁定", "工资单查询失败",
]  # fmt: skip
# Median hours to resolve by priority (log-normal spread).
RESOLVE_HOURS = {1: 3, 2: 8, 3: 24, 4: 48, 5: 96}


class _Choices:
    """Weighted choices drawn fast: cumulative weights computed once."""

    def __init__(self, rng, weighted):
        self.rng = rng
        self.values, weights = zip(*weighted, strict=True)
        total, self.cumulative = 0, []
        for weight in weights:
            total += weight
            self.cumulative.append(total)

    def __call__(self):
        return self.rng.choices(self.values, cum_weights=self.cumulative)[0]


class Command(BaseCommand):
    help = (
        "Create N synthetic incidents and service requests with bulk inserts, consistent with the status "
        "machine and the check constraints, spread over the last --days days. A benchmark and test tool: "
        "it writes no timeline, audit or SLA rows, so never run it on real data. Needs people, support "
        "groups and business services (run seed_demo first)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True, help="Number of records to create.")
        parser.add_argument("--batch-size", type=int, default=5000, help="Rows per insert and transaction.")
        parser.add_argument("--seed", type=int, default=None, help="Random seed, for repeatable data.")
        parser.add_argument("--days", type=int, default=365, help="Spread creation over this many days.")
        parser.add_argument(
            "--chinese", type=float, default=0.0, help="Share of incidents titled in Chinese (0 to 1)."
        )
        parser.add_argument(
            "--spread-groups",
            action="store_true",
            help="Route records to every active group with agents, evenly, instead of by service.",
        )

    def handle(
        self,
        *args,
        count: int,
        batch_size: int,
        seed: int | None,
        days: int,
        chinese: float = 0.0,
        spread_groups: bool = False,
        **options,
    ):
        if count < 1:
            raise CommandError("--count must be at least 1.")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if days < 1:
            raise CommandError("--days must be at least 1.")
        if not 0 <= chinese <= 1:
            raise CommandError("--chinese must be between 0 and 1.")
        self.chinese = chinese
        self.rng = random.Random(seed)  # noqa: S311 (synthetic data, not secrets)
        self.now = timezone.now()
        self.days = days
        self._load()
        if spread_groups:
            self.spread = sorted(pk for pk, members in self.agents.items() if members)
            if not self.spread:
                raise CommandError("No active support group has agents to spread the records over.")
        else:
            self.spread = None

        started = time.monotonic()
        done = 0
        with _explicit_timestamps():
            while done < count:
                size = min(batch_size, count - done)
                with transaction.atomic():
                    rows = [self._row() for _ in range(size)]
                    self._number(rows)
                    _write(rows)
                done += size
                elapsed = time.monotonic() - started
                self.stdout.write(f"  {done}/{count} records, {done / max(elapsed, 1e-9):,.0f} rows/s")
        if connection.vendor in ("postgresql", "sqlite"):
            # Fresh statistics, or the planner guesses on a table that just grew by N rows.
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(Incident._meta.db_table)}")
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {count} incidents and requests in {elapsed:.1f}s "
                f"({count / max(elapsed, 1e-9):,.0f} rows/s)."
            )
        )

    # Reference data

    def _load(self) -> None:
        rng = self.rng
        groups = list(SupportGroup.objects.filter(is_active=True))
        self.agents = {
            g.pk: list(agent_list(group=g, perm=wf.WORK_PERMISSION).values_list("pk", flat=True))
            for g in groups
        }
        if not groups:
            raise CommandError("No support group: run seed_demo first.")
        # Routed as the desk routes: unclassified records go to the default group, or to none.
        desk = support_group_default()
        self.desk_id = desk.pk if desk is not None else None
        requesters = list(
            User.objects.filter(is_active=True, groups__name="Requester").values_list("pk", flat=True)
        ) or list(User.objects.filter(is_active=True).values_list("pk", flat=True))
        if not requesters:
            raise CommandError("No people: run seed_demo first.")
        self.requesters = sorted(set(requesters))
        services = list(business_service_list().order_by("pk"))
        self.services = [(s.pk, s.support_group_id or self.desk_id, s.name) for s in services]
        self.request_types = [
            (
                rt.pk,
                rt.service_id,
                rt.support_group_id or rt.service.support_group_id or self.desk_id,
                rt.name,
            )
            for rt in RequestType.objects.filter(is_active=True).select_related("service").order_by("pk")
        ]
        categories = list(Category.objects.filter(is_active=True).order_by("pk"))
        self.categories = [
            (c.pk, [s.pk for s in categories if s.parent_id == c.pk])
            for c in categories
            if c.parent_id is None
        ]
        matrix = dict(DEFAULT_MATRIX)
        matrix.update({(r.impact, r.urgency): r.priority for r in PriorityRule.objects.all()})
        self.matrix = matrix
        self.titles = [title for topics in INCIDENT_TOPICS.values() for title, *_rest in topics]
        self.pick_channel = _Choices(rng, CHANNELS)
        self.pick_impact = _Choices(rng, IMPACTS)
        self.pick_urgency = _Choices(rng, URGENCIES)
        self.pick_code = _Choices(rng, INCIDENT_CODES)
        self.pick_hold = _Choices(rng, HOLD_REASONS)
        self.pick_score = _Choices(rng, SCORES)
        self.pick_status = [(limit, _Choices(rng, weights)) for limit, weights in STATUS_BY_AGE]
        self.auto_close = timedelta(days=settings.ITSM_AUTO_CLOSE_DAYS)

    # One row

    def _created_at(self):
        """A weekday in working hours mostly, recent days a little more often than old ones."""
        rng = self.rng
        day = int(self.days * rng.random() ** 1.15)
        hour = rng.choice((8, 9, 9, 10, 10, 11, 11, 12, 13, 14, 14, 15, 15, 16, 17, 18, 20, 22, 2))
        created = (self.now - timedelta(days=day)).replace(hour=hour, minute=rng.randrange(60))
        created = created.replace(second=rng.randrange(60), microsecond=rng.randrange(1_000_000))
        if created.weekday() >= 5 and rng.random() < 0.7:
            created -= timedelta(days=created.weekday() - 4)
        return min(created, self.now - timedelta(seconds=rng.randrange(1, 600)))

    def _row(self) -> Incident:
        rng = self.rng
        is_request = bool(self.request_types) and rng.random() < 0.3
        fields = {"requester_id": rng.choice(self.requesters), "channel": self.pick_channel()}
        if is_request:
            type_id, service_id, group_id, name = rng.choice(self.request_types)
            fields |= {"kind": "request", "request_type_id": type_id, "title": name, "impact": 3}
            urgency = rng.choice((2, 3, 3))
        else:
            service_id, group_id, _name = (
                rng.choice(self.services) if self.services else (None, self.desk_id, "")
            )
            title = rng.choice(CHINESE_TITLES if rng.random() < self.chinese else self.titles)
            fields |= {"kind": "incident", "title": title, "impact": self.pick_impact()}
            urgency = self.pick_urgency()
            if self.categories:
                category, subs = rng.choice(self.categories)
                fields |= {"category_id": category, "subcategory_id": rng.choice(subs) if subs else None}
        if self.spread:
            group_id = rng.choice(self.spread)
        fields |= {
            "service_id": service_id,
            "support_group_id": group_id,
            "urgency": urgency,
            "priority": self.matrix[(fields["impact"], urgency)],
            "description": rng.choice(DESCRIPTIONS),
            "created_by_id": fields["requester_id"],
        }
        created = self._created_at()
        fields |= self._lifecycle(created, fields)
        fields["updated_at"] = max(
            t
            for t in (created, fields.get("responded_at"), fields.get("resolved_at"), fields.get("closed_at"))
            if t
        )
        return Incident(created_at=created, **fields)

    def _lifecycle(self, created, fields) -> dict:
        """Status and the timestamps, codes and people that go with it, never later than now."""
        rng, now = self.rng, self.now
        age = (now - created).days
        status = next(pick for limit, pick in self.pick_status if limit is None or age < limit)()
        agents = self.agents.get(fields["support_group_id"]) or []
        if status == "new" or not agents:
            return {"status": "new"}
        if status == "cancelled" and rng.random() < 0.5:
            return {"status": status, "closed_at": min(created + timedelta(minutes=rng.uniform(5, 600)), now)}
        out = {
            "status": status,
            "assignee_id": rng.choice(agents),
            "responded_at": min(created + timedelta(minutes=rng.expovariate(1 / 45)), now),
        }
        hours = RESOLVE_HOURS[fields["priority"]] * math.exp(rng.gauss(0, 0.8))
        resolved = created + timedelta(hours=hours)
        if status == "cancelled":
            out["closed_at"] = min(created + timedelta(hours=hours / 2), now)
        elif status in ("resolved", "closed"):
            if resolved > now:
                out["status"] = "in_progress"
            else:
                out |= self._resolution(fields, created, resolved)
                closed = resolved + (
                    self.auto_close + timedelta(minutes=rng.uniform(1, 60))
                    if rng.random() < 0.55
                    else timedelta(hours=rng.uniform(0.5, 72))
                )
                if status == "resolved" and now - resolved > self.auto_close:
                    status = "closed"
                if status == "closed" and closed > now:
                    status = "resolved"
                out["status"] = status
                if status == "closed":
                    out["closed_at"] = closed
                    if rng.random() < 0.3:
                        out |= {"csat_score": self.pick_score(), "rated_at": closed}
        if out["status"] == wf.ON_HOLD:
            out["hold_reason"] = self.pick_hold()
        return out

    def _resolution(self, fields, created, resolved) -> dict:
        rng = self.rng
        code = R.FULFILLED if fields["kind"] == "request" else self.pick_code()
        quick = fields["channel"] == "phone" and resolved - created < timedelta(hours=1)
        return {
            "resolved_at": resolved,
            "resolution_code": code,
            "resolution_notes": "Fulfilled as requested." if code == R.FULFILLED else "Fixed and checked.",
            "first_contact_resolution": quick and rng.random() < 0.8,
        }

    def _number(self, rows: list[Incident]) -> None:
        """Give the batch its numbers from one block per prefix, allocated in this transaction."""
        for kind, prefix in PREFIXES.items():
            of_kind = [row for row in rows if row.kind == kind]
            if of_kind:
                for row, number in zip(
                    of_kind, number_allocate(prefix=prefix, count=len(of_kind)), strict=True
                ):
                    row.number = number


def _write(rows: list[Incident]) -> None:
    """Insert the batch: with COPY on PostgreSQL (several times faster than a multi-row INSERT with a
    parameter per value, which is what makes a million records a matter of minutes), else bulk_create."""
    if connection.vendor != "postgresql":
        Incident.objects.bulk_create(rows, batch_size=len(rows))
        return
    # A generated column (the search document) is PostgreSQL's to compute: COPY must not name it.
    fields = [f for f in Incident._meta.concrete_fields if not f.primary_key and not f.generated]
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(_copy_value(getattr(row, f.attname)) for f in fields))
        buffer.write("\n")
    buffer.seek(0)
    table = connection.ops.quote_name(Incident._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)


def _copy_value(value) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dict | list):  # a JSON field's value
        text = json.dumps(value, cls=DjangoJSONEncoder)
    elif isinstance(value, datetime):
        text = value.isoformat()
    else:
        text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


@contextlib.contextmanager
def _explicit_timestamps():
    """Let bulk_create store the generated created_at/updated_at instead of stamping now."""
    fields = [Incident._meta.get_field(name) for name in ("created_at", "updated_at")]
    saved = [(f.auto_now, f.auto_now_add) for f in fields]
    for field in fields:
        field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, (auto_now, auto_now_add) in zip(fields, saved, strict=True):
            field.auto_now, field.auto_now_add = auto_now, auto_now_add
