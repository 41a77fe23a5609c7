"""Demo problems and known errors for `seed_demo` (issue 15, item 9), after the incidents' demo.

A few problems in each status, worked by dave (the demo's problem manager) through the services: one whose
known error "VPN drops every hour" is published to the portal (a requester typing "VPN drops" sees its
workaround), one published to agents only, one still a draft; one under investigation with its 5 whys,
one resolved, one closed, one new. And recurring VPN incidents on the VPN service and its gateway CI,
linked to no problem, for the trend task to turn into a candidate.

Idempotent: made once, all together (the first problem's title marks a seeded desk); skipped when the demo
people, services or CIs it needs are missing.
"""

from datetime import timedelta

from django.db import transaction

from cmdb.models import ConfigurationItem
from incidents.models import Category, Incident
from incidents.services import incident_create
from servicedesk.models import User
from servicedesk.records.transitions import record_transition

from . import workflow as wf
from .models import KnownError, Problem
from .services import known_error_publish, problem_create, problem_update

MARKER = "VPN drops every hour"
MANAGER = "dave"
NEEDED_PEOPLE = ["dave", "bob", "nina", "alice", "tom", "liwei"]
NEEDED_SERVICES = ["VPN", "E-mail", "CRM", "Intranet", "HR portal", "Web shop", "Payroll"]
VPN_GATEWAY = "lon-vpn-01"

# Recurring incidents for the trend task: requester, title; all on the VPN service and its gateway.
RECURRING_VPN = [
    ("alice", "VPN drops in the middle of calls"),
    ("tom", "VPN disconnected again after an hour"),
    ("liwei", "VPN 每隔一小时断开一次"),
    ("alice", "Lost the VPN during a large upload"),
    ("tom", "VPN session ends on its own"),
    ("liwei", "VPN 掉线，需要重新登录"),
]
# What the trend task needs at least, whatever its threshold within reason (its default is below this).
RECURRING_COUNT = len(RECURRING_VPN)

# title, service, category (top, sub), impact, urgency, symptoms (the group is the service's)
PROBLEMS = {
    "vpn": (MARKER, "VPN", ("Network", "VPN"), 2, 2,
            "Remote users lose the VPN connection about once an hour, in the middle of their work, and "
            "must sign in again.\n\nVPN 每小时断线一次，需要重新登录。"),
    "outlook": ("Outlook asks for the password again after a password change", "E-mail",
                ("E-mail", "Mailbox"), 2, 3,
                "After changing their password, people are asked for it again and again by Outlook."),
    "crm": ("CRM is slow to open large accounts", "CRM", ("Business application", "CRM"),
            2, 3, "Opening an account with many contacts takes more than 30 seconds."),
    "intranet": ("Intranet search finds nothing after the nightly job", "Intranet",
                 ("Business application", "Intranet"), 2, 3,
                 "Searches on the intranet return no results on some mornings."),
    "hr": ("HR portal logs people out after a minute", "HR portal",
           ("Business application", "HR portal"), 3, 2, "The HR portal asks people to sign in again."),
    "payroll": ("Payslips fail to open for part-time staff", "Payroll",
                ("Business application", "Payroll"), 3, 2,
                "Part-time staff see an error instead of their payslip."),
    "shop": ("Card payments in the web shop time out now and then", "Web shop",
             ("Business application", "Web shop"), 1, 2,
             "Some card payments fail with a time-out at the payment step."),
}  # fmt: skip

FIVE_WHYS = """1. Why do payslips fail to open? The PDF service answers 500 for them.
2. Why? It cannot read their working-time pattern.
3. Why? Part-time patterns are stored in the new format since the upgrade.
4. Why was that missed? The upgrade's test data had full-time staff only.
5. Why? The test data set has not been refreshed since 2023."""


def seed_problems_demo(stdout) -> None:
    """Create, once, the demo problems, known errors and recurring VPN incidents; say what was made."""
    if Problem.objects.filter(title=MARKER).exists():
        stdout.write("Problems demo ready (nothing new).")
        return
    people = {user.username: user for user in User.objects.filter(username__in=NEEDED_PEOPLE)}
    services = {
        ci.name: ci
        for ci in ConfigurationItem.objects.filter(
            name__in=NEEDED_SERVICES, ci_class__path__startswith="/business_service/"
        ).select_related("support_group")
    }
    gateway = ConfigurationItem.objects.filter(name=VPN_GATEWAY).first()
    missing = [name for name in NEEDED_PEOPLE if name not in people]
    missing += [name for name in NEEDED_SERVICES if name not in services]
    if gateway is None:
        missing.append(VPN_GATEWAY)
    if missing:
        stdout.write(f"Demo problems skipped: people, services or CIs are missing ({', '.join(missing)}).")
        return
    with transaction.atomic():
        made = _seed_problems(people, services, gateway)
        recurring = _seed_recurring(people, services["VPN"], gateway)
    stdout.write(
        f"Problems demo ready ({len(made)} new problems, "
        f"{KnownError.objects.filter(problem__in=made).count()} known errors, "
        f"{recurring} recurring VPN incidents for the trend task)."
    )


def _category(top: str, sub: str) -> Category | None:
    return Category.objects.filter(name=sub, parent__name=top, parent__parent=None).first()


def _seed_problems(people, services, gateway) -> list[Problem]:
    dave = people[MANAGER]
    made = {}
    for key, (title, service, (top, sub), impact, urgency, symptoms) in PROBLEMS.items():
        service_ci = services[service]
        made[key] = problem_create(
            actor=dave,
            title=title,
            description=symptoms.split("\n\n")[0],
            service=service_ci,
            category=_category(top, sub),
            impact=impact,
            urgency=urgency,
            assignee=dave,
            affected_cis=[gateway] if key == "vpn" else [],
            symptoms=symptoms,
        )

    def move(key, to, **inputs):
        made[key] = record_transition(record=made[key], actor=dave, to=to, **inputs)

    # Known errors: published to the portal, to agents only, and a draft.
    problem_update(
        record=made["vpn"], actor=dave, method=Problem.Method.FIVE_WHYS, time_spent_minutes=240,
        contributing_cis=[gateway],
        worksheet="1. Why do sessions drop? The gateway ends them.\n"
                  "2. Why? Their idle timer runs out after 60 minutes.\n"
                  "3. Why? Keep-alives from the client are not counted as activity since the upgrade.",
    )  # fmt: skip
    move("vpn", wf.INVESTIGATING)
    move(
        "vpn", wf.KNOWN_ERROR,
        root_cause="Since the gateway upgrade, the VPN gateway (lon-vpn-01) ignores the client's "
                   "keep-alives and ends every session after 60 minutes of its idle timer.",
        workaround="1. Open the VPN client and choose **Disconnect**.\n"
                   "2. Choose **Connect** and sign in again: you get another hour.\n\n"
                   "Save your work before the hour is up. 断线后请重新连接并登录。",
    )  # fmt: skip
    known_error_publish(actor=dave, problem=made["vpn"], status=KnownError.Status.PORTAL)

    move(
        "outlook", wf.KNOWN_ERROR,
        root_cause="Outlook keeps the old password in the Windows credential manager.",
        workaround="Remove the *MicrosoftOffice16* entries in Credential Manager, then restart Outlook.",
    )  # fmt: skip
    known_error_publish(actor=dave, problem=made["outlook"], status=KnownError.Status.AGENTS)

    move("crm", wf.INVESTIGATING)
    move("crm", wf.KNOWN_ERROR, root_cause="The account page loads every contact's activity history.",
         no_workaround=True)  # fmt: skip
    known_error_publish(actor=dave, problem=made["crm"], status=KnownError.Status.DRAFT)

    # Under investigation, resolved, closed; the web shop's is new.
    problem_update(
        record=made["payroll"], actor=dave, method=Problem.Method.FIVE_WHYS, worksheet=FIVE_WHYS,
        time_spent_minutes=90,
    )  # fmt: skip
    move("payroll", wf.INVESTIGATING)
    move("intranet", wf.INVESTIGATING)
    move("intranet", wf.RESOLVED, fix="The nightly job now rebuilds the index in a copy and swaps it in.")
    move("hr", wf.INVESTIGATING)
    move("hr", wf.RESOLVED, fix="The session lifetime was restored to 8 hours in the portal's settings.")
    move("hr", wf.CLOSED)
    return list(made.values())


def _seed_recurring(people, service, gateway) -> int:
    """Incidents on the VPN service and its gateway, filed by bob for the callers over the last days (one
    a day, within the trend task's window), linked to nothing; their clocks replayed from their filing, as
    every demo record's."""
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from incidents.demo.sla import policies_paused, rebuild_demo_clocks
    from servicedesk.models import TimelineEntry

    bob = people["bob"]
    category = _category("Network", "VPN")
    now = timezone.now()
    made = []
    with policies_paused():
        for days_ago, (username, title) in zip(range(len(RECURRING_VPN), 0, -1), RECURRING_VPN, strict=True):
            record = incident_create(
                actor=bob,
                requester=people[username],
                title=title,
                description=title,
                channel=Incident.Channel.PHONE,
                service=service,
                category=category.parent if category is not None else None,
                subcategory=category,
                affected_cis=[gateway],
            )
            filed = now - timedelta(days=days_ago, hours=2)
            Incident.objects.filter(pk=record.pk).update(created_at=filed, updated_at=filed)
            TimelineEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(Incident), object_id=record.pk
            ).update(created_at=filed)
            made.append(record.pk)
    rebuild_demo_clocks(made)
    return len(RECURRING_VPN)
