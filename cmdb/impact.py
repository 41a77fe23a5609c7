"""Impact analysis: which CIs a failing CI hits ("up"), or which CIs a CI depends on ("down").

The traversal is one recursive SQL statement (django-cte). Its rows are (node, depth, predecessor,
relationship name); they are combined with UNION, not UNION ALL, and bounded by depth, so the
recursion ends on cycles and produces at most one row per (edge, depth) on dense graphs: no row
carries a whole path, which on diamonds would enumerate every path. The outer query keeps each node
once, at its shortest depth, with one predecessor at the depth before; the paths are rebuilt here
from those predecessor rows.
"""

from dataclasses import dataclass, field

from django.db.models import BigIntegerField, Case, F, IntegerField, Q, TextField, Value, When, Window
from django.db.models.functions import Cast, RowNumber
from django.db.models.lookups import Exact, LessThan
from django.utils.translation import gettext as _
from django_cte import CTE, with_cte

from servicedesk.errors import ApplicationError

from .models import CIRelationship, ConfigurationItem, RelationshipType

UP = "up"
DOWN = "down"
DIRECTIONS = (UP, DOWN)
DEFAULT_DEPTH = 5
MAX_DEPTH = 10
SERVICE_CLASS_PATH = "/business_service/"

Impact = RelationshipType.Impact
# For "up", which relationship types let a failure travel from a CI at the target end (to the
# source) and from a CI at the source end (to the target); "down" walks the same edges backwards.
_FROM_TARGET = {UP: [Impact.TARGET_TO_SOURCE, Impact.BOTH], DOWN: [Impact.SOURCE_TO_TARGET, Impact.BOTH]}
_FROM_SOURCE = {UP: [Impact.SOURCE_TO_TARGET, Impact.BOTH], DOWN: [Impact.TARGET_TO_SOURCE, Impact.BOTH]}


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


def _traversal(*, ci: ConfigurationItem, direction: str, max_depth: int):
    """The one statement: the reached CIs, each once at its shortest depth, annotated with that
    `impact_depth`, a predecessor at the depth before (`impact_pred`) and the relationship name
    read on the way (`impact_via`)."""

    def make(walk):
        seed = (
            ConfigurationItem.objects.filter(pk=ci.pk)
            .order_by()
            .values(
                node=F("id"),
                depth=Value(0, output_field=IntegerField()),
                pred=Cast(Value(None), BigIntegerField()),
                via=Cast(Value(""), TextField()),
            )
        )
        # One join on "either end is the node" (PostgreSQL answers it with a BitmapOr of the source
        # and target indexes), then keep the ends a failure travels through for this direction.
        from_target = Q(target_id=walk.col.node, type__impact__in=_FROM_TARGET[direction])
        from_source = Q(source_id=walk.col.node, type__impact__in=_FROM_SOURCE[direction])
        at_target = Q(target_id=walk.col.node)
        step = (
            walk.join(CIRelationship, Q(target_id=walk.col.node) | Q(source_id=walk.col.node))
            .filter(from_target | from_source, LessThan(walk.col.depth, max_depth))
            .order_by()
            .values(
                node=Case(When(at_target, then=F("source_id")), default=F("target_id")),
                depth=walk.col.depth + Value(1, output_field=IntegerField()),
                pred=Cast(walk.col.node, BigIntegerField()),
                # Walking target -> source reads the reverse name ("hosts"), else the name ("runs on").
                via=Cast(
                    Case(When(at_target, then=F("type__reverse_name")), default=F("type__name")),
                    TextField(),
                ),
            )
        )
        return seed.union(step, all=False)

    walk = CTE.recursive(make, name="impact_walk")
    ranked = CTE(
        walk.queryset()
        .exclude(node=ci.pk)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("node")],
                order_by=[F("depth").asc(), F("pred").asc(), F("via").asc()],
            )
        )
        .order_by(),
        name="impact_ranked",
    )
    # Join the CI rows (and classes) in the same statement: no second query, no parameter limits.
    rows = (
        ranked.join(ConfigurationItem.objects.select_related("ci_class"), id=ranked.col.node)
        .filter(Exact(ranked.col.rank, 1))
        .annotate(impact_depth=ranked.col.depth, impact_pred=ranked.col.pred, impact_via=ranked.col.via)
        .order_by()
    )
    return with_cte(walk, ranked, select=rows)


def ci_impact(
    *, ci: ConfigurationItem, direction: str = UP, max_depth: int = DEFAULT_DEPTH
) -> list[ImpactNode]:
    """The CIs that a failure of `ci` hits (`direction="up"`) or that `ci` depends on ("down").

    Follows each relationship the way its type's `impact` says failures travel (reversed for "down"),
    up to `max_depth` (1..10) steps. Each CI appears once, at its shortest depth, with one shortest
    path; the start CI is left out. Order: business services first, then depth, then name.

    Runs one SQL statement, `_traversal`: the recursive CTE walks the graph and its outer query
    returns the reached CIs with their classes. Raises `InvalidImpactQuery` for a bad direction or
    depth.
    """
    if direction not in DIRECTIONS:
        raise InvalidImpactQuery(fields={"direction": [_("Must be “up” or “down”.")]})
    if isinstance(max_depth, bool) or not isinstance(max_depth, int) or not 1 <= max_depth <= MAX_DEPTH:
        raise InvalidImpactQuery(
            fields={"depth": [_("Must be an integer from 1 to %(max)s.") % {"max": MAX_DEPTH}]}
        )

    reached = {row.pk: row for row in _traversal(ci=ci, direction=direction, max_depth=max_depth)}
    paths: dict[int, tuple[list[int], list[str]]] = {ci.pk: ([ci.pk], [])}

    def path_to(node: int) -> tuple[list[int], list[str]]:
        # Iterative: walk back to a node whose path is known, then fill the paths forwards.
        chain = []
        while node not in paths:
            chain.append(node)
            node = reached[node].impact_pred
        for step in reversed(chain):
            ids, names = paths[reached[step].impact_pred]
            paths[step] = ([*ids, step], [*names, reached[step].impact_via])
        return paths[chain[0]] if chain else paths[node]

    nodes = []
    for node, item in reached.items():
        ids, names = path_to(node)
        is_service = item.ci_class.path.startswith(SERVICE_CLASS_PATH)
        nodes.append(ImpactNode(ci=item, depth=item.impact_depth, path=ids, via=names, is_service=is_service))
    nodes.sort(key=lambda n: (not n.is_service, n.depth, n.ci.name.lower(), n.ci.pk))
    return nodes
