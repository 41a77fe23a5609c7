"""The registry of record kinds: how lower layers (e-mail intake, SLA, search) find a record by its number.

A process app registers each kind it owns in `AppConfig.ready()`; the kernel never imports process apps.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps

from servicedesk.errors import NotFound

NUMBER_PATTERN = re.compile(r"^(?P<prefix>[A-Z]{2,8})(?P<value>\d{1,12})$")


@dataclass(frozen=True)
class RecordKind:
    """One kind of record: its number prefix, its model and how to fetch one for a user."""

    code: str  # "incident"
    prefix: str  # "INC"
    label: Any  # a lazy translation
    model: str  # "incidents.Incident"
    get_for_user: Callable[..., Any]  # (user=, number=) -> record, raises NotFound
    filters: dict = field(default_factory=dict)  # narrows the model's rows to this kind
    # record -> dict: the record as the API shows it (webhook bodies)
    represent: Callable[[Any], dict] | None = None
    # the events a record of this kind publishes, without the kind: ("created", "resolved", ...)
    events: tuple[str, ...] = ()
    # how e-mail files records of this kind and replies on them (servicedesk.intake.MailIntake)
    mail: Any = None
    # how SLA clocks read records of this kind and escalate them (servicedesk.sla.adapters.SLAAdapter)
    sla: Any = None
    # the SLA clocks a record of this kind runs ("response", "resolution": servicedesk.models.Metric), in
    # order; a kind with an `sla` adapter names at least one, a kind without one runs none
    sla_metrics: tuple[str, ...] = ()
    # (user, record) -> bool: may the user read internal work notes; also who hears of the agents'
    # notification events on the record (servicedesk.notifications.audiences.reads_internal). Not given:
    # nobody is mailed work notes.
    can_see_internal: Callable[[Any, Any], bool] | None = None
    # who may see and do what (servicedesk.records.policy.RecordPolicy): services, pages and the API ask it
    policy: Any = None
    # its REST resource: the path under /api/v1/ and the dotted path of its viewset (a subclass of
    # servicedesk.api.records.RecordViewSet); the router registers it, with the kind's code as basename
    api_path: str = ""
    api_viewset: str = ""
    # the kind's transition table (servicedesk.records.workflow.Workflow): its status machine, declared once
    workflow: Any = None
    # the statuses in which a record is still being worked (queues, "open" counts); not given: every
    # status of the transition table but the policy's final ones
    open_statuses: tuple[str, ...] | None = None
    # (record=, event=, actor=, entry=, data=) -> None: tell people and integrations what happened to a
    # record; the kernel's `servicedesk.records.events.record_publish` when not given
    publish: Callable[..., None] | None = None
    # a URL name taking the number: the kernel's record page (`/records/<number>/`) unless the kind has one
    url_name: str = "record"
    # (request, record) -> HttpResponse: the page `/records/<number>/` hands over to, with the record fetched
    # through `get_for_user` (servicedesk.records.views)
    page: Callable[[Any, Any], Any] | None = None
    # (user) -> bool: may the user work records of this kind in the workspace (the jump box is for them)
    can_work: Callable[[Any], bool] | None = None
    # (words) -> the address of the workspace list of this kind's records matching `words`, or the whole list
    # for "": where the jump box sends words that are not a number, and its way back
    list_url: Callable[[str], str] | None = None
    # (user=, record_id=) -> a record the user may see whose timeline also shows the entries of record
    # `record_id` (incidents: the one a duplicate was merged into), or None; for attachment downloads
    entry_host: Callable[..., Any] | None = None
    # which of its events e-mail whom (servicedesk.notifications.registry.NotificationRule), in order
    notifications: tuple = ()

    # (records) -> {pk: {column: value}}: what the kind adds to its records' management-information facts
    # (servicedesk.models.RecordFact: channel, service_id, category_id, first_contact, training_need,
    # reopen_count, responded_at, csat_score, csat_commented, rated_at); the kernel fills the rest
    facts: Callable[[list], dict] | None = None

    # what word search reads (servicedesk.records.search.RecordSearch): the Ticket's title, description
    # and public comments when not given
    search: Any = None

    # (approval request, actor) -> None: an approval request on a record of this kind settled (approved,
    # rejected or expired); the owning app decides what happens to its record (servicedesk.approvals)
    on_approval: Callable[[Any, Any], None] | None = None

    # what a macro (canned response) may change on a record of this kind, through which of its services
    # (servicedesk.macros.MacroTarget); not given: the kind offers no macros
    macros: Any = None

    def __post_init__(self):
        # A kind with a policy answers these questions from it unless it says otherwise.
        if self.policy is not None:
            if self.can_see_internal is None:
                object.__setattr__(self, "can_see_internal", self.policy.can_see_internal)
            if self.can_work is None:
                object.__setattr__(self, "can_work", self.policy.is_agent)
        if self.open_statuses is None:
            object.__setattr__(self, "open_statuses", self._statuses_not_final())
        if (self.sla is None) != (not self.sla_metrics):
            raise ValueError(f"Record kind {self.code}: an SLA adapter and its metrics go together.")

    def _statuses_not_final(self) -> tuple[str, ...]:
        """The statuses the transition table leads from or to, in order, less the policy's final ones."""
        final = set(getattr(self.policy, "final_statuses", ()))
        statuses = {}
        for transition in self.workflow or ():
            for status in (*transition.sources, transition.target):
                statuses.setdefault(status, None)
        return tuple(status for status in statuses if status not in final)

    def is_open(self, record) -> bool:
        """Whether `record` is still being worked (its status is one of `open_statuses`)."""
        return getattr(record, self.workflow.field if self.workflow else "status") in self.open_statuses

    def model_class(self):
        return apps.get_model(self.model)


_KINDS: dict[str, RecordKind] = {}


def register_record_kind(kind: RecordKind) -> None:
    existing = _KINDS.get(kind.prefix)
    if existing is not None and existing != kind:
        raise ValueError(f"Number prefix {kind.prefix} is already taken by {existing.code}.")
    _KINDS[kind.prefix] = kind


def record_kinds() -> list[RecordKind]:
    return list(_KINDS.values())


def record_kind(code: str) -> RecordKind:
    for kind in _KINDS.values():
        if kind.code == code:
            return kind
    raise LookupError(code)


def kind_of(record) -> RecordKind:
    """The kind a record belongs to, from its number; LookupError for a model no app registered."""
    parsed = parse_number(getattr(record, "number", ""))
    if parsed is None:
        raise LookupError(type(record).__name__)
    return parsed[0]


def parse_number(number: str) -> tuple[RecordKind, str] | None:
    """The kind a number belongs to and the number in canonical form (`inc42` → `INC0000042`), or None."""
    match = NUMBER_PATTERN.match(str(number or "").strip().upper())
    if match is None or match["prefix"] not in _KINDS:
        return None
    kind = _KINDS[match["prefix"]]
    return kind, format_number(kind.prefix, int(match["value"]))


def format_number(prefix: str, value: int) -> str:
    return f"{prefix}{value:07d}"


def may_work_any_kind(user) -> bool:
    """Whether `user` may work records of at least one registered kind (the jump box is theirs)."""
    checks = {kind.can_work for kind in _KINDS.values() if kind.can_work is not None}
    return any(check(user) for check in checks)


def record_get_for_user(*, user, number: str):
    """The record with this number if `user` may see it; NotFound otherwise (also for unknown prefixes)."""
    parsed = parse_number(number)
    if parsed is None:
        raise NotFound()
    kind, canonical = parsed
    return kind.get_for_user(user=user, number=canonical)
