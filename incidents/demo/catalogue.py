"""The demo catalogue: categories with subcategories and request types with fulfilment groups."""

from cmdb.selectors import business_service_list
from servicedesk.models import SupportGroup

from ..models import Category, RequestType
from .data import (
    CATEGORIES,
    NAMES_ZH,
    REQUEST_TYPES,
)


def seed_catalogue() -> tuple[int, int]:
    """Create the categories and the request types that are missing; returns how many of each."""
    new_categories = new_types = 0
    for top, subs in CATEGORIES.items():
        parent, created = Category.objects.get_or_create(name=top, parent=None, defaults=_names(top))
        new_categories += created
        for sub in subs:
            new_categories += Category.objects.get_or_create(name=sub, parent=parent, defaults=_names(sub))[1]
    services_by_name = {s.name: s for s in business_service_list()}
    groups = {g.name: g for g in SupportGroup.objects.all()}
    for service, name, group, urgency, description, _titles in REQUEST_TYPES:
        if service not in services_by_name:
            continue
        new_types += RequestType.objects.get_or_create(
            service=services_by_name[service],
            name=name,
            defaults={
                "support_group": groups.get(group),
                "urgency": urgency,
                "description": description,
                **_names(name),
            },
        )[1]
    return new_categories, new_types


def _names(name: str) -> dict:
    return {"name_translations": {"zh-hans": NAMES_ZH[name]}} if name in NAMES_ZH else {}
