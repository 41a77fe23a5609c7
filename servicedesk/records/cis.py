"""Which records touch a configuration item: the registry behind a CI page's open records.

Each process app stores the CIs of its records in its own many-to-many fields (an incident's affected CIs,
a problem's affected and contributing CIs, a change's affected CIs, a release's target CIs). The CMDB sits
below those apps and may not import them (DESIGN.md §2), so each registers its fields here in
`AppConfig.ready()` (`register_ci_relation`), and the CI page asks `records_touching_ci`.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse

from servicedesk.kinds import record_kind

PER_KIND = 20  # records listed per kind; the rest are counted


@dataclass(frozen=True)
class CIRelation:
    """Records of kind `kind` (a kind code) name CIs in their many-to-many field `field`, in the role
    `label` ("Affected", "Contributing", "Target")."""

    kind: str
    field: str
    label: Any


_RELATIONS: list[CIRelation] = []


def register_ci_relation(relation: CIRelation) -> None:
    """Offer the CIs of `relation` to the CI page; call it from the owning app's `AppConfig.ready()`."""
    if relation not in _RELATIONS:
        _RELATIONS.append(relation)


def ci_relations() -> list[CIRelation]:
    return list(_RELATIONS)


@dataclass
class RecordOnCI:
    """One record touching the CI: the record, its kind, its roles for the CI and its page."""

    record: Any
    kind: Any
    url: str
    roles: list = field(default_factory=list)


@dataclass
class KindOnCI:
    kind: Any
    records: list[RecordOnCI]
    more: int = 0  # open records beyond those listed


def records_touching_ci(*, ci_id: int, user, relations: Iterable[CIRelation] | None = None) -> list[KindOnCI]:
    """The open records naming CI `ci_id` that `user` may see (by each kind's policy), grouped by kind in
    registration order (kinds with none left out), the most urgent first (priority, then the latest
    update), at most `PER_KIND` a kind.

    One query a relation, and one more to count the rest when it has more than `PER_KIND`.
    """
    groups: dict[str, KindOnCI] = {}
    for relation in relations if relations is not None else _RELATIONS:
        try:
            kind = record_kind(relation.kind)
        except LookupError:
            continue
        rows = (
            kind.policy.visible_to(user)
            .filter(**kind.filters, **{relation.field: ci_id}, status__in=kind.open_statuses)
            .order_by("priority", "-updated_at", "pk")
        )
        group = groups.setdefault(kind.code, KindOnCI(kind=kind, records=[]))
        listed = {item.record.pk: item for item in group.records}
        found = list(rows[:PER_KIND])
        for record in found:
            item = listed.get(record.pk)
            if item is None:
                item = RecordOnCI(record=record, kind=kind, url=reverse(kind.url_name, args=[record.number]))
                group.records.append(item)
                listed[record.pk] = item
            item.roles.append(relation.label)
        if len(found) == PER_KIND:
            group.more = max(group.more, rows.count() - PER_KIND)
    result = []
    for group in groups.values():
        if not group.records:
            continue
        group.records.sort(key=lambda item: (item.record.priority, -item.record.updated_at.timestamp()))
        del group.records[PER_KIND:]
        result.append(group)
    return result
