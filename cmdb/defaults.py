"""The classes and relationship types every CMDB starts with (editable afterwards)."""

from django.apps import apps as global_apps

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

# code, name, reverse name, symmetric, impact
RELATIONSHIP_TYPES = [
    ("depends_on", "depends on", "used by", False, "target_to_source"),
    ("runs_on", "runs on", "hosts", False, "target_to_source"),
    ("installed_on", "installed on", "has installed", False, "target_to_source"),
    ("contains", "contains", "part of", False, "source_to_target"),
    ("connected_to", "connected to", "connected to", True, "none"),
]


def seed_defaults(apps=global_apps) -> None:
    """Create the default classes and relationship types (into empty tables)."""
    CIClass = apps.get_model("cmdb", "CIClass")
    RelationshipType = apps.get_model("cmdb", "RelationshipType")
    by_code = {}
    for code, name, parent_code, schema in CLASSES:
        parent = by_code.get(parent_code)
        path = f"{parent.path if parent else '/'}{code}/"
        by_code[code] = CIClass.objects.create(
            code=code, name=name, parent=parent, path=path, attribute_schema=schema
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
