"""Word search elsewhere than PostgreSQL (SQLite for `make run`): every word in one of the kind's fields,
case-insensitive, `-word` excluded, newest first; the SQL it would run, read without a database."""

from unittest import mock

import pytest

from servicedesk.records import search
from tests.kernelkind.models import Chore


def sql_of(queryset) -> str:
    """The statement from its FROM on (the selected columns name every field)."""
    return str(queryset.query).partition(" FROM ")[2]


def fallback(text):
    with mock.patch.object(search, "connection", mock.Mock(vendor="sqlite")):
        return search.search_records(Chore.objects.all(), text)


def test_the_fallback_asks_every_word_in_one_of_the_fields():
    sql = sql_of(fallback("Printer jams"))
    assert sql.count("LIKE") == 6  # two words, three fields each
    assert "%printer%" in sql.lower()
    assert "%jams%" in sql.lower()
    assert "search_document" not in sql
    assert "to_tsvector" not in sql


def test_the_fallback_excludes_minus_words_and_ignores_or_and_quotes():
    sql = sql_of(fallback('"paper" or -toner'))
    assert "NOT" in sql
    assert "%paper%" in sql.lower()
    assert "%toner%" in sql.lower()
    assert "%or%" not in sql.lower()


def test_the_fallback_orders_newest_first_with_no_rank():
    queryset = fallback("printer")
    assert queryset.query.order_by == ("-pk",)


@pytest.mark.django_db  # the ranked search reads the newest key first (its window's floor)
def test_postgresql_reads_the_document_with_websearch_and_the_title_by_trigram():
    with mock.patch.object(search, "connection", mock.Mock(vendor="postgresql")):
        queryset = search.search_records(Chore.objects.all(), "printer jams")
    assert queryset.query.order_by == ("-search_rank", "-pk")
    where = str(queryset.query.where)
    assert "search_document" in where
    assert "title" in where


@pytest.mark.django_db
def test_the_recent_window_is_bounded_by_a_value_the_planner_sees(chore):
    """As a subquery, the window's floor was a parameter the planner could not see: it guessed a third of
    the table for `id > floor` and scanned all of it (1M records: 270 ms for a Chinese word, not 20)."""
    newest = chore
    with mock.patch.object(search, "connection", mock.Mock(vendor="postgresql")):
        sql = str(search.search_records(Chore.objects.all(), "printer").query)
    assert "max(" not in sql.lower()
    assert f"> {newest.pk - search.RECENT_WINDOW}" in sql


def test_empty_words_leave_the_list_as_it_is():
    queryset = Chore.objects.all()
    assert search.search_records(queryset, "   ") is queryset
