"""Configuration items: create, change and move through their statuses, attributes always validated."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cmdb import schemas
from cmdb.models import CIClass, ConfigurationItem
from cmdb.models.items import IDENTIFIER_FIELDS
from cmdb.permissions import CMDBPolicy
from cmdb.workflow import WORKFLOW
from servicedesk.concurrency import lock, save_changed
from servicedesk.errors import Conflict
from servicedesk.services.audit import apply_changes, audit_record
from servicedesk.translations import validate_name_translations

from .common import VIA_WEB, authorise, constraint_as_validation_error, mark_history, raise_if

EDITABLE_FIELDS = (
    "name",
    "name_translations",
    "ci_class",
    "owner",
    "support_group",
    "location",
    "sla_policy",
    "environment",
    "version",
    "description",
    "attributes",
    *IDENTIFIER_FIELDS,
)


def is_location_class(ci_class: CIClass) -> bool:
    return ci_class.path.startswith("/location/")


def is_service_class(ci_class: CIClass) -> bool:
    return ci_class.path.startswith("/business_service/")


def _validate_policy_choice(ci: ConfigurationItem) -> None:
    """A newly chosen SLA policy is an active one (a service keeps one retired since it was chosen)."""
    if ci.sla_policy_id is not None and not ci.sla_policy.is_active:
        raise ValidationError({"sla_policy": [_("This SLA policy is retired.")]})


def _validate(ci: ConfigurationItem) -> None:
    """Attributes against the class's schema, the location's class, identifiers free, an SLA policy only
    on a business service: field errors."""
    errors = schemas.attribute_errors(schemas.effective_schema(ci.ci_class), ci.attributes)
    try:
        validate_name_translations(ci.name_translations)
    except ValidationError as exc:
        errors["name_translations"] = exc.messages
    if ci.sla_policy_id is not None and not is_service_class(ci.ci_class):
        errors["sla_policy"] = [_("Only a business service has an SLA policy.")]
    if ci.pk and not is_location_class(ci.ci_class) and ci.located_items.exists():
        errors["ci_class"] = [_("CIs are located here: it must stay a Location.")]
    if ci.location_id is not None:
        if ci.location_id == ci.pk:
            errors["location"] = [_("A CI cannot be its own location.")]
        elif not is_location_class(ci.location.ci_class):
            errors["location"] = [_("The location must be a CI of class Location.")]
    for field in IDENTIFIER_FIELDS:
        value = getattr(ci, field)
        if not value:
            continue
        lookup = {f"{field}__iexact" if field == "hostname" else field: value}
        if ConfigurationItem.objects.filter(**lookup).exclude(pk=ci.pk).exists():
            errors[field] = [_("Another CI already has this identifier.")]
    raise_if(errors)
    ci.full_clean(exclude=["status"], validate_constraints=False)


def _clean_identifiers(fields: dict) -> dict:
    for field in IDENTIFIER_FIELDS:
        if isinstance(fields.get(field), str):
            fields[field] = fields[field].strip()
    return fields


@transaction.atomic
def ci_create(
    *,
    actor,
    name: str,
    ci_class: CIClass,
    status: str = ConfigurationItem.Status.PLANNED,
    via: str = VIA_WEB,
    **fields,
) -> ConfigurationItem:
    """Create a CI in any status (discovery finds CIs already in production).

    Raises PermissionDenied, or ValidationError with field errors (`attributes.<name>` for attributes;
    `sla_policy` when a CI other than a business service is given one, or a retired one).
    """
    authorise(actor, CMDBPolicy.can_create_ci)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be set.")] for name in unknown})
    if status not in ConfigurationItem.Status.values:
        raise ValidationError({"status": [_("Not a known status.")]})
    ci = ConfigurationItem(name=name, ci_class=ci_class, status=status, **_clean_identifiers(fields))
    _validate(ci)
    _validate_policy_choice(ci)
    mark_history(ci, actor, via)
    with constraint_as_validation_error(_("Another CI already has one of these identifiers.")):
        ci.save()
    audit_record(
        actor=actor,
        action="ci.created",
        target=ci,
        data={"class": ci_class.code, "status": status, "via": via},
    )
    return ci


@transaction.atomic
def ci_update(
    *, ci: ConfigurationItem, actor, via: str = VIA_WEB, expected_version: int | None = None, **fields
) -> ConfigurationItem:
    """Change a CI's fields (not its status: see ci_transition) on its locked row; returns the row.
    Nothing changes, nothing is written.

    Raises PermissionDenied, ValidationError with field errors (`sla_policy` as in `ci_create`; a
    service may keep a policy retired since it was chosen), or StaleWrite for an out-of-date
    `expected_version` (its revision).
    """
    authorise(actor, lambda a: CMDBPolicy.can_change_ci(a, ci))
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in unknown})
    ci = lock(ci, expected=expected_version)
    diff = apply_changes(ci, _clean_identifiers(fields))
    if not diff:
        return ci
    _validate(ci)
    if "sla_policy" in diff:
        _validate_policy_choice(ci)
    mark_history(ci, actor, via)
    with constraint_as_validation_error(_("Another CI already has one of these identifiers.")):
        save_changed(ci, diff)
    audit_record(actor=actor, action="ci.updated", target=ci, data={"changes": diff, "via": via})
    return ci


def ci_allowed_statuses(ci: ConfigurationItem, user=None) -> list[str]:
    """The statuses this CI may move to now (by `user`, when given)."""
    if user is None:
        return list(dict.fromkeys(t.target for t in WORKFLOW.available(ci)))
    return WORKFLOW.allowed_targets(ci, user)


def ci_allowed_transitions(*, ci: ConfigurationItem, user) -> list[dict]:
    """The transitions `user` may fire on `ci` now, in the shape every kind answers (name, target, label,
    inputs): none for who may not change the CI."""
    return [t.describe() for t in WORKFLOW.allowed(ci, user)]


@transaction.atomic
def ci_transition(
    *, ci: ConfigurationItem, actor, to: str, via: str = VIA_WEB, expected_version: int | None = None
) -> ConfigurationItem:
    """Move a CI to status `to` (its locked row, returned). Raises PermissionDenied, Conflict (409)
    listing the allowed ones, or StaleWrite for an out-of-date `expected_version` (its revision)."""
    authorise(actor, lambda a: CMDBPolicy.can_change_ci(a, ci))
    ci = lock(ci, expected=expected_version)
    if to not in ci_allowed_statuses(ci):
        raise Conflict(
            _("A CI cannot move from %(source)s to %(target)s.") % {"source": ci.status, "target": to},
            code="invalid_transition",
            extra={"allowed": ci_allowed_statuses(ci)},
        )
    source = ci.status
    WORKFLOW.set_status(ci, to)
    mark_history(ci, actor, via)
    save_changed(ci, ["status"])
    audit_record(
        actor=actor, action="ci.status_changed", target=ci, data={"from": source, "to": to, "via": via}
    )
    return ci
