"""Demo changes for `seed_demo` (issue 16, item 10), after the problems' demo.

erin (the change manager) runs them, frank sits on the CAB and the emergency CAB with erin and grace. Changes
of each type in each state, made through the services as people would: drafts and submitted ones, one in
assessment, one awaiting the CAB that **conflicts** with a scheduled one (the PayFlow upgrade runs on the
database server the database patch takes down, at the same time), approved, scheduled, implementing, in
review, closed (successful and failed), backed out, rejected by the CAB, cancelled; an emergency change
implemented before the ECAB approved it (flagged) and one awaiting the ECAB; standard changes from the
catalogue, one scheduled and one done. A **year-end freeze** and weekly maintenance windows for Payroll and
the Web shop, so the schedule and the agenda show them.

Idempotent: made once, all together (the freeze's name marks a seeded desk); skipped when the demo people,
services or CIs it needs are missing.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from cmdb.models import ConfigurationItem
from servicedesk.approvals.selectors import approvals_for_record
from servicedesk.approvals.services import approval_decide
from servicedesk.models import ApprovalRequest, SupportGroup, User
from servicedesk.records.transitions import record_transition

from . import workflow as wf
from .models import BlackoutWindow, MaintenanceWindow, RiskQuestion, StandardChange
from .services import change_create, change_from_problem, change_from_standard
from .services.assessment import change_assess
from .services.cab import cab_boards_assign
from .services.implementation import change_review

FREEZE = "Year-end freeze"
MANAGER = "erin"
NEEDED_PEOPLE = ["erin", "frank", "grace", "bob", "dave", "nina", "heidi"]
NEEDED_SERVICES = ["Payroll", "Web shop", "Intranet", "E-mail", "VPN", "CRM", "File sharing", "Identity/SSO"]
NEEDED_CIS = [
    "lon-db-01", "lon-app-01", "PayFlow payroll", "lon-web-01", "lon-web-02", "lon-vpn-01", "lon-mail-01",
    "lon-idp-01", "lon-file-01", "lon-core-sw-02", "Keycloak SSO", "lon-app-02",
]  # fmt: skip
LONDON = ZoneInfo("Europe/London")

PLANS = {
    "implementation_plan": "1. Announce the start in the service desk channel.\n2. Apply the change.\n"
    "3. Check the service's health page.",
    "test_plan": "Run the service's smoke tests; ask the service owner to confirm.",
    "backout_plan": "Restore the snapshot taken before the change; announce the back-out.",
}
STANDARD = [
    # name, service, risk, minutes, implementation
    ("Restart the intranet web servers", "Intranet", "low", 30,
     "Restart lon-web-01, wait for its health check, then lon-web-02."),
    ("Renew a TLS certificate", "Web shop", "low", 20, "Install the new certificate on the load balancer."),
    ("Add disk space to a server", "File sharing", "medium", 60, "Grow the volume by the size asked for."),
]  # fmt: skip


def _at(days: int, hour: int, minute: int = 0) -> datetime:
    """`days` from today at `hour`:`minute`, London time."""
    day = timezone.localdate(timezone=LONDON) + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


def _next_weekday(weekday: int, hour: int) -> datetime:
    today = timezone.localdate(timezone=LONDON)
    ahead = (weekday - today.weekday()) % 7 or 7
    return _at(ahead, hour)


def seed_changes_demo(stdout) -> None:
    """Create, once, the demo changes, catalogue, boards' members and windows; say what was made."""
    if BlackoutWindow.objects.filter(name=FREEZE).exists():
        stdout.write("Changes demo ready (nothing new).")
        return
    people = {user.username: user for user in User.objects.filter(username__in=NEEDED_PEOPLE)}
    cis = {ci.name: ci for ci in ConfigurationItem.objects.filter(name__in=[*NEEDED_SERVICES, *NEEDED_CIS])}
    missing = [name for name in NEEDED_PEOPLE if name not in people]
    missing += [name for name in [*NEEDED_SERVICES, *NEEDED_CIS] if name not in cis]
    if missing:
        stdout.write(f"Demo changes skipped: people, services or CIs are missing ({', '.join(missing)}).")
        return
    with transaction.atomic():
        _boards(people)
        _windows(cis)
        catalogue = _catalogue(cis)
        made = _changes(people, cis, catalogue)
    stdout.write(
        f"Changes demo ready ({made} changes, {len(catalogue)} standard changes, a year-end freeze)."
    )


def _boards(people) -> None:
    """The demo's CAB (erin, frank, grace) and emergency CAB (erin, frank), named on the approval rules."""
    cab, _new = SupportGroup.objects.get_or_create(
        name="Change Advisory Board",
        defaults={"description": "Approves normal changes by their risk.", "tier": SupportGroup.Tier.TIER3},
    )
    ecab, _new = SupportGroup.objects.get_or_create(
        name="Emergency CAB",
        defaults={
            "description": "Approves emergency changes, before or after the fact.",
            "tier": SupportGroup.Tier.TIER3,
        },
    )
    cab.members.add(people["erin"], people["frank"], people["grace"])
    ecab.members.add(people["erin"], people["frank"])
    cab_boards_assign(cab=cab, ecab=ecab)


def _windows(cis) -> None:
    year = timezone.localdate(timezone=LONDON).year
    freeze = BlackoutWindow.objects.create(
        name=FREEZE,
        reason="Finance closes the year: no changes anywhere from 20 December to 3 January.",
        starts_at=datetime(year, 12, 20, tzinfo=LONDON),
        ends_at=datetime(year + 1, 1, 3, 23, 59, tzinfo=LONDON),
    )
    shop = BlackoutWindow.objects.create(
        name="Web shop spring sale",
        reason="The spring sale: no changes to the web shop.",
        starts_at=datetime(year + 1, 3, 20, tzinfo=LONDON),
        ends_at=datetime(year + 1, 3, 27, tzinfo=LONDON),
    )
    shop.services.set([cis["Web shop"]])
    MaintenanceWindow.objects.create(
        service=cis["Payroll"], name="Payroll: Saturday night", weekdays=[5], start_time=time(22, 0),
        duration_minutes=6 * 60, time_zone="Europe/London",
    )  # fmt: skip
    MaintenanceWindow.objects.create(
        service=cis["Web shop"], name="Web shop: early Tuesday and Thursday", weekdays=[1, 3],
        start_time=time(2, 0), duration_minutes=120, time_zone="Europe/London",
    )  # fmt: skip
    return freeze


def _catalogue(cis) -> dict:
    made = {}
    for name, service, risk, minutes, implementation in STANDARD:
        standard = StandardChange.objects.create(
            name=name,
            description=f"A routine change to {service}, approved once for all.",
            implementation_plan=implementation,
            test_plan=PLANS["test_plan"],
            backout_plan=PLANS["backout_plan"],
            risk_level=risk,
            duration_minutes=minutes,
            support_group=cis[service].support_group,
        )
        standard.services.set([cis[service]])
        made[name] = standard
    return made


def _pending(record) -> ApprovalRequest:
    return next(a for a in approvals_for_record(record=record) if a.status == ApprovalRequest.Status.PENDING)


def _answers(*yes: int) -> dict:
    """The questionnaire answered: yes to the questions at the positions given, no to the rest."""
    questions = list(RiskQuestion.objects.filter(is_active=True).order_by("order", "id"))
    return {question.pk: index in yes for index, question in enumerate(questions)}


def _changes(people, cis, catalogue) -> int:
    erin, frank, bob = people["erin"], people["frank"], people["bob"]
    count = 0

    def new(title, *, by=bob, change_type=wf.NORMAL, services=(), affected=(), start=None, hours=2, **extra):
        nonlocal count
        count += 1
        return change_create(
            actor=by,
            title=title,
            change_type=change_type,
            reason=extra.pop("reason", "Keep the service supported and secure."),
            services=[cis[name] for name in services],
            affected_cis=[cis[name] for name in affected],
            planned_start=start,
            planned_end=start + timedelta(hours=hours) if start else None,
            support_group=extra.pop("group", None) or cis[services[0]].support_group if services else None,
            **{**PLANS, **extra},
        )

    def move(record, to, actor=erin, **inputs):
        return record_transition(record=record, actor=actor, to=to, **inputs)

    def to_cab(record, *answers):
        record = move(record, wf.ASSESSMENT)
        record = change_assess(record=record, actor=erin, answers=_answers(*answers))
        return move(record, wf.AWAITING_APPROVAL)

    def decide(record, person, decision, comment=""):
        approval = _pending(record)
        approval_decide(approval=approval, actor=person, decision=decision, comment=comment)
        record.refresh_from_db()
        return record

    def approve_all(record):
        """Every approver asked, and a member for each board asked, approves until the request settles."""
        approval = _pending(record)
        voters = list(approval.approvers.order_by("pk"))
        voters += [
            group.members.filter(is_active=True).order_by("pk").first() for group in approval.groups.all()
        ]
        for person in dict.fromkeys(voter for voter in voters if voter is not None):
            if record.status != wf.AWAITING_APPROVAL:
                break
            record = decide(record, person, "approve", "Fine by me.")
        return record

    # Planning: a draft, a submitted one, one in assessment.
    new("Upgrade Exchange to the latest cumulative update", services=["E-mail"], affected=["lon-mail-01"],
        start=_next_weekday(5, 22))  # fmt: skip
    move(
        new("Move CRM reports to the read replica", services=["CRM"], affected=["lon-app-02"]),
        wf.SUBMITTED,
        bob,
    )
    in_assessment = move(
        new("Enlarge the VPN address pool", services=["VPN"], affected=["lon-vpn-01"], start=_at(9, 21)),
        wf.SUBMITTED, bob,
    )  # fmt: skip
    move(in_assessment, wf.ASSESSMENT)

    # The conflicting pair: PayFlow's upgrade is scheduled; the database patch under it, at the same time,
    # waits for the CAB.
    saturday = _next_weekday(5, 22)
    payflow = new("Upgrade PayFlow to 12.3", services=["Payroll"], affected=["PayFlow payroll", "lon-app-01"],
                  start=saturday, hours=3)  # fmt: skip
    payflow = to_cab(move(payflow, wf.SUBMITTED, bob), 2)
    payflow = approve_all(payflow)
    move(payflow, wf.SCHEDULED, override_reason="Agreed with the payroll team for this Saturday night.")
    patch = new(
        "Patch PostgreSQL on lon-db-01", services=["Payroll"], affected=["lon-db-01"],
        start=saturday + timedelta(hours=1), hours=2,
        reason="Security fix for PostgreSQL; the database server hosts payroll, HR and the web shop.",
    )  # fmt: skip
    to_cab(move(patch, wf.SUBMITTED, bob), 0, 2, 3)

    # Approved (to schedule), implementing, in review, closed, failed and backed out.
    switch = new("Replace a fan in core switch lon-core-sw-02", services=["Intranet"],
                 affected=["lon-core-sw-02"], start=_at(12, 23), hours=1)  # fmt: skip
    approve_all(to_cab(move(switch, wf.SUBMITTED, bob)))
    keys = new("Rotate the SSO signing keys", services=["Identity/SSO"], affected=["Keycloak SSO"],
               start=timezone.now() - timedelta(minutes=30), hours=2)  # fmt: skip
    keys = approve_all(to_cab(move(keys, wf.SUBMITTED, bob), 1))
    keys = move(keys, wf.SCHEDULED, override_reason="Started on time; the slot was agreed with the owners.")
    move(keys, wf.IMPLEMENTING, bob)

    def done(title, services, affected, outcome, lessons):
        record = new(title, services=services, affected=affected, start=timezone.now() - timedelta(hours=1))
        record = approve_all(to_cab(move(record, wf.SUBMITTED, bob)))
        record = move(record, wf.SCHEDULED, override_reason="Done in the agreed slot.")
        record = move(record, wf.IMPLEMENTING, bob, maintenance=False)
        if outcome is None:
            return move(record, wf.REVIEW, bob)
        if outcome == "failed":
            record = move(record, wf.FAILED, bob, reason="The new version would not start.")
        elif outcome == "backed_out":
            return move(record, wf.BACKED_OUT, bob, reason="Users could not log in; rolled back.")
        else:
            record = move(record, wf.REVIEW, bob)
        record = change_review(record=record, actor=erin, outcome=outcome, lessons=lessons)
        return move(record, wf.CLOSED)

    done("Add a second VPN gateway", ["VPN"], ["lon-vpn-01"], None, "")
    done("Enable TLS 1.3 on the web shop", ["Web shop"], ["lon-web-01", "lon-web-02"], "successful",
         "Went as planned; the load balancer needed a restart we had not planned.")  # fmt: skip
    done("Upgrade the file share to Nextcloud 30", ["File sharing"], ["lon-file-01"], "failed",
         "The upgrade needs PHP 8.3: check the prerequisites in the test environment first.")  # fmt: skip
    done("Switch payroll logins to the new SSO realm", ["Payroll"], ["PayFlow payroll"], "backed_out", "")

    # Rejected by the CAB; cancelled by its requester.
    share = new("Open the file share to partners on the internet", services=["File sharing"],
                affected=["lon-file-01"], start=_at(20, 20))  # fmt: skip
    share = to_cab(move(share, wf.SUBMITTED, bob), 0, 1, 3, 4)
    decide(share, frank, "reject", "Not without single sign-on and an external security review.")
    cancelled = move(
        new("Rename the CRM server", services=["CRM"], affected=["lon-app-02"]), wf.SUBMITTED, bob
    )
    move(cancelled, wf.CANCELLED, bob, reason="Not needed: the new naming scheme keeps the old names.")

    # Emergencies: implemented before the ECAB approved (flagged), and one waiting for the ECAB.
    phishing = new("Block the phishing domain at the mail gateway", by=erin, change_type=wf.EMERGENCY,
                   services=["E-mail"], affected=["lon-mail-01"])  # fmt: skip
    move(phishing, wf.IMPLEMENTING, reason="Phishing mails are reaching staff now.", maintenance=False)
    vpn_fix = new("Roll back the VPN gateway firmware", by=erin, change_type=wf.EMERGENCY, services=["VPN"],
                  affected=["lon-vpn-01"], start=_at(0, 23), hours=1)  # fmt: skip
    vpn_fix = change_assess(record=vpn_fix, actor=erin, answers=_answers(0))
    move(vpn_fix, wf.AWAITING_APPROVAL)

    # Standard changes: one scheduled, one done; a problem's "resolve via change" as a draft.
    restart = change_from_standard(
        actor=bob, standard=catalogue["Restart the intranet web servers"],
        affected_cis=[cis["lon-web-01"], cis["lon-web-02"]], planned_start=_at(2, 6),
    )  # fmt: skip
    move(restart, wf.SCHEDULED, override_reason="Routine restart; the intranet is quiet at 6.")
    cert = change_from_standard(actor=bob, standard=catalogue["Renew a TLS certificate"],
                                planned_start=timezone.now() - timedelta(hours=2))  # fmt: skip
    cert = move(cert, wf.SCHEDULED, override_reason="The certificate expires tomorrow.")
    cert = move(move(cert, wf.IMPLEMENTING, bob, maintenance=False), wf.REVIEW, bob)
    cert = change_review(record=cert, actor=bob, outcome="successful", lessons="")
    move(cert, wf.CLOSED, bob)
    count += 2
    count += _from_problem(people)
    return count


def _from_problem(people) -> int:
    from problems.models import Problem

    problem = Problem.objects.filter(title="VPN drops every hour").first()
    if problem is None:
        return 0
    change_from_problem(actor=people["nina"], problem=problem)
    return 1
