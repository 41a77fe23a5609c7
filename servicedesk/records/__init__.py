"""The record kernel: what every kind of record worked by people shares (DESIGN.md §3).

A process app declares its model (inheriting `servicedesk.models.Ticket`), its transition table
(`workflow.Workflow`), its policy, and registers a `servicedesk.kinds.RecordKind`; from that it gets the
transition engine (`transitions`), versioned save and field-change records (`services`).
"""
