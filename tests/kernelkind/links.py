"""The chore's link types: what a kind offers by registering them, proven on chores. `blocks` joins any
number of chores to any number; `part_of` gives a chore at most one whole it is part of."""

from servicedesk.records.links import LinkType, register_link_type

BLOCKS = LinkType(
    code="blocks",
    source_kind="chore",
    target_kind="chore",
    label="Blocks",
    reverse_label="Blocked by",
)
PART_OF = LinkType(
    code="part_of",
    source_kind="chore",
    target_kind="chore",
    label="Part of",
    reverse_label="Parts",
    source_many=False,
)


def register_chore_links() -> None:
    register_link_type(BLOCKS)
    register_link_type(PART_OF)
