"""The record kernel: what every kind of record worked by people shares (DESIGN.md §3).

A process app declares its model (inheriting `servicedesk.models.Ticket`), its transition table
(`workflow.Workflow`), its policy, and registers a `servicedesk.kinds.RecordKind`; from that it gets the
transition engine (`transitions`), versioned save, comments and files (`services`), links to records of
other kinds by the link types apps register (`links`, `linking`), the reads behind them (`selectors`),
and the pages every kind shares: the record page dispatch (`/records/<number>/`), the jump box,
attachment downloads and the timeline's renderers.
"""
