"""What a list of records lets a person choose about its shape: the order (sortable column headers) and
the columns shown, in which order. Any kind's list declares its `Sorting` and `Columns`; the query string
carries the choice (`sort=-updated`, `cols=number&cols=title…`) and a saved view keeps it.

Every sort ends on a unique key, so an OFFSET page (`servicedesk.pagination`) never repeats or skips a
row between two pages; a descending sort is the exact reverse of its ascending one (each key, its NULLS
placement included), so one b-tree index, read backwards, serves both directions.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import F, OrderBy
from django.http import QueryDict

SORT_PARAM = "sort"
COLUMNS_PARAM = "cols"


@dataclass(frozen=True)
class SortKey:
    """One sortable column: `code` in the query string, `fields` its ascending ORDER BY (ending on a unique
    key), `descending_first`: the first click sorts newest / highest first (dates)."""

    code: str
    label: str
    fields: tuple[str, ...]
    descending_first: bool = False
    nulls_last: frozenset[str] = field(default_factory=frozenset)

    def order_by(self, *, descending: bool) -> list[OrderBy]:
        """The ORDER BY: ascending, or its exact reverse (a field kept NULLS LAST ascending is NULLS
        FIRST descending, as an index read backwards gives it)."""
        terms = []
        for name in self.fields:
            if name in self.nulls_last:
                if descending:
                    terms.append(F(name).desc(nulls_first=True))
                else:
                    terms.append(F(name).asc(nulls_last=True))
            else:
                terms.append(F(name).desc() if descending else F(name).asc())
        return terms


@dataclass(frozen=True)
class SortChoice:
    key: SortKey
    descending: bool

    @property
    def value(self) -> str:
        return f"-{self.key.code}" if self.descending else self.key.code

    def order_by(self) -> list[OrderBy]:
        return self.key.order_by(descending=self.descending)


class Sorting:
    """The sorts a list offers, and its default (`default`, a `sort` value such as "sla" or "-updated")."""

    def __init__(self, keys: Iterable[SortKey], *, default: str):
        self.keys = {key.code: key for key in keys}
        if default.lstrip("-") not in self.keys:
            raise ValueError(f"unknown default sort {default!r}")
        self.default = default

    def parse(self, value: str | None) -> SortChoice:
        """The sort asked for by `value` ("updated", "-updated"); the default for an unknown one."""
        value = (value or "").strip()
        descending = value.startswith("-")
        key = self.keys.get(value.lstrip("-"))
        if key is None:
            value = self.default
            descending = value.startswith("-")
            key = self.keys[value.lstrip("-")]
        return SortChoice(key, descending)

    def headers(self, current: SortChoice | None, params: QueryDict) -> dict[str, dict]:
        """For each sortable column: the query string its header links to (the other direction when it is
        the current sort, else its first direction; back to page 1), and `aria-sort` when current.
        `current` None: the list is in no column's order (search results by relevance)."""
        headers = {}
        for code, key in self.keys.items():
            if current is not None and key is current.key:
                descending = not current.descending
                aria = "descending" if current.descending else "ascending"
            else:
                descending, aria = key.descending_first, None
            query = params.copy()
            query.pop("page", None)
            query[SORT_PARAM] = f"-{code}" if descending else code
            headers[code] = {"query": query.urlencode(), "aria_sort": aria, "next_descending": descending}
        return headers


@dataclass(frozen=True)
class Column:
    code: str
    label: str
    sort: str | None = None  # the `SortKey` code its header sorts by
    required: bool = False  # always shown (the record's number: the link the keyboard opens)


class Columns:
    """The columns a list can show and those it shows by default, in order."""

    def __init__(self, columns: Iterable[Column], *, default: Sequence[str]):
        self.all = {column.code: column for column in columns}
        unknown = [code for code in default if code not in self.all]
        if unknown:
            raise ValueError(f"unknown default columns {unknown}")
        self.default = tuple(default)

    def clean(self, codes: Iterable[str]) -> list[str]:
        """`codes` less unknown and repeated ones, the required columns added first where missing; the
        default for none at all."""
        chosen = []
        for code in codes:
            if code in self.all and code not in chosen:
                chosen.append(code)
        if not chosen:
            return list(self.default)
        missing = [code for code, column in self.all.items() if column.required and code not in chosen]
        return missing + chosen

    def chosen(self, params: QueryDict) -> list[Column]:
        """The columns `params` asks for (`cols`, repeated or comma-separated), else the default."""
        codes = [code for value in params.getlist(COLUMNS_PARAM) for code in value.split(",") if code]
        return [self.all[code] for code in self.clean(codes)]

    def choices(self, shown: Sequence[Column]) -> list[tuple[Column, bool]]:
        """Every column for a chooser: the shown ones first, in their order, then the others."""
        shown_codes = [column.code for column in shown]
        rest = [column for code, column in self.all.items() if code not in shown_codes]
        return [(column, True) for column in shown] + [(column, False) for column in rest]

    def is_default_codes(self, codes: Sequence[str]) -> bool:
        return tuple(codes) == self.default
