"""Migration operations for word search (`servicedesk.records.search`), on PostgreSQL only.

SQLite (`make run`) has neither GIN nor pg_trgm and searches without them, so these operations do nothing
there; they change no model state either (the indexes are the database's business, as a sequence is).
"""

from django.db import migrations

# Overlapping pairs of CJK characters, and each run's last character alone, as words separated by spaces
# (`servicedesk.records.search.cjk_bigrams` in Python). IMMUTABLE: generated columns call it.
CJK_BIGRAMS_SQL = r"""
CREATE OR REPLACE FUNCTION search_cjk_bigrams(doc text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(string_agg(substr(m[1], i, 2), ' '), '')
  FROM regexp_matches(doc, '[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+', 'g') AS m,
       generate_series(1, char_length(m[1])) AS i
$$;
"""


class _PostgresOnly(migrations.operations.base.Operation):
    reversible = True
    reduces_to_sql = True

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            for statement in self.forwards_sql(app_label, to_state, schema_editor):
                schema_editor.execute(statement)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            for statement in self.backwards_sql(app_label, from_state, schema_editor):
                schema_editor.execute(statement)


class CreateSearchFunctions(_PostgresOnly):
    """pg_trgm and the `search_cjk_bigrams` function the search documents use."""

    def forwards_sql(self, app_label, state, schema_editor):
        return ["CREATE EXTENSION IF NOT EXISTS pg_trgm", CJK_BIGRAMS_SQL]

    def backwards_sql(self, app_label, state, schema_editor):
        return ["DROP FUNCTION IF EXISTS search_cjk_bigrams(text)"]

    def describe(self):
        return "Create pg_trgm and the search_cjk_bigrams function (PostgreSQL)"


class AddSearchIndexes(_PostgresOnly):
    """A record model's search indexes: GIN over `search_document`, trigram GIN over its upper-cased
    title (what `icontains` compares)."""

    def __init__(self, model_name: str, trigram_field: str = "title"):
        self.model_name = model_name
        self.trigram_field = trigram_field

    def deconstruct(self):
        return self.__class__.__qualname__, [self.model_name], {"trigram_field": self.trigram_field}

    def _names(self, app_label, state, schema_editor):
        table = state.apps.get_model(app_label, self.model_name)._meta.db_table
        quote = schema_editor.quote_name
        return quote(table), quote(f"{table}_search_gin"), quote(f"{table}_trigram_gin")

    def forwards_sql(self, app_label, state, schema_editor):
        quoted, document_index, trigram_index = self._names(app_label, state, schema_editor)
        column = schema_editor.quote_name(self.trigram_field)
        return [
            f"CREATE INDEX {document_index} ON {quoted} USING gin (search_document)",
            f"CREATE INDEX {trigram_index} ON {quoted} USING gin ((upper({column}::text)) gin_trgm_ops)",
            f"ANALYZE {quoted}",
        ]

    def backwards_sql(self, app_label, state, schema_editor):
        _quoted, document_index, trigram_index = self._names(app_label, state, schema_editor)
        return [f"DROP INDEX IF EXISTS {document_index}", f"DROP INDEX IF EXISTS {trigram_index}"]

    def describe(self):
        return f"Add the search indexes of {self.model_name} (PostgreSQL)"
