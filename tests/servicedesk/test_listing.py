"""The kernel's list shapes (`servicedesk.listing`): sorts that end on a unique key and reverse exactly,
header links, and column choices cleaned against the list's own."""

import pytest
from django.http import QueryDict

from servicedesk.listing import Column, Columns, Sorting, SortKey

SORTING = Sorting(
    [
        SortKey("due", "Due", ("due_at", "id"), nulls_last=frozenset({"due_at"})),
        SortKey("updated", "Updated", ("updated_at", "id"), descending_first=True),
    ],
    default="due",
)
COLUMNS = Columns(
    [Column("number", "Number", required=True), Column("title", "Title"), Column("due", "Due", sort="due")],
    default=("number", "title"),
)


def _sql(terms) -> list[str]:
    return [str(term) for term in terms]


@pytest.mark.parametrize(
    ("value", "code", "descending"),
    [("due", "due", False), ("-updated", "updated", True), ("", "due", False), ("-bogus", "due", False)],
)
def test_a_sort_value_is_parsed_or_falls_back_to_the_default(value, code, descending):
    choice = SORTING.parse(value)
    assert choice.key.code == code
    assert choice.descending is descending


def test_descending_is_the_exact_reverse_nulls_included():
    ascending = SORTING.parse("due").order_by()
    descending = SORTING.parse("-due").order_by()
    assert ascending[0].nulls_last
    assert not ascending[0].descending
    assert descending[0].nulls_first
    assert descending[0].descending
    assert [term.descending for term in descending] == [True, True]
    assert [term.expression.name for term in ascending] == ["due_at", "id"]


def test_an_unknown_default_sort_is_refused():
    with pytest.raises(ValueError, match="unknown default sort"):
        Sorting([SortKey("due", "Due", ("due_at", "id"))], default="nope")


def test_headers_flip_the_current_sort_and_start_others_in_their_first_direction():
    params = QueryDict("sort=due&page=3&q=vpn")
    headers = SORTING.headers(SORTING.parse("due"), params)
    assert headers["due"]["aria_sort"] == "ascending"
    assert QueryDict(headers["due"]["query"])["sort"] == "-due"
    assert "page" not in QueryDict(headers["due"]["query"])
    assert QueryDict(headers["due"]["query"])["q"] == "vpn"
    assert headers["updated"]["aria_sort"] is None
    assert QueryDict(headers["updated"]["query"])["sort"] == "-updated"


def test_headers_of_an_unsorted_list_mark_no_column():
    headers = SORTING.headers(None, QueryDict(""))
    assert {header["aria_sort"] for header in headers.values()} == {None}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["number", "title"]),
        ("cols=due&cols=title", ["number", "due", "title"]),
        ("cols=title,due", ["number", "title", "due"]),
        ("cols=due&cols=number", ["due", "number"]),
        ("cols=bogus", ["number", "title"]),
        ("cols=due&cols=due", ["number", "due"]),
    ],
)
def test_columns_are_cleaned_the_required_ones_kept(query, expected):
    assert [column.code for column in COLUMNS.chosen(QueryDict(query))] == expected


def test_the_chooser_lists_the_shown_columns_first_then_the_others():
    shown = COLUMNS.chosen(QueryDict("cols=due"))
    assert [(column.code, on) for column, on in COLUMNS.choices(shown)] == [
        ("number", True),
        ("due", True),
        ("title", False),
    ]
    assert COLUMNS.is_default_codes(["number", "title"])
    assert not COLUMNS.is_default_codes(["number", "due"])
