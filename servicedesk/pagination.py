"""Pages of long lists without counting all of them: the kernel's paginator for pages and the API.

An exact `COUNT(*)` over a million visible records reads every one of them on each request, although
nobody reads past the first pages of a queue. A list therefore knows its size exactly up to
`ITSM_LIST_COUNT_CAP` (1,000 by default) and says "1,000+" above it: the count runs over a subquery
limited to cap + 1 rows, whose cost is bounded by the cap, not by the table. When the page being shown
holds the end of the list, its count is exact and costs no query at all.

Pages past the cap stay reachable: whether there is a next page is answered by reading one row more
than the page shows, not by the count. The API's pagination (`servicedesk.api.pagination`) uses the
same count.
"""

import math

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.core.paginator import InvalidPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

DEFAULT_COUNT_CAP = 1000


def count_cap() -> int:
    """How many records a list counts exactly (setting `ITSM_LIST_COUNT_CAP`)."""
    return getattr(settings, "ITSM_LIST_COUNT_CAP", DEFAULT_COUNT_CAP)


def capped_count(queryset, cap: int | None = None) -> tuple[int, bool]:
    """`(count, is_capped)`: the exact number of rows up to `cap`, else `(cap, True)`, in one query over
    at most cap + 1 rows (`SELECT COUNT(*) FROM (SELECT … LIMIT cap + 1)`)."""
    cap = count_cap() if cap is None else cap
    counted = queryset.order_by()[: cap + 1].count()
    return (cap, True) if counted > cap else (counted, False)


def capped_counts(querysets: dict[str, QuerySet], cap: int | None = None) -> dict[str, tuple[int, bool]]:
    """`capped_count` of several lists (a queue's tabs) in one query: each counted over at most cap + 1
    of its rows (`SELECT (SELECT COUNT(*) FROM (… LIMIT cap + 1)), (…)`), so the cost of the whole grows
    with the cap and the number of lists, never with the table."""
    cap = count_cap() if cap is None else cap
    if not querysets:
        return {}
    parts, params, using = {}, [], None
    for name, queryset in querysets.items():
        limited = queryset.order_by().values("pk")[: cap + 1]
        try:
            sql, part_params = limited.query.get_compiler(using=limited.db).as_sql()
        except EmptyResultSet:
            continue  # `.none()`, or a filter that can match nothing: zero, without asking
        using = limited.db
        # Django's own compiled SQL, its values kept apart as parameters.
        parts[name] = f"(SELECT COUNT(*) FROM ({sql}) AS counted)"  # noqa: S608
        params.extend(part_params)
    counted = dict.fromkeys(querysets, 0)
    if parts:
        with connections[using].cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(parts.values())}", params)
            counted.update(zip(parts, cursor.fetchone(), strict=True))
    return {name: (cap, True) if count > cap else (count, False) for name, count in counted.items()}


def count_display(count: int, is_capped: bool) -> str:
    """A count as a list shows it: "42", or "1,000+" past the cap."""
    from django.contrib.humanize.templatetags.humanize import intcomma

    if is_capped:
        return _("%(count)s+") % {"count": intcomma(count)}
    return intcomma(count)


class CappedPage(Page):
    """A page that knows whether another follows from the row it read past its end."""

    def __init__(self, object_list, number, paginator, *, has_more: bool):
        super().__init__(object_list, number, paginator)
        self.has_more = has_more

    def has_next(self):
        return self.has_more

    def end_index(self):
        if not self.object_list:
            return 0
        return (self.number - 1) * self.paginator.per_page + len(self.object_list)


class CappedPaginator(Paginator):
    """Django's paginator with a capped count (see the module): `count` is exact up to the cap, and
    `count_is_capped` says when the list has more. A page reads `per_page + 1` rows, so "Next" needs no
    count; the last page's count is free. Templates show `count_display` ("1,000+")."""

    def __init__(self, object_list, per_page, *, cap: int | None = None, count: int | None = None, **kwargs):
        """`count`: the list's exact size when the caller already has it (no count query then)."""
        super().__init__(object_list, per_page, **kwargs)
        self.cap = count_cap() if cap is None else cap
        self._counted: tuple[int, bool] | None = None if count is None else (count, False)

    def _count(self) -> tuple[int, bool]:
        if self._counted is None:
            self._counted = capped_count(self.object_list, self.cap)
        return self._counted

    @cached_property
    def count(self):
        return self._count()[0]

    @property
    def count_is_capped(self) -> bool:
        return self._count()[1]

    @property
    def count_display(self) -> str:
        """The count as a list shows it: "42", or "1,000+" past the cap."""
        return count_display(self.count, self.count_is_capped)

    @cached_property
    def num_pages(self):
        """The pages known: all of them when counted exactly, those up to the cap otherwise."""
        return max(1, math.ceil(self.count / self.per_page))

    def validate_number(self, number):
        """A whole number from 1; no upper bound past the cap (the page itself tells if it is empty)."""
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(_("That page number is not an integer")) from None
        if number < 1:
            raise InvalidPage(_("That page number is less than 1"))
        if self._counted is not None and not self.count_is_capped and number > self.num_pages:
            raise InvalidPage(_("That page contains no results"))
        return number

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        has_more = len(rows) > self.per_page
        rows = rows[: self.per_page]
        if not has_more and (rows or number == 1) and self._counted is None:
            # This page holds the end of the list: its size is known without a query.
            self._counted = (bottom + len(rows), False)
        if not rows and number > 1:
            raise InvalidPage(_("That page contains no results"))
        return CappedPage(rows, number, self, has_more=has_more)

    def get_page(self, number):
        """The page `number`, the first for a malformed one, the last known for one past the end."""
        try:
            number = self.validate_number(number)
        except PageNotAnInteger:
            number = 1
        except InvalidPage:
            number = self.num_pages
        try:
            return self.page(number)
        except InvalidPage:
            return self.page(self.num_pages)
