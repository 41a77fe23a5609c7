"""The impact page: what a CI's failure hits, or what it depends on, as a tree and as an SVG graph."""

from dataclasses import dataclass

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.validators import MaxValueValidator
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from . import selectors
from .impact import DEFAULT_DEPTH, DOWN, UP, ImpactNode, ci_impact, max_depth_allowed

# Graph layout, in SVG user units.
NODE_WIDTH = 180
NODE_HEIGHT = 36
COLUMN_GAP = 60
ROW_GAP = 14
MARGIN = 10
LABEL_LENGTH = 24
# Past this many CIs the picture stops being readable; the tree still lists them all.
GRAPH_LIMIT = 200


class ImpactForm(forms.Form):
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[(UP, _("What its failure hits (up)")), (DOWN, _("What it depends on (down)"))],
        initial=UP,
        required=False,
    )
    depth = forms.IntegerField(label=_("Depth"), min_value=1, initial=DEFAULT_DEPTH, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The setting is read per request, never at import.
        deepest = max_depth_allowed()
        self.fields["depth"].max_value = deepest
        self.fields["depth"].validators.append(MaxValueValidator(deepest))
        self.fields["depth"].widget.attrs["max"] = deepest

    def clean_direction(self):
        return self.cleaned_data["direction"] or UP

    def clean_depth(self):
        return self.cleaned_data["depth"] or DEFAULT_DEPTH


@dataclass
class GraphNode:
    id: int
    label: str
    title: str
    x: int
    y: int
    is_start: bool = False
    is_service: bool = False

    @property
    def text_x(self) -> int:
        return self.x + 8

    @property
    def text_y(self) -> int:
        return self.y + NODE_HEIGHT // 2 + 5


@dataclass
class GraphEdge:
    x1: int
    y1: int
    x2: int
    y2: int
    label: str


def _label(name: str) -> str:
    return name if len(name) <= LABEL_LENGTH else name[: LABEL_LENGTH - 1] + "…"


def _graph(ci, nodes: list[ImpactNode]) -> dict:
    """Lay CIs out in columns by depth (the start CI alone in the first), each joined to its predecessor."""
    shown = nodes[:GRAPH_LIMIT]
    columns: dict[int, list[ImpactNode]] = {}
    for node in sorted(shown, key=lambda n: (n.depth, not n.is_service, n.ci.name.lower())):
        columns.setdefault(node.depth, []).append(node)
    placed = {ci.pk: GraphNode(ci.pk, _label(ci.name), ci.name, MARGIN, MARGIN, is_start=True)}
    for depth, column in columns.items():
        x = MARGIN + depth * (NODE_WIDTH + COLUMN_GAP)
        for row, node in enumerate(column):
            y = MARGIN + row * (NODE_HEIGHT + ROW_GAP)
            placed[node.ci.pk] = GraphNode(
                node.ci.pk, _label(node.ci.name), node.ci.name, x, y, is_service=node.is_service
            )
    edges = []
    for node in shown:
        child, parent = placed[node.ci.pk], placed.get(node.predecessor_id)
        if parent is not None:
            edges.append(
                GraphEdge(
                    parent.x + NODE_WIDTH,
                    parent.y + NODE_HEIGHT // 2,
                    child.x,
                    child.y + NODE_HEIGHT // 2,
                    node.via[-1],
                )
            )
    rows = max([len(column) for column in columns.values()] or [1])
    return {
        "nodes": list(placed.values()),
        "edges": edges,
        "width": 2 * MARGIN + (max(columns, default=0) + 1) * (NODE_WIDTH + COLUMN_GAP) - COLUMN_GAP,
        "height": 2 * MARGIN + rows * (NODE_HEIGHT + ROW_GAP) - ROW_GAP,
        "node_width": NODE_WIDTH,
        "node_height": NODE_HEIGHT,
        "truncated": len(nodes) > len(shown),
        "limit": GRAPH_LIMIT,
    }


def _tree(ci, nodes: list[ImpactNode]) -> list[dict]:
    """The CIs grouped by depth, each with the names along its path."""
    names = {ci.pk: ci.name, **{node.ci.pk: node.ci.name for node in nodes}}
    levels: dict[int, list[dict]] = {}
    for node in nodes:
        steps = [{"via": via, "name": names[pk]} for via, pk in zip(node.via, node.path[1:], strict=True)]
        levels.setdefault(node.depth, []).append({"node": node, "steps": steps})
    return [{"depth": depth, "items": levels[depth]} for depth in sorted(levels)]


@login_required
def ci_impact_view(request, pk):
    """A CI's impact, up or down to a chosen depth. Agents only: anyone else gets 404.

    A walk stopped at `ITSM_IMPACT_MAX_CIS` shows what it reached and says "more…"."""
    ci = selectors.ci_get_for_user(user=request.user, pk=pk)
    form = ImpactForm(request.GET or None)
    context = {
        "ci": ci,
        "form": form,
        "levels": [],
        "graph": None,
        "count": 0,
        "services": 0,
        "truncated": False,
    }
    if form.is_bound and not form.is_valid():
        return render(request, "cmdb/impact.html", context)
    params = form.cleaned_data if form.is_bound else {"direction": UP, "depth": DEFAULT_DEPTH}
    nodes = ci_impact(ci=ci, direction=params["direction"], max_depth=params["depth"])
    context.update(
        direction=params["direction"],
        depth=params["depth"],
        levels=_tree(ci, nodes),
        graph=_graph(ci, nodes) if nodes else None,
        count=len(nodes),
        services=sum(node.is_service for node in nodes),
        truncated=nodes.truncated,
    )
    return render(request, "cmdb/impact.html", context)
