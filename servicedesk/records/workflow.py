"""A kind's status machine, declared once as a table of transitions.

Everything else is derived from the table: the transitions a person may fire now (the API's
`/transitions`, the record page's buttons and their forms), the 409 with the allowed targets, the
required inputs, the timeline entry, the event a transition publishes. `servicedesk.records.transitions`
fires them.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from servicedesk.errors import ApplicationError, InvalidTransition

from .fields import status_write


def nobody(record, user) -> bool:
    """The permission of internal transitions: fired by services (merge, routing), never by a person."""
    return False


@dataclass
class Firing:
    """One transition being fired: what its effect reads (`inputs`) and what it leaves for the engine to
    save (`fields`), record (`data` on the timeline, in the audit and the event) and show (`body`)."""

    record: Any
    actor: Any
    transition: "Transition"
    inputs: dict
    now: Any
    source: str
    fields: set = field(default_factory=set)
    data: dict = field(default_factory=dict)
    body: str = ""

    @property
    def by_system(self) -> bool:
        return self.actor is None

    def set(self, name: str, value, *, record_as: str | None = None) -> None:
        """Set a field of the record, to be saved; `record_as` also notes the value in `data`."""
        setattr(self.record, name, value)
        self.fields.add(name)
        if record_as is not None:
            self.data[record_as] = value


@dataclass(frozen=True)
class Transition:
    """One row of a kind's transition table.

    `permission(record, user)` says who may fire it; `guard(record)` what must be true of the record (it
    answers None, or why not: a message for a 409 `invalid_transition`, or an error of its own);
    `requires` and `accepts` name the inputs the person gives; `effect(firing)` applies them to the record
    before it is saved, `after(firing)` runs once it is recorded (children following their parent).
    `refusal(record, user)` may give a clearer error than "you may not" (a requester's reopen after the
    window). `internal` transitions are fired by services, never listed.
    """

    name: str
    sources: tuple[str, ...]
    target: str
    label: Any
    permission: Callable[[Any, Any], bool]
    requires: tuple[str, ...] = ()
    accepts: tuple[str, ...] = ()
    guard: Callable[[Any], Any] | None = None
    effect: Callable[[Firing], None] | None = None
    after: Callable[[Firing], None] | None = None
    refusal: Callable[[Any, Any], Exception | None] | None = None
    event: str | None = None
    internal: bool = False

    def blocked(self, record) -> str | None:
        """Why the guard refuses this transition for `record` now, or None."""
        return self.guard(record) if self.guard is not None else None

    def describe(self) -> dict:
        """The transition as every `/transitions` answer shows it (`AllowedTransitionSerializer`)."""
        return {
            "name": self.name,
            "to": self.target,
            "label": str(self.label),
            "requires": list(self.requires),
            "accepts": list(self.accepts),
        }


class Workflow:
    """A kind's transition table, in the order its buttons show."""

    def __init__(self, transitions: Iterable[Transition], *, field: str = "status"):
        self.transitions = tuple(transitions)
        self.field = field
        self.by_name = {t.name: t for t in self.transitions}
        if len(self.by_name) != len(self.transitions):
            raise ValueError("Two transitions share a name.")

    def __iter__(self):
        return iter(self.transitions)

    def status(self, record) -> str:
        return getattr(record, self.field)

    def set_status(self, record, value: str) -> None:
        status_write(record, self.field, value)

    def available(self, record) -> list[Transition]:
        """The public transitions that lead out of the record's status and whose guard lets them."""
        status = self.status(record)
        return [
            t
            for t in self.transitions
            if not t.internal and status in t.sources and t.blocked(record) is None
        ]

    def allowed(self, record, user) -> list[Transition]:
        """The transitions `user` may fire on `record` now."""
        return [t for t in self.available(record) if t.permission(record, user)]

    def allowed_targets(self, record, user) -> list[str]:
        return list(dict.fromkeys(t.target for t in self.allowed(record, user)))

    def find(self, record, to: str, user) -> Transition:
        """The public transition from the record's status to `to`; InvalidTransition (409, listing where
        `user` may go) when none leads there or its guard refuses."""
        status = self.status(record)
        for t in self.transitions:
            if t.internal or status not in t.sources or t.target != to:
                continue
            reason = t.blocked(record)
            if isinstance(reason, ApplicationError):  # the guard's own refusal, with its own code
                reason.extra.setdefault("allowed", self.allowed_targets(record, user))
                raise reason
            if reason is not None:
                raise InvalidTransition(reason, extra={"allowed": self.allowed_targets(record, user)})
            return t
        raise InvalidTransition(
            _("A record that is %(status)s cannot move to “%(to)s”.")
            % {"status": _status_label(record, self.field).lower(), "to": to},
            extra={"allowed": self.allowed_targets(record, user)},
        )

    def named(self, record, name: str) -> Transition:
        """The transition `name` (internal ones too) if it leads out of the record's status; InvalidTransition
        otherwise. For services that fire a move of their own (an approval settling) through the engine."""
        t = self.by_name.get(name)
        if t is None or self.status(record) not in t.sources:
            raise InvalidTransition(
                _("A record that is %(status)s cannot move that way.")
                % {"status": _status_label(record, self.field).lower()}
            )
        return t

    def move(self, record, name: str) -> tuple[str, str]:
        """Apply the internal transition `name` to the record's status (a service that records the change
        itself: routing, merging); returns (from, to). InvalidTransition when it does not apply."""
        t = self.by_name[name]
        source = self.status(record)
        if source not in t.sources:
            raise InvalidTransition(
                _("A record that is %(status)s cannot move to “%(to)s”.")
                % {"status": _status_label(record, self.field).lower(), "to": t.target}
            )
        status_write(record, self.field, t.target)
        return source, t.target


def _status_label(record, field: str) -> str:
    display = getattr(record, f"get_{field}_display", None)
    return str(display()) if display is not None else getattr(record, field)


class WorkflowByType:
    """Several transition tables for one kind, the record's `key` field choosing which applies (changes:
    standard, normal and emergency each have their own). It answers everything `Workflow` answers, each
    question put to the record's own table; iterating it gives every table's transitions (for the kind's
    statuses and events), and a name shared by two tables must mean the same move."""

    def __init__(self, tables: dict, *, key: str, field: str = "status"):
        if any(table.field != field for table in tables.values()):
            raise ValueError("Every table moves the same field.")
        self.tables = dict(tables)
        self.key = key
        self.field = field
        self.by_name = {}
        for table in self.tables.values():
            for t in table:
                if self.by_name.setdefault(t.name, t).target != t.target:
                    raise ValueError(f"Transition {t.name} leads to two statuses.")
        self.transitions = tuple(dict.fromkeys(t for table in self.tables.values() for t in table))

    def __iter__(self):
        return iter(self.transitions)

    def table(self, record) -> Workflow:
        """The table `record` follows; KeyError for a type no table is declared for."""
        return self.tables[getattr(record, self.key)]

    def status(self, record) -> str:
        return getattr(record, self.field)

    def set_status(self, record, value: str) -> None:
        status_write(record, self.field, value)

    def available(self, record) -> list[Transition]:
        return self.table(record).available(record)

    def allowed(self, record, user) -> list[Transition]:
        return self.table(record).allowed(record, user)

    def allowed_targets(self, record, user) -> list[str]:
        return self.table(record).allowed_targets(record, user)

    def find(self, record, to: str, user) -> Transition:
        return self.table(record).find(record, to, user)

    def named(self, record, name: str) -> Transition:
        return self.table(record).named(record, name)

    def move(self, record, name: str) -> tuple[str, str]:
        table = self.table(record)
        if name not in table.by_name:
            raise InvalidTransition(_("This record's type has no move “%(name)s”.") % {"name": name})
        return table.move(record, name)
