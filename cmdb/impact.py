"""Impact analysis: which CIs a failing CI hits ("up"), or which CIs a CI depends on ("down").

A breadth-first walk, level by level, with a set of the CIs already reached: each level is one query
for the relationships at the ends of the frontier (the CIs reached at the level before), and only the
CIs not reached yet form the next frontier. So each CI is expanded once, the walk ends on cycles, and
diamonds never multiply rows: the work grows with the CIs and relationships reached, not with the paths
between them (a recursive CTE without a visited set re-expands every CI once per depth it is reached
at, ~15 s at depth 10 on 100,000 CIs). Statements: one for the relationship types, at most one per
level, one for the CI rows and one for their classes, whatever the graph.

Two limits keep an answer cheap and readable: the depth (`ITSM_IMPACT_MAX_DEPTH`) and the number of
CIs reached (`ITSM_IMPACT_MAX_CIS`); a walk stopped by the second says so (`truncated`).
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import F, Q
from django.utils.translation import gettext as _

from servicedesk.errors import ApplicationError
from servicedesk.lookups import AnyOf

from .models import CIClass, CIRelationship, ConfigurationItem, RelationshipType

UP = "up"
DOWN = "down"
DIRECTIONS = (UP, DOWN)
DEFAULT_DEPTH = 5
SERVICE_CLASS_PATH = "/business_service/"
# `ci_impact(limit=SETTING)`: the limit of `ITSM_IMPACT_MAX_CIS`, read when called.
SETTING = object()

Impact = RelationshipType.Impact
# For "up", which relationship types let a failure travel from a CI at the target end (to the
# source) and from a CI at the source end (to the target); "down" walks the same edges backwards.
_FROM_TARGET = {UP: [Impact.TARGET_TO_SOURCE, Impact.BOTH], DOWN: [Impact.SOURCE_TO_TARGET, Impact.BOTH]}
_FROM_SOURCE = {UP: [Impact.SOURCE_TO_TARGET, Impact.BOTH], DOWN: [Impact.TARGET_TO_SOURCE, Impact.BOTH]}


def max_depth_allowed() -> int:
    """The deepest walk a caller may ask for (`ITSM_IMPACT_MAX_DEPTH`, default 10)."""
    return settings.ITSM_IMPACT_MAX_DEPTH


def max_cis() -> int:
    """How many CIs a walk reaches before it stops and says it was truncated (`ITSM_IMPACT_MAX_CIS`)."""
    return settings.ITSM_IMPACT_MAX_CIS


class InvalidImpactQuery(ApplicationError):
    default_code = "invalid_impact_query"


@dataclass
class ImpactNode:
    """A CI reached from the start CI: at its shortest `depth`, by `path` (CI ids from the start,
    ending with this CI) through the relationships named in `via` (as read along the walk)."""

    ci: ConfigurationItem
    depth: int
    path: list[int] = field(default_factory=list)
    via: list[str] = field(default_factory=list)
    is_service: bool = False

    @property
    def predecessor_id(self) -> int:
        return self.path[-2]


class ImpactResult(list):
    """The reached CIs (a list of `ImpactNode`, so callers that iterate or count keep working), with
    `truncated` set when the walk stopped at `limit` CIs while more were within the depth."""

    def __init__(self, nodes=(), *, truncated: bool = False, limit: int | None = None):
        super().__init__(nodes)
        self.truncated = truncated
        self.limit = limit


@dataclass
class _Reached:
    depth: int
    pred: int
    via: str


def _walk(
    *, start: int, direction: str, max_depth: int, limit: int | None
) -> tuple[dict[int, _Reached], bool]:
    """The reached CI ids, each at its shortest depth with one predecessor at the depth before (the
    lowest id, then the first relationship name) and the relationship name read on the way; and
    whether the walk stopped at `limit` CIs."""
    types = {t.pk: t for t in RelationshipType.objects.exclude(impact=Impact.NONE)}
    from_target = [pk for pk, t in types.items() if t.impact in _FROM_TARGET[direction]]
    from_source = [pk for pk, t in types.items() if t.impact in _FROM_SOURCE[direction]]
    reached: dict[int, _Reached] = {}
    seen = {start}
    frontier = [start]
    depth = 0
    while frontier and depth < max_depth:
        depth += 1
        frontier_set = set(frontier)
        # One statement per level: the relationships at the frontier's ends that carry a failure the
        # way of the walk (PostgreSQL answers it with a BitmapOr of the source and target indexes).
        rows = CIRelationship.objects.filter(
            Q(AnyOf(F("target_id"), frontier), type_id__in=from_target)
            | Q(AnyOf(F("source_id"), frontier), type_id__in=from_source)
        ).values_list("source_id", "target_id", "type_id")
        found: dict[int, tuple[int, str]] = {}
        for source, target, type_id in rows:
            for node, pred, via in (
                (source, target, types[type_id].reverse_name),  # walked target -> source: "hosts"
                (target, source, types[type_id].name),  # walked source -> target: "runs on"
            ):
                if (
                    pred in frontier_set
                    and node not in seen
                    and type_id in (from_target if pred == target else from_source)
                ):
                    best = found.get(node)
                    if best is None or (pred, via) < best:
                        found[node] = (pred, via)
        new = sorted(found)
        if limit is not None and len(reached) + len(new) > limit:
            for node in new[: limit - len(reached)]:
                reached[node] = _Reached(depth, *found[node])
            return reached, True
        for node in new:
            reached[node] = _Reached(depth, *found[node])
        seen.update(new)
        frontier = new
    return reached, False


def ci_impact(
    *,
    ci: ConfigurationItem,
    direction: str = UP,
    max_depth: int = DEFAULT_DEPTH,
    limit: int | object | None = SETTING,
) -> ImpactResult:
    """The CIs that a failure of `ci` hits (`direction="up"`) or that `ci` depends on ("down").

    Follows each relationship the way its type's `impact` says failures travel (reversed for "down"),
    up to `max_depth` (1..`ITSM_IMPACT_MAX_DEPTH`) steps. Each CI appears once, at its shortest depth,
    with one shortest path; the start CI is left out. Order: business services first, then depth, then
    name. The walk stops after `limit` CIs (default `ITSM_IMPACT_MAX_CIS`; `None`: no limit, for callers
    that need every CI, such as a baseline's scope) and the result's `truncated` says so.

    Statements: at most `max_depth + 3`, never more with the number of paths. Raises
    `InvalidImpactQuery` for a bad direction or depth.
    """
    if direction not in DIRECTIONS:
        raise InvalidImpactQuery(fields={"direction": [_("Must be “up” or “down”.")]})
    deepest = max_depth_allowed()
    if isinstance(max_depth, bool) or not isinstance(max_depth, int) or not 1 <= max_depth <= deepest:
        raise InvalidImpactQuery(
            fields={"depth": [_("Must be an integer from 1 to %(max)s.") % {"max": deepest}]}
        )
    if limit is SETTING:
        limit = max_cis()

    reached, truncated = _walk(start=ci.pk, direction=direction, max_depth=max_depth, limit=limit)
    items = {ci.pk: ci for ci in ConfigurationItem.objects.filter(AnyOf(F("id"), reached))} if reached else {}
    # The few classes once, shared by their CIs (a join would build and decode one class row per CI).
    classes = CIClass.objects.in_bulk({item.ci_class_id for item in items.values()})
    for item in items.values():
        item.ci_class = classes[item.ci_class_id]
    paths: dict[int, tuple[list[int], list[str]]] = {ci.pk: ([ci.pk], [])}

    def path_to(node: int) -> tuple[list[int], list[str]]:
        # Predecessors sit one level up and their paths are built first (nodes go by depth).
        ids, names = paths[reached[node].pred]
        paths[node] = ([*ids, node], [*names, reached[node].via])
        return paths[node]

    nodes = []
    for node in sorted(reached, key=lambda pk: reached[pk].depth):
        ids, names = path_to(node)
        item = items[node]
        is_service = item.ci_class.path.startswith(SERVICE_CLASS_PATH)
        nodes.append(
            ImpactNode(ci=item, depth=reached[node].depth, path=ids, via=names, is_service=is_service)
        )
    nodes.sort(key=lambda n: (not n.is_service, n.depth, n.ci.name.lower(), n.ci.pk))
    return ImpactResult(nodes, truncated=truncated, limit=limit)
