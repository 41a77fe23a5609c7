"""The catalogue of standard changes: pre-approved changes whose plans and risk are fixed once, kept by
change managers (`ChangePolicy.can_manage_catalogue`)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cmdb.selectors import business_service_list
from servicedesk import concurrency
from servicedesk.errors import PermissionDenied
from servicedesk.models import SupportGroup, User
from servicedesk.services import audit_record
from servicedesk.services.audit import apply_changes

from ..models import RiskLevel, StandardChange
from ..permissions import ChangePolicy

PLAN_FIELDS = ("implementation_plan", "test_plan", "backout_plan")
EDITABLE = (
    "name",
    "description",
    *PLAN_FIELDS,
    "risk_level",
    "support_group",
    "duration_minutes",
    "is_active",
)
MAX_DURATION = 7 * 24 * 60
MAX_SERVICES = 200


def _authorise(actor) -> None:
    if not ChangePolicy.can_manage_catalogue(actor):
        raise PermissionDenied(_("Only change managers keep the catalogue of standard changes."))


def _clean(changes: dict, *, instance: StandardChange | None) -> dict:
    """The fields of `changes` checked and tidied; ValidationError by field."""
    errors = {}
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
        if not changes["name"]:
            errors["name"] = _("This field cannot be blank.")
        else:
            taken = StandardChange.objects.filter(name__iexact=changes["name"])
            if instance is not None:
                taken = taken.exclude(pk=instance.pk)
            if taken.exists():
                errors["name"] = _("Another standard change has this name.")
    for name in PLAN_FIELDS:
        if name in changes:
            changes[name] = (changes[name] or "").strip()
            if not changes[name]:
                errors[name] = _("A standard change is pre-approved with all three plans written.")
    if "description" in changes:
        changes["description"] = changes["description"] or ""
    if "risk_level" in changes and changes["risk_level"] not in RiskLevel.values:
        errors["risk_level"] = _("Choose one of the listed values.")
    if "duration_minutes" in changes:
        duration = changes["duration_minutes"]
        if not isinstance(duration, int) or not 1 <= duration <= MAX_DURATION:
            errors["duration_minutes"] = _("Between 1 minute and a week.")
    group = changes.get("support_group")
    if group is not None and (not isinstance(group, SupportGroup) or not group.is_active):
        errors["support_group"] = _("This group is not active.")
    services = changes.get("services")
    if services is not None:
        services = list(dict.fromkeys(services))
        catalogue = set(
            business_service_list().filter(pk__in=[s.pk for s in services]).values_list("pk", flat=True)
        )
        if len(services) > MAX_SERVICES or any(s.pk not in catalogue for s in services):
            errors["services"] = _("Choose business services from the catalogue.")
        changes["services"] = services
    if errors:
        raise ValidationError(errors)
    return changes


def standard_change_create(*, actor: User, services=(), **fields) -> StandardChange:
    """Add a standard change to the catalogue: its name (unique), its three plans (all required), its
    risk, implementer group, services and usual duration. Raises PermissionDenied unless the actor manages
    changes, ValidationError by field."""
    _authorise(actor)
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError({field: _("This field cannot be set here.") for field in sorted(unknown)})
    fields = _clean(
        {"name": "", **dict.fromkeys(PLAN_FIELDS, ""), **fields, "services": services}, instance=None
    )
    services = fields.pop("services")
    with transaction.atomic():
        standard = StandardChange.objects.create(**fields)
        if services:
            standard.services.set(services)
        audit_record(
            actor=actor,
            action="standardchange.created",
            target=standard,
            data={
                "name": standard.name,
                "risk_level": standard.risk_level,
                "services": [s.pk for s in services],
            },
        )
    return standard


def standard_change_update(
    *, actor: User, standard: StandardChange, expected_version: int | None = None, **changes
) -> StandardChange:
    """Change what the catalogue says of a standard change; only the fields given. Changes raised from it
    before keep what they copied. Raises PermissionDenied, ValidationError by field, StaleWrite for an
    out-of-date `expected_version`."""
    _authorise(actor)
    unknown = set(changes) - {*EDITABLE, "services"}
    if unknown:
        raise ValidationError({field: _("This field cannot be changed here.") for field in sorted(unknown)})
    with transaction.atomic():
        standard = concurrency.lock(standard, expected=expected_version)
        changes = _clean(changes, instance=standard)
        services = changes.pop("services", None)
        diff = apply_changes(standard, changes)
        if services is not None:
            before = sorted(standard.services.values_list("pk", flat=True))
            after = sorted(s.pk for s in services)
            if before != after:
                standard.services.set(services)
                diff["services"] = {"from": before, "to": after}
        if diff:
            concurrency.save_changed(standard, [name for name in diff if name != "services"])
            audit_record(actor=actor, action="standardchange.updated", target=standard, data=diff)
        return standard
