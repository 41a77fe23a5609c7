"""Management information's kernel: the facts every kind's records leave, and the registry of measures.

`facts` keeps one `RecordFact` per record, refreshed by a beat task from what changed; `measures` holds
the measures the process apps register in `AppConfig.ready()` and what a report asks of them (`Query`);
`aggregate` has the database-side helpers they share (periods in the reader's time zone, percentiles).
The `reports` app, at the top of the layers, shows them: pages, dashboards, exports and the API.
"""
