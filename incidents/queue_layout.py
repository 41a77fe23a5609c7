"""The incident queue's sortable columns and its column choice (the kernel's `servicedesk.listing`).

Each sort is served by an index on every tab (incidents.models `Meta.indexes`): SLA due by the `*_sla_idx`
family, priority by the `*_open_idx` family and `incidents_priority_age_idx`, updated and created by
`incidents_updated_idx` / `incidents_created_idx`, the number by its unique index.
"""

from django.utils.translation import gettext_lazy as _

from servicedesk.listing import Column, Columns, Sorting, SortKey

SLA_FIELDS = ("sla_due_at", "priority", "created_at", "id")

QUEUE_SORTING = Sorting(
    [
        # The queue's order since issue 14 (`selectors.QUEUE_ORDER`): the most urgent SLA first, records
        # without a running clock last.
        SortKey("sla", _("SLA due"), SLA_FIELDS, nulls_last=frozenset({"sla_due_at"})),
        SortKey("priority", _("Priority"), ("priority", "created_at", "id")),
        SortKey("updated", _("Updated"), ("updated_at", "id"), descending_first=True),
        SortKey("created", _("Opened"), ("created_at", "id"), descending_first=True),
        SortKey("number", _("Number"), ("number",)),
    ],
    default="sla",
)

QUEUE_COLUMNS = Columns(
    [
        Column("number", _("Number"), sort="number", required=True),
        Column("priority", _("Priority"), sort="priority"),
        Column("sla", _("SLA"), sort="sla"),
        Column("title", _("Title")),
        Column("status", _("Status")),
        Column("requester", _("Requester")),
        Column("group", _("Group")),
        Column("assignee", _("Assignee")),
        Column("service", _("Service")),
        Column("created", _("Opened"), sort="created"),
        Column("updated", _("Updated"), sort="updated"),
        Column("channel", _("Channel")),
    ],
    default=(
        "number", "priority", "sla", "title", "status", "requester", "group", "assignee", "service",
        "created",
    ),
)  # fmt: skip
