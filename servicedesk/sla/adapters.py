"""What the SLA engine needs from a process app: the facts of a record, and how to escalate it.

The kernel never imports a process app. Each app gives its record kinds an `SLAAdapter` (the `sla` of its
`RecordKind`); the clocks read records only through `facts()` and act on them only through `escalate()`
and `announce()`, which the app implements with its own services. The sweep announces a batch of clocks
at once through `announce_many()` where the adapter has it (`announce_all`), so a kind can write its
timeline entries and outbox rows in a few statements whatever the batch's size.
"""

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class SLAFacts:
    """A record as the SLA engine sees it, at the moment a service changed it."""

    kind: str  # the record kind's code: "incident", "request"
    priority: int
    organisation_id: int | None  # the requester's organisation
    service_policy_id: int | None  # the SLA policy its business service names
    pause_reason: str  # "" when nothing the policies may pause on holds the record ("on_hold:requester")
    responded: bool  # an agent answered or took the record on
    resolved: bool  # resolved or closed: the resolution clock stops
    cancelled: bool  # cancelled or merged away: its clocks stop without counting


@dataclass(frozen=True)
class Announcement:
    """One clock that crossed a threshold, as `announce` takes it: "sla_warning" or "sla_breached"."""

    record: Any
    event: str
    clock: Any
    data: dict


class SLAAdapter(Protocol):
    # The record states a policy may pause on: [(code, label)], codes as in `SLAFacts.pause_reason`.
    pause_choices: list[tuple[str, Any]]
    # The model field that holds the earliest due time of the record's running clocks (queues sort by it).
    due_field: str

    def facts(self, record) -> SLAFacts: ...

    def requester_time_zone(self, record) -> str:
        """The requester's IANA time zone, or ""."""

    def location_time_zone(self, record) -> str:
        """The time zone of the location of the record's affected CI, or ""."""

    def announce(self, record, *, event: str, clock, data: dict) -> None:
        """Tell people and integrations that `clock` crossed a threshold: `event` is "sla_warning" or
        "sla_breached". Called in the sweep's transaction, with the record locked."""

    def escalate(self, record, *, clock, rule) -> dict:
        """Carry out an `EscalationRule`'s actions on the record (notify, reassign, raise priority);
        return what was done, for the ledger. Called in the sweep's transaction, with the record locked."""

    # Optional: `announce_many(self, announcements: list[Announcement]) -> None` announces a batch (records
    # of this kind, each locked) as `announce` would one by one, in a number of statements that does not
    # grow with the batch. Raising fails the whole batch: the sweep then checks its clocks one by one.


def announce_all(adapter, announcements: list[Announcement]) -> None:
    """Announce a batch through the adapter's `announce_many`, or one by one where it has none."""
    if not announcements:
        return
    many = getattr(adapter, "announce_many", None)
    if many is not None:
        many(announcements)
        return
    for item in announcements:
        adapter.announce(item.record, event=item.event, clock=item.clock, data=item.data)
