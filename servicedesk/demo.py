"""Demo data hooks: `seed_demo` runs the foundation's seeding, then each registered app's, in order.

The foundation's own demo data that the apps build on lives here too: the SLA policies (DESIGN.md §5), and an
example of each integration (a webhook, a mailbox, an API token) so their pages have something to show.
"""

from collections.abc import Callable
from datetime import timedelta

from django.db import transaction

from servicedesk.configmemo import config_changed
from servicedesk.models import (
    ApiToken,
    BusinessCalendar,
    EscalationRule,
    Mailbox,
    SLAPolicy,
    SLATarget,
    User,
    WebhookSubscription,
)
from servicedesk.services.audit import audit_record
from servicedesk.services.tokens import api_token_create
from servicedesk.services.webhooks import webhook_events, webhook_subscription_create

_SEEDERS: list[Callable] = []


def register_demo_seeder(seeder: Callable) -> None:
    """A process app adds `seeder(stdout)` (call from `AppConfig.ready()`); it must be idempotent."""
    if seeder not in _SEEDERS:
        _SEEDERS.append(seeder)


def demo_seeders() -> list[Callable]:
    return list(_SEEDERS)


# SLA policies ------------------------------------------------------------------------------------------

MIN, HOUR = timedelta(minutes=1), timedelta(hours=1)
ALWAYS, OFFICE = "24×7", "Shanghai business hours"
CRITICAL, BUSINESS_HOURS, STOPWATCH = "24×7 critical", "Business hours", "Demo: 2-minute response"

# name: calendar, fields, {metric: {priority: target}}, [(metric, percent, actions)]
SLA_POLICIES = {
    CRITICAL: (
        ALWAYS,
        {
            "order": 10,
            "priorities": [1, 2],
            "warning_percents": [50, 75],
            "description": "Critical and high priority work, round the clock.",
        },
        {
            "response": {1: 15 * MIN, 2: 30 * MIN},
            "resolution": {1: 4 * HOUR, 2: 8 * HOUR},
        },
        [
            ("response", 75, ["notify_group_manager"]),
            ("response", 100, ["notify_group_manager"]),
            ("resolution", 75, ["notify_group_manager"]),
            ("resolution", 100, ["notify_group_manager", "reassign_to_escalation_group"]),
            ("resolution", 150, ["notify_service_owner"]),
        ],
    ),
    BUSINESS_HOURS: (
        OFFICE,
        {
            "order": 100,
            "pause_on": ["on_hold:requester"],
            "warning_percents": [50, 75, 90],
            "description": "Everything else, in Shanghai office hours (a business day is 9 hours).",
        },
        {
            # P1 and P2 go to the critical policy first; these only count if it is retired.
            "response": {1: 1 * HOUR, 2: 2 * HOUR, 3: 4 * HOUR, 4: 9 * HOUR, 5: 18 * HOUR},
            "resolution": {1: 9 * HOUR, 2: 18 * HOUR, 3: 27 * HOUR, 4: 45 * HOUR, 5: 90 * HOUR},
        },
        [
            ("response", 100, ["notify_group_manager"]),
            ("resolution", 100, ["notify_group_manager"]),
        ],
    ),
    STOPWATCH: (
        ALWAYS,
        {
            "order": 1,
            "services_only": True,
            "warning_percents": [50],
            "description": (
                "For trying the SLA engine: file a record on the service “Demo: SLA stopwatch” and watch "
                "it turn amber after one minute and escalate after two."
            ),
        },
        {"response": dict.fromkeys(range(1, 6), 2 * MIN)},
        [("response", 100, ["notify_group_manager", "reassign_to_escalation_group"])],
    ),
}


@transaction.atomic
def seed_sla_policies() -> int:
    """Create the demo SLA policies that are missing (by name), with their targets and escalation rules;
    an existing policy is left as it is. Needs the demo calendars. Returns how many were created."""
    calendars = {c.name: c for c in BusinessCalendar.objects.filter(name__in=[ALWAYS, OFFICE])}
    created = 0
    for name, (calendar_name, fields, targets, rules) in SLA_POLICIES.items():
        if calendar_name not in calendars or SLAPolicy.objects.filter(name=name).exists():
            continue
        policy = SLAPolicy.objects.create(name=name, calendar=calendars[calendar_name], **fields)
        SLATarget.objects.bulk_create(
            SLATarget(policy=policy, metric=metric, priority=priority, target=target)
            for metric, by_priority in targets.items()
            for priority, target in by_priority.items()
        )
        EscalationRule.objects.bulk_create(
            EscalationRule(policy=policy, metric=metric, percent=percent, **dict.fromkeys(actions, True))
            for metric, percent, actions in rules
        )
        config_changed()  # the bulk writes send no signals
        audit_record(
            actor=None,
            action="sla_policy.created",
            target=policy,
            data={"calendar": calendar_name, **{k: v for k, v in fields.items() if k != "description"}},
        )
        created += 1
    return created


# Integrations ------------------------------------------------------------------------------------------

WEBHOOK = "Monitoring bridge (example)"
MAILBOX = "Help mailbox (example)"
TOKEN = "Monitoring script"


@transaction.atomic
def seed_integrations() -> int:
    """An example webhook subscription and mailbox, both switched off (they point at example hosts), and
    a personal API token for bob; each made once (by name). Returns how many were created."""
    created = 0
    if not WebhookSubscription.objects.filter(name=WEBHOOK).exists():
        events = [e for e in webhook_events() if e.endswith((".created", ".resolved", ".sla_breached"))]
        webhook_subscription_create(
            actor=None, name=WEBHOOK, url="https://monitoring.example.com/hooks/itsm", events=events,
            is_active=False,
        )  # fmt: skip
        created += 1
    if not Mailbox.objects.filter(name=MAILBOX).exists():
        Mailbox.objects.create(
            name=MAILBOX,
            address="help@contoso.example",
            is_active=False,
            host="imap.contoso.example",
            username="help@contoso.example",
            processed_folder="Processed",
        )
        created += 1
    bob = User.objects.filter(username="bob").first()
    if bob is not None and not ApiToken.objects.filter(user=bob, name=TOKEN).exists():
        api_token_create(user=bob, actor=bob, name=TOKEN)
        created += 1
    return created
