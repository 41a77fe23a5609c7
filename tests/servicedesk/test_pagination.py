"""The kernel's capped count: exact up to ITSM_LIST_COUNT_CAP, "N+" past it, and free when one page
holds the whole list (issue 14: no exact COUNT(*) over large sets on hot pages)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from servicedesk.models import SupportGroup
from servicedesk.pagination import CappedPaginator, capped_count, capped_counts, count_display

from ..factories import SupportGroupFactory


@pytest.fixture
def groups(db):
    return [SupportGroupFactory(name=f"Group {n}") for n in range(5)]


def _all():
    return SupportGroup.objects.order_by("name")


def test_below_the_cap_the_count_is_exact(settings, groups):
    settings.ITSM_LIST_COUNT_CAP = 10
    paginator = CappedPaginator(_all(), 2)
    page = paginator.get_page(1)
    assert (paginator.count, paginator.count_is_capped) == (5, False)
    assert paginator.num_pages == 3
    assert paginator.count_display == "5"
    assert page.has_next()
    assert not page.has_previous()


def test_above_the_cap_the_count_stops_at_the_cap(settings, groups):
    settings.ITSM_LIST_COUNT_CAP = 3
    paginator = CappedPaginator(_all(), 2)
    page = paginator.get_page(1)
    assert (paginator.count, paginator.count_is_capped) == (3, True)
    assert paginator.count_display == "3+"
    assert [group.name for group in page] == ["Group 0", "Group 1"]


def test_pages_past_the_cap_stay_reachable(settings, groups):
    settings.ITSM_LIST_COUNT_CAP = 3
    paginator = CappedPaginator(_all(), 2)
    last = paginator.get_page(3)
    assert [group.name for group in last] == ["Group 4"]
    assert last.has_previous()
    assert not last.has_next()
    assert (last.start_index(), last.end_index()) == (5, 5)


def test_a_page_past_the_end_shows_the_last_one(settings, groups):
    settings.ITSM_LIST_COUNT_CAP = 10
    page = CappedPaginator(_all(), 2).get_page(9)
    assert page.number == 3
    assert [group.name for group in page] == ["Group 4"]


def test_a_list_that_fits_one_page_is_counted_without_a_query(settings, groups):
    settings.ITSM_LIST_COUNT_CAP = 3
    paginator = CappedPaginator(_all(), 10)
    with CaptureQueriesContext(connection) as queries:
        page = paginator.get_page(1)
        count = (paginator.count, paginator.count_is_capped)
    assert len(queries) == 1  # the page itself
    assert count == (5, False)  # exact, even past the cap, since it cost nothing
    assert len(page) == 5


def test_a_known_count_costs_no_query(groups):
    paginator = CappedPaginator(_all(), 2, count=5)
    with CaptureQueriesContext(connection) as queries:
        paginator.get_page(1)
        assert paginator.count == 5
    assert len(queries) == 1


def test_the_capped_count_reads_at_most_cap_plus_one_rows(groups):
    with CaptureQueriesContext(connection) as queries:
        assert capped_count(_all(), 2) == (2, True)
        assert capped_count(_all(), 5) == (5, False)
    assert all("LIMIT 3" in q["sql"] or "LIMIT 6" in q["sql"] for q in queries.captured_queries)


def test_several_lists_are_counted_in_one_query_each_up_to_the_cap(groups):
    lists = {
        "all": _all(),
        "some": SupportGroup.objects.filter(name__in=["Group 1", "Group 2"]),
        "none": SupportGroup.objects.none(),
    }
    with CaptureQueriesContext(connection) as queries:
        counts = capped_counts(lists, 3)
    assert counts == {"all": (3, True), "some": (2, False), "none": (0, False)}
    assert len(queries.captured_queries) == 1
    assert queries.captured_queries[0]["sql"].count("LIMIT 4") == 2  # nothing asked of an empty one


def test_no_lists_cost_no_query(db):
    with CaptureQueriesContext(connection) as queries:
        assert capped_counts({}) == {}
    assert queries.captured_queries == []


def test_a_count_reads_as_a_number_or_as_n_plus_past_the_cap():
    assert count_display(1234, False) == "1,234"
    assert count_display(1000, True) == "1,000+"
