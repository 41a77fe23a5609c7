"""The classes and relationship types every CMDB starts with (editable afterwards)."""

from django.apps import apps as global_apps
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

DATE = {"type": "string", "format": "date"}
IPV4 = {"type": "string", "format": "ipv4"}
URL = {"type": "string", "pattern": "^https?://"}
CRITICALITY = {"type": "string", "enum": ["low", "medium", "high", "critical"]}

# code, name, parent code, own schema fragment
CLASSES = [
    (
        "hardware",
        "Hardware",
        None,
        {
            "properties": {
                "manufacturer": {"type": "string"},
                "model": {"type": "string"},
                "purchase_date": DATE,
                "warranty_expires": DATE,
            },
        },
    ),
    (
        "server",
        "Server",
        "hardware",
        {
            "properties": {
                "cpu_count": {"type": "integer", "minimum": 1},
                "memory_gb": {"type": "number", "minimum": 0},
                "operating_system": {"type": "string"},
                "ip_address": IPV4,
            },
        },
    ),
    (
        "network_device",
        "Network device",
        "hardware",
        {
            "properties": {
                "device_type": {
                    "type": "string",
                    "enum": ["router", "switch", "firewall", "load_balancer", "access_point"],
                },
                "ip_address": IPV4,
                "port_count": {"type": "integer", "minimum": 0},
            },
        },
    ),
    (
        "storage",
        "Storage",
        "hardware",
        {
            "properties": {"capacity_tb": {"type": "number", "minimum": 0}, "raid_level": {"type": "string"}},
        },
    ),
    (
        "software",
        "Software",
        None,
        {
            "properties": {
                "vendor": {"type": "string"},
                "licence_type": {"type": "string", "enum": ["commercial", "open_source", "internal"]},
            },
        },
    ),
    (
        "application",
        "Application",
        "software",
        {
            "properties": {"url": URL, "criticality": CRITICALITY},
        },
    ),
    (
        "database",
        "Database",
        "software",
        {
            "properties": {
                "engine": {"type": "string", "enum": ["postgresql", "mysql", "oracle", "sqlserver", "other"]},
                "port": {"type": "integer", "minimum": 1, "maximum": 65535},
            },
        },
    ),
    (
        "middleware",
        "Middleware",
        "software",
        {
            "properties": {"product": {"type": "string"}},
        },
    ),
    (
        "business_service",
        "Business service",
        None,
        {
            "properties": {"criticality": CRITICALITY, "service_hours": {"type": "string"}},
        },
    ),
    (
        "location",
        "Location",
        None,
        {
            "properties": {
                "site_type": {
                    "type": "string",
                    "enum": ["datacentre", "office", "cloud_region", "colocation"],
                },
                "address": {"type": "string"},
                "city": {"type": "string"},
                "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
                # An IANA name such as Asia/Shanghai: SLA policies may count business hours in it.
                "time_zone": {"type": "string", "maxLength": 64},
            },
        },
    ),
    (
        "document",
        "Document",
        None,
        {
            "properties": {
                "document_url": URL,
                "document_type": {"type": "string", "enum": ["runbook", "contract", "design", "policy"]},
            },
        },
    ),
]

# Labels of the default classes' attributes, translated when a form shows them (a schema's own `title`
# wins; an attribute an administrator adds without one is labelled from its name).
ATTRIBUTE_LABELS = {
    "address": _("Address"),
    "capacity_tb": _("Capacity (TB)"),
    "city": _("City"),
    "country": _("Country code"),
    "cpu_count": _("CPU count"),
    "criticality": _("Criticality"),
    "device_type": _("Device type"),
    "document_type": _("Document type"),
    "document_url": _("Document URL"),
    "engine": _("Engine"),
    "ip_address": _("IP address"),
    "licence_type": _("Licence type"),
    "manufacturer": _("Manufacturer"),
    "memory_gb": _("Memory (GB)"),
    "model": _("Model"),
    "operating_system": _("Operating system"),
    "port": _("Port"),
    "port_count": _("Port count"),
    "product": _("Product"),
    "purchase_date": _("Purchase date"),
    "raid_level": _("RAID level"),
    "service_hours": _("Service hours"),
    "site_type": _("Site type"),
    "time_zone": _("Time zone"),
    "url": _("URL"),
    "vendor": _("Vendor"),
    "warranty_expires": _("Warranty expires"),
}

# The default classes' names in the site's other languages (issue 19 item 10), by code.
CLASS_NAME_TRANSLATIONS = {
    "hardware": {"zh-hans": "硬件"},
    "server": {"zh-hans": "服务器"},
    "network_device": {"zh-hans": "网络设备"},
    "storage": {"zh-hans": "存储"},
    "software": {"zh-hans": "软件"},
    "application": {"zh-hans": "应用程序"},
    "database": {"zh-hans": "数据库"},
    "middleware": {"zh-hans": "中间件"},
    "business_service": {"zh-hans": "业务服务"},
    "location": {"zh-hans": "位置"},
    "document": {"zh-hans": "文档"},
}

# code, name, reverse name, symmetric, impact
# (The names are stored in English; they are translated when read while still named as shipped.)
RELATIONSHIP_TYPES = [
    ("depends_on", gettext_noop("depends on"), gettext_noop("used by"), False, "target_to_source"),
    ("runs_on", gettext_noop("runs on"), gettext_noop("hosts"), False, "target_to_source"),
    ("installed_on", gettext_noop("installed on"), gettext_noop("has installed"), False, "target_to_source"),
    ("contains", gettext_noop("contains"), gettext_noop("part of"), False, "source_to_target"),
    ("connected_to", gettext_noop("connected to"), gettext_noop("connected to"), True, "none"),
]


def relationship_label(code: str, name: str) -> str:
    """A relationship type's name (or reverse name) in the reader's language while it is named as shipped;
    a name someone wrote is theirs, shown as written."""
    shipped = next((names for c, *names, _symmetric, _impact in RELATIONSHIP_TYPES if c == code), ())
    return gettext(name) if name in shipped else name


def seed_defaults(apps=global_apps) -> None:
    """Create the default classes and relationship types (into empty tables)."""
    CIClass = apps.get_model("cmdb", "CIClass")
    RelationshipType = apps.get_model("cmdb", "RelationshipType")
    by_code = {}
    # Migrations before 0010 see a class without translated names; 0010 gives them theirs.
    translatable = any(field.name == "name_translations" for field in CIClass._meta.get_fields())
    for code, name, parent_code, schema in CLASSES:
        parent = by_code.get(parent_code)
        path = f"{parent.path if parent else '/'}{code}/"
        by_code[code] = CIClass.objects.create(
            code=code,
            name=name,
            parent=parent,
            path=path,
            attribute_schema=schema,
            **({"name_translations": CLASS_NAME_TRANSLATIONS.get(code, {})} if translatable else {}),
        )
    for code, name, reverse_name, symmetric, impact in RELATIONSHIP_TYPES:
        RelationshipType.objects.create(
            code=code, name=name, reverse_name=reverse_name, is_symmetric=symmetric, impact=impact
        )


def restore_defaults(sender, apps=global_apps, **kwargs) -> None:
    """post_migrate: a CMDB left without any class (after a flush) gets the defaults again."""
    if sender.name != "cmdb":
        return
    if not apps.get_model("cmdb", "CIClass").objects.exists():
        seed_defaults(apps)


def translate_default_class_names(apps=global_apps) -> None:
    """Give the default classes still named as shipped their names in the other languages."""
    CIClass = apps.get_model("cmdb", "CIClass")
    shipped = {code: name for code, name, _parent, _schema in CLASSES}
    for ci_class in CIClass.objects.filter(code__in=list(CLASS_NAME_TRANSLATIONS), name_translations={}):
        if shipped.get(ci_class.code) == ci_class.name:
            ci_class.name_translations = CLASS_NAME_TRANSLATIONS[ci_class.code]
            ci_class.save(update_fields=["name_translations"])
