"""`manage.py bench`: the product's benchmark (issue 14).

`data` fills (or reuses) a PostgreSQL database named `*bench`, `server` starts gunicorn with the production
settings on it, `load` drives HTTP operations at fixed concurrency (a stdlib load generator: no timing of
an error), `operations` says what each operation asks, and `report` turns the figures into a JSON file, a
Markdown table and a comparison of two runs.
"""
