"""`manage.py seed_demo`: a believable organisation to try the desk with. Safe to run again."""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from servicedesk import roles
from servicedesk.demo import demo_seeders, seed_integrations, seed_sla_policies
from servicedesk.models import BusinessCalendar, Organisation, SupportGroup, User
from servicedesk.reporting.facts import facts_refresh_due
from servicedesk.selectors import support_group_default
from servicedesk.services.outbox import outbox_silenced
from servicedesk.services.people import (
    organisation_create,
    support_group_add_member,
    support_group_create,
    support_group_set_default,
    support_group_update,
    user_create,
    user_set_roles,
)
from servicedesk.sla.calendars import calendar_load_holidays, calendar_set_hours

DEMO_PASSWORD = "demo-itsm-2026"

ORGANISATIONS = [
    {"name": "Contoso Ltd", "email_domain": "contoso.example", "phone": "+44 20 7946 0000"},
    {"name": "Northwind Traders", "email_domain": "northwind.example", "phone": "+1 212 555 0100"},
    {"name": "Fabrikam Shanghai", "email_domain": "fabrikam.example.cn", "phone": "+86 21 5555 0100"},
]

GROUPS = [
    {
        "name": "Service Desk",
        "tier": "tier1",
        "email": "servicedesk@contoso.example",
        "description": "First line: the single point of contact for every user.",
    },
    {
        "name": "Network",
        "tier": "tier2",
        "email": "network@contoso.example",
        "description": "LAN, WAN, VPN, firewalls and DNS.",
    },
    {
        "name": "Applications",
        "tier": "tier2",
        "email": "apps@contoso.example",
        "description": "Business applications: e-mail, payroll, CRM.",
    },
    {
        "name": "Acme Hosting",
        "tier": "vendor",
        "email": "support@acme-hosting.example",
        "description": "Third line: the hosting provider's support desk.",
    },
]
DEFAULT_GROUP = "Service Desk"
ESCALATIONS = {"Service Desk": "Applications", "Network": "Acme Hosting", "Applications": "Acme Hosting"}

# username, full name, organisation, roles, groups, manages, language, time zone, extra fields
PEOPLE = [
    (
        "alice",
        "Alice Martin",
        "Contoso Ltd",
        [roles.REQUESTER],
        [],
        None,
        "",
        "Europe/London",
        {"department": "Finance"},
    ),
    (
        "tom",
        "Tom Baker",
        "Northwind Traders",
        [roles.REQUESTER],
        [],
        None,
        "",
        "America/New_York",
        {"department": "Sales"},
    ),
    (
        "liwei",
        "李伟 Li Wei",
        "Fabrikam Shanghai",
        [roles.REQUESTER],
        [],
        None,
        "zh-hans",
        "Asia/Shanghai",
        {"department": "Engineering"},
    ),
    ("bob", "Bob Smith", "Contoso Ltd", [roles.AGENT], ["Service Desk"], None, "", "Europe/London", {}),
    (
        "carol",
        "Carol Jones",
        "Contoso Ltd",
        [roles.AGENT, roles.GROUP_MANAGER],
        ["Service Desk"],
        "Service Desk",
        "",
        "Europe/London",
        {},
    ),
    (
        "nina",
        "Nina Patel",
        "Contoso Ltd",
        [roles.AGENT, roles.GROUP_MANAGER],
        ["Network"],
        "Network",
        "",
        "Europe/London",
        {},
    ),
    (
        "wang",
        "王芳 Wang Fang",
        "Contoso Ltd",
        [roles.AGENT],
        ["Applications"],
        None,
        "zh-hans",
        "Asia/Shanghai",
        {},
    ),
    (
        "dave",
        "Dave Miller",
        "Contoso Ltd",
        [roles.AGENT, roles.PROBLEM_MANAGER],
        ["Applications"],
        "Applications",
        "",
        "Europe/London",
        {},
    ),
    (
        "erin",
        "Erin Walsh",
        "Contoso Ltd",
        [roles.AGENT, roles.CHANGE_MANAGER],
        [],
        None,
        "",
        "Europe/London",
        {},
    ),
    ("frank", "Frank Osei", "Contoso Ltd", [roles.CAB_MEMBER], [], None, "", "Europe/London", {}),
    (
        "grace",
        "Grace Kim",
        "Contoso Ltd",
        [roles.AGENT, roles.RELEASE_MANAGER],
        ["Applications"],
        None,
        "",
        "Europe/London",
        {},
    ),
    (
        "heidi",
        "Heidi Novak",
        "Contoso Ltd",
        [roles.AGENT, roles.CONFIGURATION_MANAGER],
        ["Network"],
        None,
        "",
        "Europe/London",
        {},
    ),
    ("victor", "Victor Acme", None, [roles.AGENT], ["Acme Hosting"], "Acme Hosting", "", "UTC", {}),
    (
        "admin",
        "Ada Admin",
        "Contoso Ltd",
        [roles.ADMINISTRATOR],
        [],
        None,
        "",
        "UTC",
        {"is_staff": True, "is_superuser": True},
    ),
]


class Command(BaseCommand):
    help = "Create demo organisations, support groups and one user per role (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        organisations = {spec["name"]: self._organisation(spec) for spec in ORGANISATIONS}
        groups = {spec["name"]: self._group(spec) for spec in GROUPS}
        if support_group_default() is None:
            # Unclassified records go to the first line; an administrator's later choice is kept.
            support_group_set_default(group=groups[DEFAULT_GROUP], actor=None)
        for name, target in ESCALATIONS.items():
            if groups[name].escalation_group_id is None:
                support_group_update(group=groups[name], actor=None, escalation_group=groups[target])

        created = 0
        for (
            username,
            full_name,
            organisation,
            role_names,
            group_names,
            manages,
            language,
            tz,
            extra,
        ) in PEOPLE:
            user = User.objects.filter(username=username).first()
            domain = organisations[organisation].email_domain if organisation else "acme-hosting.example"
            if user is None:
                user = user_create(
                    actor=None,
                    username=username,
                    email=f"{username}@{domain}",
                    password=DEMO_PASSWORD,
                    full_name=full_name,
                    organisation=organisations.get(organisation),
                    language=language,
                    time_zone=tz,
                    **extra,
                )
                created += 1
            user_set_roles(user=user, actor=None, roles=role_names)
            for group_name in group_names:
                support_group_add_member(group=groups[group_name], actor=None, user=user)
            if manages and groups[manages].manager_id is None:
                support_group_update(group=groups[manages], actor=None, manager=user)

        self._calendars()
        # Before the apps' seeders: a demo service names a policy, and the demo records get clocks.
        policies = seed_sla_policies()
        integrations = seed_integrations()

        # The demo's records are backdated history: nobody is notified of them.
        with outbox_silenced():
            for seeder in demo_seeders():
                seeder(self.stdout)

        # The management information of the demo's history, at once rather than at the next beat.
        facts = facts_refresh_due()
        self.stdout.write(f"SLA demo ready ({policies} new policies).")
        self.stdout.write(f"Management information ready ({sum(facts.values())} records).")
        self.stdout.write(f"Example integrations ready ({integrations} new: a webhook, a mailbox, a token).")
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} new users)."))
        self.stdout.write(f"Demo logins (password for every new demo user: {DEMO_PASSWORD}):")
        for username, _name, _org, role_names, *_rest in PEOPLE:
            self.stdout.write(f"  {username:<8} {', '.join(role_names)}")

    def _calendars(self):
        """Round the clock for urgent work; Shanghai office hours with China's holidays for the rest."""
        always, created = BusinessCalendar.objects.get_or_create(
            name="24×7", defaults={"time_zone": "Asia/Shanghai", "description": "Round the clock."}
        )
        if created:
            calendar_set_hours(calendar=always, actor=None, weekly={day: [(0, 1440)] for day in range(7)})
        office, created = BusinessCalendar.objects.get_or_create(
            name="Shanghai business hours",
            defaults={"time_zone": "Asia/Shanghai", "description": "Monday to Friday, 09:00 to 18:00."},
        )
        if created:
            calendar_set_hours(calendar=office, actor=None, weekly={day: [(540, 1080)] for day in range(5)})
            year = timezone.now().year
            calendar_load_holidays(calendar=office, actor=None, country="CN", years=[year, year + 1])

    def _organisation(self, spec):
        existing = Organisation.objects.filter(name=spec["name"]).first()
        return existing or organisation_create(actor=None, **spec)

    def _group(self, spec):
        existing = SupportGroup.objects.filter(name=spec["name"]).first()
        return existing or support_group_create(actor=None, **spec)
