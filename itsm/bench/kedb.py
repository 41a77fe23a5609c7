"""The bench's known error database: 10,000 known errors, each with the problem it came from.

Problems and known errors are written with COPY (one per table, in one transaction; numbers from one
block of `PRB` numbers), their services, CIs and workaround uses with one INSERT each. Titles, symptoms,
root causes and workarounds are put together from a vocabulary of systems, faults, objects and events
("Outlook crashes when opening shared calendars"), one in twenty in Chinese; most entries are published
to agents or to the portal. Each system's name is in about one title in thirty: the words the search
operations draw (`kedb_words`) match a few per cent of the entries. Made once; noted in the meta table.
"""

import io
import random
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from cmdb.models import CIClass, ConfigurationItem
from cmdb.selectors import business_service_list
from incidents.models import Category, Incident
from problems import workflow as wf
from problems.models import KnownError, Problem, WorkaroundApplication
from servicedesk.models import PriorityRule
from servicedesk.services.numbering import number_allocate
from servicedesk.services.priority import DEFAULT_MATRIX

from . import data

SIZE = 10_000
# The share of entries the searched words should match: a few per cent each.
WORD_SHARES = (0.01, 0.06)
WORD_TARGET = 0.03
MAX_WORDS = 8
CHINESE_EVERY = 20  # one entry in twenty is written in Chinese
# What becomes of a known error, and of its problem.
STATUSES = [("portal", 40), ("agents", 45), ("draft", 7), ("retired", 8)]
PROBLEM_STATUS = {
    "draft": [(wf.KNOWN_ERROR, 1)],
    "agents": [(wf.KNOWN_ERROR, 60), (wf.RESOLVED, 25), (wf.CLOSED, 15)],
    "portal": [(wf.KNOWN_ERROR, 60), (wf.RESOLVED, 25), (wf.CLOSED, 15)],
    "retired": [(wf.CLOSED, 1)],
}

SYSTEMS = [
    "Outlook", "Teams", "VPN", "SharePoint", "OneDrive", "CRM", "SAP", "HR portal", "Payroll", "Intranet",
    "Web shop", "Citrix", "Zoom", "Printer", "Wi-Fi", "Docking station", "Excel", "Jira", "Confluence",
    "Salesforce", "Slack", "File server", "Active Directory", "Badge reader", "Phone system",
    "Expense tool", "Scanner", "Chrome", "Backup agent", "Antivirus agent", "Mail gateway", "Laptop",
]  # fmt: skip
FAULTS = [
    "crashes when opening {object}", "is slow to load {object}", "asks for the password again after {event}",
    "drops the connection after {event}", "shows an error when saving {object}", "cannot sync {object}",
    "freezes during {event}", "does not start after {event}", "times out when exporting {object}",
    "loses its settings after {event}", "shows a blank page instead of {object}",
    "reports a certificate error after {event}", "prints garbled characters in {object}",
    "duplicates {object}", "sends no notification for {object}", "rejects {object} with error {code}",
    "uses all the memory while indexing {object}", "signs people out after {event}",
]  # fmt: skip
OBJECTS = [
    "shared calendars", "large attachments", "monthly reports", "invoices", "spreadsheets with macros",
    "meeting invitations", "scanned PDF files", "user profiles", "purchase orders", "team folders",
    "expense claims", "customer accounts", "archived mailboxes", "photos from phones", "payslips",
]  # fmt: skip
EVENTS = [
    "a password change", "the nightly update", "a restart", "waking from sleep", "the monthly patch",
    "a network change", "switching to Wi-Fi", "the upgrade to version 4.2", "an hour of use",
    "moving to another office", "the certificate renewal", "a profile reset",
]  # fmt: skip
FREQUENCIES = ["every day", "several times a week", "on some mornings", "about once an hour", "now and then"]
POPULATIONS = [
    "the whole London office", "remote staff", "part-time staff", "the finance team", "new starters",
    "people on the old laptops", "everyone on the night shift", "a few dozen people",
]  # fmt: skip
CAUSES = [
    "a memory leak in the {component} since {event}",
    "an expired certificate on the {component}",
    "a time-out on the {component} set too short for {object}",
    "a race between the {component} and the nightly job",
    "a misconfigured load balancer in front of the {component}",
    "a cache on the {component} that is not cleared after {event}",
    "a driver the {component} does not support since {event}",
]  # fmt: skip
COMPONENTS = [
    "client",
    "server",
    "gateway",
    "database",
    "sync service",
    "identity provider",
    "add-in",
    "proxy",
]
STEPS = [
    "Close {system} completely (check the tray icon).",
    "Clear the local cache: delete the folder `%LOCALAPPDATA%\\{folder}\\Cache`.",
    "Sign out, then sign in again with your full e-mail address.",
    "Restart the laptop while connected to the office network.",
    "Open {system} in a private browser window.",
    "Switch to the wired network for the upload.",
    "Save the file locally first, then copy it to the shared folder.",
    "Turn off the add-in under *Options → Add-ins* and restart.",
]  # fmt: skip
METHODS = [m for m, _label in Problem.Method.choices]

CN_SYSTEMS = ["邮箱", "打印机", "报销系统", "无线网络", "共享文件夹", "工资系统", "会议系统", "考勤系统"]
CN_FAULTS = [
    "无法登录",
    "频繁断线",
    "打开附件时崩溃",
    "加载非常缓慢",
    "保存时报错",
    "同步失败",
    "更新后无法启动",
]
CN_SYMPTOMS = "用户反映{system}{fault}，{when}发生，影响{who}。"
CN_WHEN = ["每天", "每周几次", "早上", "每小时"]
CN_WHO = ["上海办公室", "远程员工", "财务部", "新员工"]
CN_CAUSE = "{system}服务器的证书已过期，更新后缓存未清除。"
CN_WORKAROUND = "1. 完全关闭{system}。\n2. 清除本地缓存。\n3. 重新登录。"


def _choices(rng, weighted):
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights)[0]


class _Vocabulary:
    """One known error's words, drawn from the lists above."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def english(self) -> dict:
        rng = self.rng
        system, fault = rng.choice(SYSTEMS), rng.choice(FAULTS)
        words = {
            "object": rng.choice(OBJECTS),
            "event": rng.choice(EVENTS),
            "code": f"0x{rng.randrange(0x1000, 0xFFFF):04X}",
        }
        what = fault.format(**words)
        title = f"{system} {what}"
        symptoms = (
            f"Users report that {system} {what}. It happens {rng.choice(FREQUENCIES)} and affects "
            f"{rng.choice(POPULATIONS)}. The event log shows error {words['code']}."
        )
        cause = rng.choice(CAUSES).format(component=rng.choice(COMPONENTS), **words)
        root_cause = f"{cause[0].upper()}{cause[1:]}."
        steps = rng.sample(STEPS, 3)
        folder = system.replace(" ", "")
        workaround = "\n".join(
            f"{n}. {step.format(system=system, folder=folder)}" for n, step in enumerate(steps, 1)
        )
        return {
            "title": title[:200],
            "symptoms": symptoms,
            "root_cause": root_cause,
            "workaround": workaround,
        }

    def chinese(self) -> dict:
        rng = self.rng
        system, fault = rng.choice(CN_SYSTEMS), rng.choice(CN_FAULTS)
        symptoms = CN_SYMPTOMS.format(
            system=system, fault=fault, when=rng.choice(CN_WHEN), who=rng.choice(CN_WHO)
        )
        return {
            "title": f"{system}{fault}",
            "symptoms": symptoms,
            "root_cause": CN_CAUSE.format(system=system),
            "workaround": CN_WORKAROUND.format(system=system),
        }


def generate(*, count: int = SIZE, seed: int = 15, now: datetime | None = None) -> int:
    """Write `count` known errors and their problems; returns how many were written."""
    rng = random.Random(seed)  # noqa: S311 (synthetic data, not secrets)
    now = now or timezone.now()
    people = _people()
    if not people:
        raise RuntimeError("The bench database has no bench agents: run with --reset.")
    services = list(business_service_list().order_by("pk").values_list("pk", flat=True))
    categories = list(Category.objects.filter(parent=None).order_by("pk").values_list("pk", flat=True))
    matrix = dict(DEFAULT_MATRIX)
    matrix.update({(r.impact, r.urgency): r.priority for r in PriorityRule.objects.all()})
    words = _Vocabulary(rng)
    with transaction.atomic():
        numbers = number_allocate(prefix="PRB", count=count)
        problems, errors = [], []
        for k, number in enumerate(numbers):
            text = words.chinese() if k % CHINESE_EVERY == 7 else words.english()
            status = _choices(rng, STATUSES)
            problem, known_error = _pair(rng, number, text, status, people, services, categories, matrix, now)
            problems.append(problem)
            errors.append(known_error)
        _copy(Problem, problems)
        ids = dict(Problem.objects.filter(number__in=numbers).values_list("number", "pk"))
        for problem, known_error in zip(problems, errors, strict=True):
            known_error.problem_id = ids[problem.number]
        _copy(KnownError, errors)
        _relations(first_problem=min(ids.values()))
    with connection.cursor() as cursor:
        for model in (Problem, KnownError, WorkaroundApplication):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    data.meta_write(known_errors=count)
    return count


def _people() -> list[tuple[int, int]]:
    """(agent, their bench group) pairs: the problems' managers and teams."""
    groups = {group.name[len(data.GROUP_PREFIX) :]: group.pk for group in data.bench_groups()}
    pairs = []
    for agent in data.bench_agents():
        group = groups.get(agent.username[len(data.AGENT_PREFIX) :].split("-")[0])
        if group is not None:
            pairs.append((agent.pk, group))
    return pairs


def _pair(rng, number, text, status, people, services, categories, matrix, now):
    """One problem and its known error (the problem's id is set once the problems are written)."""
    manager, group = rng.choice(people)
    created = now - timedelta(days=730 * rng.random() ** 1.3, seconds=rng.randrange(86_400))
    published = created + timedelta(days=rng.uniform(1, 20))
    problem_status = _choices(rng, PROBLEM_STATUS[status])
    resolved = published + timedelta(days=rng.uniform(5, 60)) if problem_status != wf.KNOWN_ERROR else None
    closed = resolved + timedelta(days=rng.uniform(1, 14)) if problem_status == wf.CLOSED else None
    impact, urgency = rng.choice((1, 2, 2, 3, 3, 3)), rng.choice((1, 2, 2, 3))
    method = rng.choice(METHODS)
    updated = min(max(t for t in (created, published, resolved, closed) if t), now)
    problem = Problem(
        number=number,
        title=text["title"],
        description=text["symptoms"],
        requester_id=manager,
        support_group_id=group,
        assignee_id=manager,
        priority=matrix[(impact, urgency)],
        created_by_id=manager,
        created_at=created,
        updated_at=updated,
        resolved_at=resolved,
        closed_at=closed,
        version=rng.randint(3, 9),
        search_comments="",
        status=problem_status,
        service_id=rng.choice(services) if services else None,
        category_id=rng.choice(categories) if categories else None,
        impact=impact,
        urgency=urgency,
        symptoms=text["symptoms"],
        root_cause=text["root_cause"],
        method=method,
        worksheet=f"Analysed with {method}: see the root cause." if method != "other" else "",
        time_spent_minutes=rng.randrange(30, 2400, 15),
        workaround=text["workaround"],
        fix="Patched and rolled out to every machine." if resolved else "",
    )
    retired = min(published + timedelta(days=rng.uniform(30, 300)), now) if status == "retired" else None
    known_error = KnownError(
        title=text["title"],
        symptoms=text["symptoms"],
        root_cause=text["root_cause"],
        workaround=text["workaround"],
        status=status,
        published_at=published if status != "draft" else None,
        retired_at=retired,
        created_at=min(published, now),
        updated_at=updated,
        version=rng.randint(1, 4),
    )
    return problem, known_error


def _copy(model, rows) -> None:
    """COPY `rows` into the model's table (every concrete column but the key and generated ones)."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key and not f.generated]
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(_value(getattr(row, f.attname)) for f in fields) + "\n")
    buffer.seek(0)
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)


def _value(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _relations(*, first_problem: int) -> None:
    """The known errors' services (their problem's), a CI on one in three, and the workaround applied to
    one to three incidents (of the newest 100,000) on three published ones in four: one INSERT each, for
    the entries just made."""
    q = connection.ops.quote_name
    problems, errors = q(Problem._meta.db_table), q(KnownError._meta.db_table)
    services = q(KnownError.services.through._meta.db_table)
    cis = q(KnownError.cis.through._meta.db_table)
    applications = q(WorkaroundApplication._meta.db_table)
    items, classes = q(ConfigurationItem._meta.db_table), q(CIClass._meta.db_table)
    incidents = q(Incident._meta.db_table)
    made = f"{errors} ke JOIN {problems} p ON p.id = ke.problem_id"  # the entries just made: ke.id >= first
    params = {"first": first_problem}
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {services} (knownerror_id, configurationitem_id)
                SELECT ke.id, p.service_id FROM {made}
                WHERE ke.problem_id >= %(first)s AND p.service_id IS NOT NULL""",  # noqa: S608 (model tables)
            params,
        )
        cursor.execute(
            f"""
            WITH c AS (
                SELECT c.id, row_number() OVER (ORDER BY c.id) - 1 AS k
                FROM {items} c JOIN {classes} k ON k.id = c.ci_class_id
                WHERE k.path NOT LIKE '/business_service/%%' ORDER BY c.id LIMIT 5000
            ), n AS (SELECT count(*) AS n FROM c)
            INSERT INTO {cis} (knownerror_id, configurationitem_id)
            SELECT ke.id, c.id FROM {made} CROSS JOIN n JOIN c ON c.k = ke.id %% n.n
            WHERE ke.problem_id >= %(first)s AND ke.id %% 3 = 0
            """,  # noqa: S608 (model tables)
            params,
        )
        cursor.execute(
            f"""
            WITH i AS (
                SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM (
                    SELECT id FROM {incidents} WHERE kind = 'incident' ORDER BY id DESC LIMIT 100000
                ) newest
            ), n AS (SELECT count(*) AS n FROM i)
            INSERT INTO {applications} (known_error_id, incident_id, applied_by_id, applied_at,
                reopen_count_then)
            SELECT ke.id, i.id, p.assignee_id, ke.published_at + make_interval(days => s.s + 1), 0
            FROM {made} CROSS JOIN n CROSS JOIN generate_series(0, 2) s(s)
            JOIN i ON i.k = (ke.id * 7 + s.s * 101) %% n.n
            WHERE ke.problem_id >= %(first)s AND ke.status IN ('agents', 'portal') AND s.s < ke.id %% 4
            ON CONFLICT DO NOTHING
            """,  # noqa: S608 (model tables)
            params,
        )


# The words the operations search -------------------------------------------------------------------


def pick_words() -> list[tuple[str, float]]:
    """Up to MAX_WORDS title words (systems' names and faults' words) each matching, as the KEDB's search
    does, between 1 and 6 % of the known errors, closest to 3 % first; at a tiny scale, the closest one."""
    candidates = sorted(
        {
            word
            for phrase in [*SYSTEMS, *FAULTS]
            for word in phrase.lower().replace("{", " {").split()
            if len(word) >= 5 and word.isalpha()
        }
    )
    table = connection.ops.quote_name(KnownError._meta.db_table)
    filters = ", ".join(
        "count(*) FILTER (WHERE search_document @@ websearch_to_tsquery('english', %s))" for _ in candidates
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), {filters} FROM {table} WHERE status <> 'draft'", candidates)  # noqa: S608
        total, *counts = cursor.fetchone()
    shares = {w: c / total for w, c in zip(candidates, counts, strict=True) if c} if total else {}
    ordered = sorted(shares, key=lambda w: (abs(shares[w] - WORD_TARGET), w))
    chosen = [w for w in ordered if WORD_SHARES[0] <= shares[w] <= WORD_SHARES[1]][:MAX_WORDS]
    chosen = chosen or ordered[:1]
    return [(w, round(shares[w], 4)) for w in chosen]


def ensure(*, count: int = SIZE) -> list[tuple[str, float]]:
    """The bench's known errors, made once (a database made before them gets them now), and the words
    the search operations draw, measured once and kept in the meta table."""
    meta = data.meta_read()
    if "known_errors" not in meta:
        generate(count=count)
        meta = data.meta_read()
    if "kedb_words" not in meta:
        words = pick_words()
        data.meta_write(kedb_words=words)
        return words
    return [tuple(pair) for pair in meta["kedb_words"]]
