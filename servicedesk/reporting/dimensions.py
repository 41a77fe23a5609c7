"""What reports filter and break down by: each dimension's label, its fact column, the names of its values
and the choices a filter form offers. The kernel registers the people and groups; process apps register
theirs (a service, a category, a channel) in `AppConfig.ready()`.

And where a result's records are listed: each kind's app registers a drill that turns a row's record filter
into the address of its list (the incident queue), or None where the list cannot express the filter.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Dimension:
    name: str  # a key of servicedesk.reporting.measures.FILTERS
    label: Any
    column: str  # the RecordFact column
    # values -> {value: label}, in one query
    labels: Callable[[list], dict]
    # (user) -> [(value, label)]: what a filter form offers the reader
    choices: Callable[[Any], list] | None = None
    integer: bool = True


_DIMENSIONS: dict[str, Dimension] = {}
_DRILLS: dict[str, Callable[[dict], str | None]] = {}


def register_dimension(dimension: Dimension) -> None:
    _DIMENSIONS[dimension.name] = dimension


def dimensions() -> dict[str, Dimension]:
    return dict(_DIMENSIONS)


def dimension(name: str) -> Dimension:
    return _DIMENSIONS[name]


def register_drill(kind: str, drill: Callable[[dict], str | None]) -> None:
    """`drill(records)` -> the list of the records `records` describes (servicedesk.reporting.drill)."""
    _DRILLS[kind] = drill


_FROM_SCOPE = object()


def drill_url(kinds: tuple[str, ...], records: dict | None, *, limits=_FROM_SCOPE) -> str | None:
    """Where the records of a row are listed: the drill every one of `kinds` shares, with the reader's
    scope (`records["scope"]`, or `limits` from `scope_limits` worked out once for many rows) as the
    list's own filter; None where no drill can say it."""
    if records is None or not kinds:
        return None
    drills = {_DRILLS.get(kind) for kind in kinds}
    if len(drills) != 1 or None in drills:
        return None
    if limits is _FROM_SCOPE:
        limits = scope_limits(records.get("scope"))
    records = listable(records, limits)
    if records is None:
        return None
    return drills.pop()({**records, "kinds": tuple(kinds)})


def scope_limits(scope) -> dict[str, set] | None:
    """The reader's scope as record filters ({"groups": {...}, "agents": {...}}), any one of which makes a
    record readable; None for no limit. A manager's own work inside their groups adds nothing, and is left
    out when none of it lies elsewhere (one query) so that the queue can list what the figures count."""
    if scope is None or scope.everything:
        return None
    from servicedesk.models import RecordFact

    limits = {
        name: set(values)
        for name, values in (
            ("groups", scope.groups),
            ("services", scope.services),
            ("agents", (scope.agent,) if scope.agent else ()),
            ("organisations", (scope.organisation,) if scope.organisation else ()),
        )
        if values
    }
    if "agents" in limits and len(limits) > 1:
        elsewhere = RecordFact.objects.filter(assignee_id=scope.agent)
        if scope.groups:
            elsewhere = elsewhere.exclude(support_group_id__in=scope.groups)
        if scope.services:
            elsewhere = elsewhere.exclude(service_id__in=scope.services)
        if not elsewhere.exists():
            del limits["agents"]
    return limits


def listable(records: dict | None, limits: dict[str, set] | None) -> dict | None:
    """A row's record filter with the reader's scope as the queue's filter, or None where the queue cannot
    say it: a scope of several limits (their union) on a row not already narrowed inside one of them."""
    if records is None or limits is None:
        return records
    effective = {}
    for name, allowed in limits.items():
        chosen = set(records.get(name) or ())
        if chosen and chosen <= allowed:
            return records  # the row holds only readable records already
        if chosen and not chosen & allowed:
            continue  # this limit adds no record to the row
        effective[name] = chosen & allowed if chosen else allowed
    if len(effective) != 1:
        return None
    ((name, values),) = effective.items()
    return {**records, name: sorted(values)}


def _labels_of(model_path: str, label: Callable[[Any], str]):
    def labels(values):
        from django.apps import apps

        model = apps.get_model(model_path)
        return {obj.pk: label(obj) for obj in model._base_manager.filter(pk__in=[v for v in values if v])}

    return labels


def _group_choices(user):
    from servicedesk.models import SupportGroup

    return list(SupportGroup.objects.filter(is_active=True).order_by("name").values_list("pk", "name"))


def _agent_choices(user):
    from servicedesk.models import AGENT_PERMISSION, User

    app_label, codename = AGENT_PERMISSION.split(".")
    agents = User.objects.filter(is_active=True).filter(
        groups__permissions__codename=codename, groups__permissions__content_type__app_label=app_label
    )
    return [
        (u.pk, u.get_full_name() or u.username) for u in agents.distinct().order_by("full_name", "username")
    ]


def _organisation_choices(user):
    from servicedesk.models import Organisation

    return list(Organisation.objects.filter(is_active=True).order_by("name").values_list("pk", "name"))


def _department_choices(user):
    from servicedesk.models import User

    names = User.objects.exclude(department="").order_by("department").values_list("department", flat=True)
    return [(name, name) for name in names.distinct()]


def _priority_labels(values):
    from servicedesk.models import Priority

    return {value: Priority(value).label for value in values if value in Priority.values}


def _priority_choices(user):
    from servicedesk.models import Priority

    return list(Priority.choices)


def _kind_labels(values):
    from servicedesk.kinds import record_kinds

    known = {kind.code: kind.label for kind in record_kinds()}
    return {value: known.get(value, value) for value in values}


def _policy_choices(user):
    from servicedesk.models import SLAPolicy

    return list(SLAPolicy.objects.order_by("order", "name").values_list("pk", "name"))


def register_kernel_dimensions() -> None:
    register_dimension(
        Dimension(
            "group",
            _("Support group"),
            "support_group_id",
            _labels_of("servicedesk.SupportGroup", lambda g: g.name),
            _group_choices,
        )
    )
    register_dimension(
        Dimension(
            "agent",
            _("Agent"),
            "assignee_id",
            _labels_of("servicedesk.User", lambda u: u.get_full_name() or u.username),
            _agent_choices,
        )
    )
    register_dimension(
        Dimension(
            "organisation",
            _("Organisation"),
            "organisation_id",
            _labels_of("servicedesk.Organisation", lambda o: o.name),
            _organisation_choices,
        )
    )
    register_dimension(
        Dimension(
            "department",
            _("Department"),
            "department",
            lambda values: {v: v or _("No department") for v in values},
            _department_choices,
            integer=False,
        )
    )
    register_dimension(Dimension("priority", _("Priority"), "priority", _priority_labels, _priority_choices))
    register_dimension(
        Dimension(
            "kind",
            _("Kind"),
            "kind",
            _kind_labels,
            lambda user: list(_kind_labels(_desk_kinds()).items()),
            integer=False,
        )
    )
    register_dimension(
        Dimension(
            "policy",
            _("SLA policy"),
            "sla_policy_id",
            _labels_of("servicedesk.SLAPolicy", lambda p: p.name),
            _policy_choices,
        )
    )


def _desk_kinds():
    from servicedesk.kinds import record_kinds

    return [kind.code for kind in record_kinds()]
