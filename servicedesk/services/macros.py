"""Macros (canned responses): keeping them, filling their placeholders, applying them to a record.

Who may keep and use which is `servicedesk.permissions.MacroPolicy`; what a macro may change on a kind
of record, and through which of its services, is the kind's `MacroTarget` (`servicedesk.macros`).
`macro_apply` adds the text and makes the changes in one transaction: when any step is refused (an
illegal transition, a stale version, a guard) nothing of it is kept.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from servicedesk.errors import Conflict, NotFound, PermissionDenied
from servicedesk.kinds import RecordKind, kind_of, record_kinds
from servicedesk.macros import placeholders_fill, placeholders_unknown
from servicedesk.models import Macro, SupportGroup, User
from servicedesk.permissions import MacroPolicy
from servicedesk.records.services import record_lock

from .audit import audit_record

NAME_MAX_LENGTH = 150
FIELDS = ("name", "body", "is_public", "changes", "kinds", "owner", "group", "is_active")


def macro_kinds() -> list[RecordKind]:
    """The registered kinds that offer macros, in registration order."""
    return [kind for kind in record_kinds() if kind.macros is not None]


def _validate(values: dict) -> None:
    errors = {}
    name = (values.get("name") or "").strip()
    if not name:
        errors["name"] = _("Give the macro a name.")
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = _("At most %(count)d characters.") % {"count": NAME_MAX_LENGTH}
    unknown = placeholders_unknown(values.get("body", ""))
    if unknown:
        errors["body"] = _("Unknown placeholders: %(names)s.") % {"names": ", ".join(unknown)}
    offered = {kind.code: kind for kind in macro_kinds()}
    codes = list(values.get("kinds") or [])
    wrong = [code for code in codes if code not in offered]
    if wrong:
        errors["kinds"] = _("These record kinds take no macros: %(kinds)s.") % {"kinds": ", ".join(wrong)}
    changes = values.get("changes") or {}
    if not isinstance(changes, Mapping):
        errors["changes"] = _("Give the field changes as names and values.")
    elif changes:
        for kind in [offered[code] for code in codes if code in offered] or offered.values():
            refusals = kind.macros.refusals(changes)
            if refusals:
                errors["changes"] = "; ".join(
                    f"{kind.label}: {field} – {text}" for field, text in refusals.items()
                )
                break
    if values.get("owner") is not None and values.get("group") is not None:
        errors["group"] = _("A macro is personal or shared with a group, not both.")
    if errors:
        raise ValidationError(errors)


def _clean(values: dict) -> dict:
    values = dict(values)
    values["name"] = (values.get("name") or "").strip()
    values["body"] = (values.get("body") or "").strip()
    values["changes"] = {k: v for k, v in (values.get("changes") or {}).items() if v not in (None, "")}
    values["kinds"] = list(dict.fromkeys(values.get("kinds") or []))
    return values


@transaction.atomic
def macro_create(
    *,
    actor: User,
    name: str,
    body: str = "",
    is_public: bool = True,
    changes: dict | None = None,
    kinds: Iterable[str] = (),
    owner: User | None = None,
    group: SupportGroup | None = None,
    is_active: bool = True,
) -> Macro:
    """A new macro: personal (`owner`), a group's (`group`) or global (neither).

    Raises PermissionDenied when `actor` may not keep a macro of that scope (`MacroPolicy`) and
    ValidationError for no name, unknown placeholders, kinds that take no macros, changes a kind
    refuses, or both an owner and a group.
    """
    values = _clean(
        {
            "name": name,
            "body": body,
            "is_public": bool(is_public),
            "changes": changes,
            "kinds": list(kinds),
            "owner": owner,
            "group": group,
            "is_active": bool(is_active),
        }
    )
    if not MacroPolicy.can_manage_scope(actor, owner=owner, group=group):
        raise PermissionDenied(_("You may not keep macros for others."))
    _validate(values)
    macro = Macro.objects.create(**values, created_by=actor)
    audit_record(actor=actor, action="macro.created", target=macro, data=_summary(macro))
    return macro


@transaction.atomic
def macro_update(*, macro: Macro, actor: User, **changes: Any) -> Macro:
    """Change the named fields of `macro` (among `FIELDS`); the same checks as `macro_create`, for the
    macro as it was (may the actor manage it?) and as it becomes (may they keep it so?)."""
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    macro = Macro.objects.select_for_update().get(pk=macro.pk)
    if not MacroPolicy.can_manage(actor, macro):
        raise NotFound()  # another person's macro is not even there for them
    values = _clean({name: getattr(macro, name) for name in FIELDS} | changes)
    if not MacroPolicy.can_manage_scope(actor, owner=values["owner"], group=values["group"]):
        raise PermissionDenied(_("You may not keep macros for others."))
    _validate(values)
    changed = [name for name in FIELDS if getattr(macro, name) != values[name]]
    for name in changed:
        setattr(macro, name, values[name])
    if changed:
        macro.save(update_fields=[*changed, "updated_at"])
        audit_record(actor=actor, action="macro.updated", target=macro, data={"fields": changed})
    return macro


@transaction.atomic
def macro_delete(*, macro: Macro, actor: User) -> None:
    """Delete `macro`; NotFound for a macro the actor may not manage."""
    if not MacroPolicy.can_manage(actor, macro):
        raise NotFound()
    audit_record(actor=actor, action="macro.deleted", target=macro, data=_summary(macro))
    macro.delete()


def _summary(macro: Macro) -> dict:
    return {"name": macro.name, "owner": macro.owner_id, "group": macro.group_id, "changes": macro.changes}


def macro_get_for_user(*, user: User, pk, manage: bool = False) -> Macro:
    """The macro `pk` if `user` may use it (or, with `manage`, manage it); NotFound otherwise."""
    queryset = MacroPolicy.manageable_by(user) if manage else MacroPolicy.usable_by(user)
    try:
        return queryset.select_related("owner", "group").get(pk=int(pk))
    except (Macro.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def macros_for_record(*, user: User, record) -> list[Macro]:
    """The macros `user` may apply to `record`: usable by them, for its kind, where the kind offers macros."""
    kind = kind_of(record)
    if kind.macros is None:
        return []
    macros = MacroPolicy.usable_by(user).select_related("owner", "group").order_by("name", "id")
    return [macro for macro in macros if not macro.kinds or kind.code in macro.kinds]


def macro_render(macro: Macro, record, user: User) -> str:
    """The macro's text for `record` as `user` would apply it: placeholders filled (plain substitution)."""
    return placeholders_fill(macro.body, record, user)


def macro_apply(
    *, macro: Macro, record, actor: User, body: str | None = None, expected_version: int | None = None
):
    """Apply `macro` to `record` as `actor`: its text (`body` when the agent edited it, else the macro's
    filled in) as a comment or a work note, then its field changes and its status, each through the
    kind's own services. A transition that requires text (resolution notes, a reason) takes the text
    instead of a comment; a status the record already has is left alone.

    All or nothing, in one transaction. Raises NotFound (a macro the actor may not use), Conflict
    `macro_not_for_kind`, StaleWrite (`expected_version` out of date: 412), InvalidTransition (409) and
    whatever the kind's services raise (PermissionDenied, ValidationError). Returns the record.
    """
    kind = kind_of(record)
    target = kind.macros
    if not MacroPolicy.can_use(actor, macro):
        raise NotFound()
    if target is None or (macro.kinds and kind.code not in macro.kinds):
        raise Conflict(_("This macro is not for records of this kind."), code="macro_not_for_kind")
    refusals = target.refusals(macro.changes)
    if refusals:
        raise ValidationError(refusals)
    with transaction.atomic():
        record = record_lock(record, expected_version=expected_version)
        text = (body if body is not None else macro_render(macro, record, actor)).strip()
        to, inputs, updates = target.split(macro.changes)
        if to == getattr(record, kind.workflow.field if kind.workflow else "status"):
            to = None
        fills = []
        if to is not None:
            transition = kind.workflow.find(record, to, actor)
            fills = [name for name in transition.requires if name in target.text_inputs]
            if fills and not text:
                raise ValidationError({"body": _("This macro needs a text for the record's new status.")})
        if text and not fills:
            target.comment(record=record, actor=actor, body=text, is_public=macro.is_public)
        if updates:
            if target.update is None:
                raise ValidationError({"changes": _("This record kind takes no field changes from macros.")})
            record = target.update(record=record, actor=actor, **updates)
        if to is not None:
            record = target.transition(
                record=record, actor=actor, to=to, **inputs, **dict.fromkeys(fills, text)
            )
        audit_record(
            actor=actor,
            action=f"{record._meta.model_name}.macro_applied",
            target=record,
            data={"macro": macro.pk, "name": macro.name},
        )
        return record
