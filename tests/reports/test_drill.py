"""The queue a report row drills into keeps to the reader's scope, or there is no link."""

from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest

from servicedesk.reporting.dimensions import drill_url
from servicedesk.reporting.measures import Scope

pytestmark = pytest.mark.django_db

FROM, BEFORE = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)


def drill(records):
    """The incident queue's drill-down of `records`, through the kernel, which applies the scope."""
    return drill_url(("incident",), records)


def params(url):
    return sorted(parse_qsl(urlsplit(url).query)) if url else None


def test_a_single_group_scope_becomes_the_queues_group_filter():
    url = drill({"scope": Scope(groups=(7,)), "from": FROM, "before": BEFORE, "resolved": True})
    assert ("support_group", "7") in params(url)


def test_a_row_of_one_of_the_readers_groups_needs_no_more():
    records = {
        "scope": Scope(groups=(7,), services=(3,), agent=5),
        "groups": [7],
        "from": FROM,
        "before": BEFORE,
    }
    assert [p for p in params(drill(records)) if p[0] in ("support_group", "service", "assignee")] == [
        ("support_group", "7")
    ]


def test_an_organisations_scope_has_no_link():
    assert drill({"scope": Scope(organisation=4), "from": FROM, "before": BEFORE}) is None


def test_a_scope_the_queue_cannot_say_has_no_link():
    mixed = Scope(groups=(7,), services=(3,), agent=5)
    assert drill({"scope": mixed, "from": FROM, "before": BEFORE}) is None
    # Another group's row: of its records the reader sees those of their service (no record of theirs is
    # assigned to them elsewhere), which the queue can say.
    url = drill({"scope": mixed, "groups": [8], "from": FROM, "before": BEFORE})
    assert [p for p in params(url) if p[0] in ("support_group", "service", "assignee")] == [
        ("service", "3"),
        ("support_group", "8"),
    ]
    # Two of the reader's own limits at once: the queue has no "or".
    assert drill({"scope": Scope(groups=(7,), services=(3,)), "from": FROM, "before": BEFORE}) is None


def test_everything_adds_nothing():
    url = drill({"scope": Scope(everything=True), "from": FROM, "before": BEFORE})
    assert params(url) == [("kind", "incident"), ("view", "all")]
