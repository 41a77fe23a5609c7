from servicedesk.configmemo import config_memo
from servicedesk.models import PriorityRule

# DESIGN.md §4; used when a cell is missing from the editable matrix.
DEFAULT_MATRIX = {
    (1, 1): 1, (1, 2): 2, (1, 3): 3,
    (2, 1): 2, (2, 2): 3, (2, 3): 4,
    (3, 1): 3, (3, 2): 4, (3, 3): 5,
}  # fmt: skip


def priority_for(*, impact: int, urgency: int) -> int:
    """The priority (1-5) the matrix gives for impact x urgency; the design's default for a missing cell."""
    matrix = config_memo("priority.matrix", priority_matrix)  # read once per process until an edit
    return matrix.get((impact, urgency)) or DEFAULT_MATRIX[(impact, urgency)]


def priority_matrix() -> dict[tuple[int, int], int]:
    """Every cell of the matrix, (impact, urgency) -> priority: the configured ones, the default elsewhere."""
    configured = {(rule.impact, rule.urgency): rule.priority for rule in PriorityRule.objects.all()}
    return {cell: configured.get(cell, default) for cell, default in DEFAULT_MATRIX.items()}
