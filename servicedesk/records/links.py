"""The link types between records, registered by the apps that own them.

What one kind shows of another (a problem's incidents, an incident's problem) comes through a link type the
higher app registers in `AppConfig.ready()`, never through an import of the higher app by the lower one
(DESIGN.md §3). A `LinkType` names the kinds on each side, how each side reads the other, how many links
each side may have, who may make and remove them, and the events they publish.

A link goes from its source to its target; seen from a record, a link is `outgoing` (the record is its
source) or `incoming` (its target). Between two records there is at most one link of a type, whichever
way it points.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from servicedesk.kinds import kind_of, record_kind

OUTGOING = "outgoing"
INCOMING = "incoming"
DIRECTIONS = (OUTGOING, INCOMING)


def agents_of_the_record(user, record) -> bool:
    """The default rule of who may link and unlink: an agent of the record's kind, on both records."""
    return kind_of(record).policy.is_agent(user)


@dataclass(frozen=True)
class LinkType:
    """One type of link between a record of `source_kind` and one of `target_kind` (kind codes).

    `label` is how a source reads its targets ("Incidents", "Blocks"), `reverse_label` how a target reads
    its sources ("Problem", "Blocked by"). `source_many=False`: a source has at most one target of this
    type (a chore's one parent); `target_many=False`: a target has at most one source (an incident's one
    problem). `permission(user, record)` is asked of both records (besides seeing them both);
    `guard(source, target)` may refuse a pair (it answers None, or why not: a 409 `link_refused`).
    `events` are what each record publishes, through its kind (`RecordKind.publish`), when linked and
    unlinked. `public=True` shows the timeline entries to whoever sees a record's public entries; by default
    they are for who reads its internal notes, as the other record's title is in them.
    """

    code: str
    source_kind: str
    target_kind: str
    label: Any
    reverse_label: Any
    source_many: bool = True
    target_many: bool = True
    permission: Callable[[Any, Any], bool] = agents_of_the_record
    guard: Callable[[Any, Any], Any] | None = None
    events: tuple[str, str] = ("linked", "unlinked")
    public: bool = False

    def kind_on(self, direction: str) -> str:
        """The kind code of the record on the far side, seen from a record whose link is `direction`."""
        return self.target_kind if direction == OUTGOING else self.source_kind

    def label_on(self, direction: str):
        """How a record reads the far side of its `direction` links."""
        return self.label if direction == OUTGOING else self.reverse_label

    def many_on(self, direction: str) -> bool:
        """May a record have many links of this type in `direction`?"""
        return self.source_many if direction == OUTGOING else self.target_many

    def directions_for(self, kind_code: str) -> list[str]:
        """The directions a record of `kind_code` may take part in (both for a type within one kind)."""
        return [
            d for d in DIRECTIONS if (self.source_kind if d == OUTGOING else self.target_kind) == kind_code
        ]


_TYPES: dict[str, LinkType] = {}


def register_link_type(link_type: LinkType) -> None:
    """Offer `link_type`; call it from the owning app's `AppConfig.ready()`. Its entries read through the
    kernel's link renderer unless a more specific one is registered (`servicedesk.records.timeline`)."""
    from .timeline import register_timeline_renderer

    existing = _TYPES.get(link_type.code)
    if existing is not None and existing != link_type:
        raise ValueError(f"Link type {link_type.code} is already registered.")
    _TYPES[link_type.code] = link_type
    register_timeline_renderer(
        "link", "servicedesk/records/timeline/record_link.html", data_type=link_type.code
    )


def link_type(code: str) -> LinkType | None:
    return _TYPES.get(code)


def link_types() -> list[LinkType]:
    return list(_TYPES.values())


def link_types_for(kind_code: str) -> list[tuple[LinkType, str]]:
    """The (type, direction) pairs a record of `kind_code` may take part in, in registration order."""
    return [(t, d) for t in _TYPES.values() for d in t.directions_for(kind_code)]


def link_events() -> list[str]:
    """Every `<kind>.<event>` the registered link types publish (what webhooks may subscribe to)."""
    events = set()
    for t in _TYPES.values():
        for kind in (t.source_kind, t.target_kind):
            try:
                code = record_kind(kind).code
            except LookupError:
                continue
            events.update(f"{code}.{event}" for event in t.events)
    return sorted(events)
