"""A believable demo estate for `seed_demo`: business services down to the servers and switches under them.

Idempotent: each CI is looked up by name (and host name) before it is created, each relationship before
it is added, and nothing existing is changed. Written through the services as the system (actor None).
"""

from django.db.models import Q

from servicedesk.models import SLAPolicy, SupportGroup, User

from .models import Baseline, CIClass, CIRelationship, ConfigurationItem, ImportJob, RelationshipType
from .services.baselines import baseline_take
from .services.common import VIA_SYSTEM
from .services.imports import import_start
from .services.items import ci_create, ci_update
from .services.relationships import relationship_create

IN_PRODUCTION = ConfigurationItem.Status.IN_PRODUCTION
PROD = ConfigurationItem.Environment.PRODUCTION

LOCATIONS = [
    # name, owner, group, attributes
    (
        "London DC",
        "nina",
        "Acme Hosting",
        {"site_type": "datacentre", "address": "1 Docklands Way", "city": "London", "country": "GB"},
    ),
    (
        "Shanghai office",
        "heidi",
        "Service Desk",
        {"site_type": "office", "address": "88 Century Avenue", "city": "Shanghai", "country": "CN"},
    ),
]

NETWORK_DEVICES = [
    # host name, location, device type, ip, ports
    ("lon-core-sw-01", "London DC", "switch", "10.0.0.2", 48),
    ("lon-core-sw-02", "London DC", "switch", "10.0.0.3", 48),
    ("lon-fw-01", "London DC", "firewall", "10.0.0.1", 8),
    ("lon-vpn-01", "London DC", "router", "10.0.0.10", 4),
    ("lon-lb-01", "London DC", "load_balancer", "10.0.0.20", 8),
    ("sha-sw-01", "Shanghai office", "switch", "10.8.0.2", 24),
    ("sha-fw-01", "Shanghai office", "firewall", "10.8.0.1", 8),
]
# device, device: cabling between network devices (connected to)
NETWORK_LINKS = [
    ("lon-core-sw-01", "lon-core-sw-02"),
    ("lon-fw-01", "lon-core-sw-01"),
    ("lon-vpn-01", "lon-fw-01"),
    ("lon-lb-01", "lon-core-sw-01"),
    ("sha-fw-01", "sha-sw-01"),
]

SERVERS = [
    # host name, location, switch, cpus, memory, os, ip, status
    ("lon-web-01", "London DC", "lon-core-sw-01", 4, 16, "Ubuntu 24.04", "10.0.1.11", IN_PRODUCTION),
    ("lon-web-02", "London DC", "lon-core-sw-02", 4, 16, "Ubuntu 24.04", "10.0.1.12", IN_PRODUCTION),
    ("lon-app-01", "London DC", "lon-core-sw-01", 16, 64, "RHEL 9", "10.0.2.11", IN_PRODUCTION),
    ("lon-app-02", "London DC", "lon-core-sw-02", 16, 64, "RHEL 9", "10.0.2.12", IN_PRODUCTION),
    ("lon-db-01", "London DC", "lon-core-sw-01", 32, 256, "RHEL 9", "10.0.3.11", IN_PRODUCTION),
    ("lon-db-02", "London DC", "lon-core-sw-02", 32, 256, "Oracle Linux 9", "10.0.3.12", IN_PRODUCTION),
    ("lon-mail-01", "London DC", "lon-core-sw-01", 8, 32, "Windows Server 2022", "10.0.4.11", IN_PRODUCTION),
    ("lon-file-01", "London DC", "lon-core-sw-02", 8, 32, "Ubuntu 24.04", "10.0.4.12", "in_maintenance"),
    ("lon-idp-01", "London DC", "lon-core-sw-01", 4, 8, "Debian 12", "10.0.4.13", IN_PRODUCTION),
    ("lon-app-03", "London DC", None, 16, 64, "RHEL 9", "10.0.2.13", "planned"),
    ("sha-pbx-01", "Shanghai office", "sha-sw-01", 4, 8, "Debian 12", "10.8.1.11", IN_PRODUCTION),
    ("sha-app-01", "Shanghai office", "sha-sw-01", 8, 32, "Ubuntu 24.04", "10.8.1.12", IN_PRODUCTION),
]  # fmt: skip

DATABASES = [
    # name, engine, port, server
    ("Payroll database", "postgresql", 5432, "lon-db-01"),
    ("HR database", "mysql", 3306, "lon-db-01"),
    ("Web shop database", "postgresql", 5433, "lon-db-01"),
    ("Finance ERP database", "oracle", 1521, "lon-db-02"),
    ("CRM database", "sqlserver", 1433, "lon-db-02"),
    ("Identity database", "postgresql", 5432, "lon-db-02"),
    ("Service desk database", "postgresql", 5434, "lon-db-01"),
]

APPLICATIONS = [
    # name, vendor, licence, url, criticality, group, servers, databases, other CIs it depends on
    ("Exchange Server", "Microsoft", "commercial", "https://mail.contoso.example", "high", "Applications",
     ["lon-mail-01"], [], ["Keycloak SSO"]),
    ("PayFlow payroll", "PayFlow", "commercial", "https://payroll.contoso.example", "high", "Applications",
     ["lon-app-01"], ["Payroll database"], ["Keycloak SSO"]),
    ("Dynamics CRM", "Microsoft", "commercial", "https://crm.contoso.example", "medium", "Applications",
     ["lon-app-02"], ["CRM database"], ["Keycloak SSO"]),
    ("OpenVPN Access Server", "OpenVPN", "commercial", "https://vpn.contoso.example", "high", "Network",
     ["lon-idp-01"], [], ["lon-vpn-01", "Keycloak SSO"]),
    ("Intranet CMS", "Contoso", "internal", "https://intranet.contoso.example", "low", "Applications",
     ["lon-web-01", "lon-web-02"], [], ["lon-lb-01", "Keycloak SSO"]),
    ("HR portal app", "Contoso", "internal", "https://hr.contoso.example", "medium", "Applications",
     ["lon-app-01"], ["HR database"], ["Keycloak SSO"]),
    ("Oracle EBS", "Oracle", "commercial", "https://erp.contoso.example", "critical", "Acme Hosting",
     ["lon-app-02"], ["Finance ERP database"], ["Keycloak SSO"]),
    ("Web shop storefront", "Contoso", "internal", "https://shop.contoso.example", "critical", "Applications",
     ["lon-web-01", "lon-web-02"], ["Web shop database"], ["lon-lb-01"]),
    ("Nextcloud", "Nextcloud", "open_source", "https://files.contoso.example", "medium", "Applications",
     ["lon-file-01"], [], ["Keycloak SSO"]),
    ("Asterisk PBX", "Sangoma", "open_source", "https://pbx.contoso.example", "medium", "Network",
     ["sha-pbx-01"], [], []),
    ("ITSM Service Desk", "Contoso", "internal", "https://desk.contoso.example", "high", "Service Desk",
     ["lon-app-01", "sha-app-01"], ["Service desk database"], ["Keycloak SSO"]),
    ("Keycloak SSO", "Red Hat", "open_source", "https://sso.contoso.example", "critical", "Applications",
     ["lon-idp-01"], ["Identity database"], []),
]  # fmt: skip

SERVICES = [
    # name, owner, default support group, criticality, hours, applications
    ("E-mail", "dave", "Applications", "high", "24x7", ["Exchange Server"]),
    ("Payroll", "dave", "Applications", "high", "Mon-Fri 08:00-18:00", ["PayFlow payroll"]),
    ("CRM", "wang", "Applications", "medium", "Mon-Fri 08:00-18:00", ["Dynamics CRM"]),
    ("VPN", "nina", "Network", "high", "24x7", ["OpenVPN Access Server"]),
    ("Intranet", "carol", "Service Desk", "low", "Mon-Fri 08:00-18:00", ["Intranet CMS"]),
    ("HR portal", "dave", "Applications", "medium", "Mon-Fri 08:00-18:00", ["HR portal app"]),
    ("Finance ERP", "grace", "Applications", "critical", "24x7", ["Oracle EBS"]),
    ("Web shop", "grace", "Applications", "critical", "24x7", ["Web shop storefront"]),
    ("File sharing", "heidi", "Applications", "medium", "24x7", ["Nextcloud"]),
    ("Telephony", "nina", "Network", "high", "24x7", ["Asterisk PBX"]),
    ("Service desk", "carol", "Service Desk", "high", "24x7", ["ITSM Service Desk"]),
    ("Identity/SSO", "heidi", "Applications", "critical", "24x7", ["Keycloak SSO"]),
    ("Demo: SLA stopwatch", "carol", "Service Desk", "low", "24x7", []),
]
# The services' names for Chinese readers (issue 19 item 10: names translatable per language).
SERVICE_NAMES_ZH = {
    "E-mail": "电子邮件",
    "Payroll": "薪资",
    "CRM": "客户关系管理",
    "VPN": "VPN",
    "Intranet": "内网",
    "HR portal": "人力资源门户",
    "Finance ERP": "财务 ERP",
    "Web shop": "网上商店",
    "File sharing": "文件共享",
    "Telephony": "电话",
    "Service desk": "服务台",
    "Identity/SSO": "身份认证/单点登录",
    "Demo: SLA stopwatch": "演示：SLA 秒表",
}
# service -> the demo SLA policy it names (servicedesk.demo): records filed on it get a 2-minute response
# target, turn amber after a minute and escalate to the group's escalation group after two.
SERVICE_POLICIES = {"Demo: SLA stopwatch": "Demo: 2-minute response"}


# A baseline of the web shop taken before heidi's discovery import changed it, so its diff shows changes.
BASELINE = "Web shop before the spring upgrade"
DISCOVERY_FILE = "discovery-london.csv"
DISCOVERY_ROWS = [
    # updated (a serial number and more memory), unchanged, created, rejected (not a number)
    {"class": "server", "hostname": "lon-web-01", "serial_number": "DL7F3K2",
     "attributes": {"memory_gb": 32}},
    {"class": "server", "hostname": "lon-web-02", "attributes": {"memory_gb": 16}},
    {"class": "server", "name": "lon-web-03", "hostname": "lon-web-03", "status": "in_stock",
     "location": "London DC", "attributes": {"cpu_count": 4, "memory_gb": 16, "manufacturer": "Dell"}},
    {"class": "server", "name": "lon-test-99", "hostname": "lon-test-99",
     "attributes": {"cpu_count": "many"}},
]  # fmt: skip


class _Estate:
    """Finds or creates the demo CIs and relationships, counting what it creates."""

    def __init__(self):
        self.classes = {c.code: c for c in CIClass.objects.all()}
        self.types = {t.code: t for t in RelationshipType.objects.all()}
        self.users = {u.username: u for u in User.objects.filter(username__in=self._usernames())}
        self.groups = {g.name: g for g in SupportGroup.objects.all()}
        self.cis: dict[str, ConfigurationItem] = {}
        self.created_cis = 0
        self.created_relationships = 0

    @staticmethod
    def _usernames():
        return {owner for _n, owner, *_r in LOCATIONS} | {owner for _n, owner, *_r in SERVICES}

    def ci(self, name: str, class_code: str, *, hostname: str = "", status=IN_PRODUCTION, **fields):
        found = ConfigurationItem.objects.filter(
            Q(name=name) | Q(hostname__iexact=hostname) if hostname else Q(name=name)
        ).first()
        if found is None:
            found = ci_create(
                actor=None,
                name=name,
                ci_class=self.classes[class_code],
                status=status,
                via=VIA_SYSTEM,
                hostname=hostname,
                **fields,
            )
            self.created_cis += 1
        self.cis[name] = found
        return found

    def relate(self, source: str, type_code: str, target: str) -> None:
        source_ci, target_ci, rel_type = self.cis[source], self.cis[target], self.types[type_code]
        same = Q(source=source_ci, target=target_ci, type=rel_type)
        if rel_type.is_symmetric:
            same |= Q(source=target_ci, target=source_ci, type=rel_type)
        if CIRelationship.objects.filter(same).exists():
            return
        relationship_create(actor=None, source=source_ci, target=target_ci, type=rel_type, via=VIA_SYSTEM)
        self.created_relationships += 1

    def group(self, name):
        return self.groups.get(name)

    def user(self, username):
        return self.users.get(username)


def _infrastructure(estate: _Estate) -> None:
    for name, owner, group, attributes in LOCATIONS:
        estate.ci(
            name,
            "location",
            owner=estate.user(owner),
            support_group=estate.group(group),
            attributes=attributes,
        )
    for hostname, location, device_type, ip, ports in NETWORK_DEVICES:
        estate.ci(
            hostname,
            "network_device",
            hostname=hostname,
            location=estate.cis[location],
            support_group=estate.group("Network"),
            owner=estate.user("nina"),
            environment=PROD,
            attributes={"device_type": device_type, "ip_address": ip, "port_count": ports},
        )
        estate.relate(location, "contains", hostname)
    for first, second in NETWORK_LINKS:
        estate.relate(first, "connected_to", second)
    for hostname, location, switch, cpus, memory, os_name, ip, status in SERVERS:
        estate.ci(
            hostname,
            "server",
            hostname=hostname,
            status=status,
            location=estate.cis[location],
            support_group=estate.group("Acme Hosting"),
            environment=PROD,
            attributes={
                "manufacturer": "Dell",
                "model": "PowerEdge R760",
                "cpu_count": cpus,
                "memory_gb": memory,
                "operating_system": os_name,
                "ip_address": ip,
            },
        )
        estate.relate(location, "contains", hostname)
        if switch:
            estate.relate(hostname, "connected_to", switch)


def _software(estate: _Estate) -> None:
    for name, engine, port, server in DATABASES:
        estate.ci(
            name,
            "database",
            support_group=estate.group("Applications"),
            environment=PROD,
            attributes={
                "engine": engine,
                "port": port,
                "vendor": engine.title(),
                "licence_type": "commercial",
            },
        )
        estate.relate(name, "runs_on", server)
    # Keycloak first: the other applications depend on it.
    for spec in sorted(APPLICATIONS, key=lambda spec: spec[0] != "Keycloak SSO"):
        name, vendor, licence, url, criticality, group, servers, databases, needs = spec
        estate.ci(
            name,
            "application",
            support_group=estate.group(group),
            environment=PROD,
            attributes={"vendor": vendor, "licence_type": licence, "url": url, "criticality": criticality},
        )
        for server in servers:
            estate.relate(name, "runs_on", server)
        for database in databases:
            estate.relate(name, "depends_on", database)
    for name, *_rest, needs in APPLICATIONS:
        for other in needs:
            estate.relate(name, "depends_on", other)


def _services(estate: _Estate) -> None:
    for name, owner, group, criticality, hours, applications in SERVICES:
        estate.ci(
            name,
            "business_service",
            owner=estate.user(owner),
            support_group=estate.group(group),
            environment=PROD,
            attributes={"criticality": criticality, "service_hours": hours},
            name_translations={"zh-hans": SERVICE_NAMES_ZH[name]},
        )
        for application in applications:
            estate.relate(name, "depends_on", application)
    policies = {p.name: p for p in SLAPolicy.objects.filter(name__in=SERVICE_POLICIES.values())}
    for name, policy_name in SERVICE_POLICIES.items():
        if policy_name in policies:
            # Only a service that names no policy yet: an administrator's choice is left alone.
            service = ConfigurationItem.objects.get(pk=estate.cis[name].pk)
            if service.sla_policy_id is None:
                ci_update(ci=service, actor=None, via=VIA_SYSTEM, sla_policy=policies[policy_name])


def _baseline_and_import(estate: _Estate) -> bool:
    """Heidi's baseline of the web shop, then her discovery import, once (by their names)."""
    if Baseline.objects.filter(name=BASELINE).exists():
        return False
    heidi = estate.user("heidi")
    baseline_take(
        actor=heidi,
        name=BASELINE,
        description="Everything the web shop runs on, before the servers were upgraded.",
        service=estate.cis["Web shop"],
    )
    import_start(
        actor=heidi,
        kind=ImportJob.Kind.CIS,
        rows=DISCOVERY_ROWS,
        source=ImportJob.Source.CSV,
        filename=DISCOVERY_FILE,
    )
    return True


def seed_cmdb_demo(stdout) -> None:
    """Create the demo estate (what is missing of it) and say how much was created."""
    estate = _Estate()
    _infrastructure(estate)
    _software(estate)
    _services(estate)
    stdout.write(
        f"CMDB demo estate ready ({estate.created_cis} new CIs, "
        f"{estate.created_relationships} new relationships)."
    )
    if _baseline_and_import(estate):
        stdout.write(f"CMDB demo baseline “{BASELINE}” and import “{DISCOVERY_FILE}” ready.")
