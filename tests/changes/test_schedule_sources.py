"""Other sources on the forward schedule: a higher app registers a function giving its entries for a span
and a person, and the month, week and list views, the feed and the API show them beside the changes."""

from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from changes.models import CalendarFeed
from changes.schedule_sources import (
    ScheduleEntry,
    register_schedule_source,
    schedule_entries,
    schedule_sources,
    unregister_schedule_source,
)
from changes.services.windows import calendar_feed_renew

pytestmark = pytest.mark.django_db

DAY = datetime(2027, 3, 10, 9, tzinfo=UTC)  # a Wednesday
SEEN = []


def fake_source(*, user, start, end, service=None, ci=None, group=None):
    """One launch and its rehearsal, for agents only, when the span holds them."""
    SEEN.append({"user": user, "start": start, "end": end, "service": service})
    if not getattr(user, "is_agent", False):
        return []
    entries = [
        ScheduleEntry(kind="launch", kind_label="Launch", number="LCH0000001", title="Rocket, moon; \\go",
                      url="/launches/1/", start=DAY, end=DAY + timedelta(hours=3), status="go",
                      status_label="Go", uid="LCH0000001"),
        ScheduleEntry(kind="launch", kind_label="Rehearsal", number="LCH0000001", title="Dry run",
                      url="/launches/1/#dry", start=DAY - timedelta(days=1), end=DAY - timedelta(hours=20),
                      status="pending", status_label="Pending", uid="LCH0000001-dry", parent="LCH0000001",
                      tentative=True),
    ]  # fmt: skip
    return [e for e in entries if e.start < end and e.end > start]


@pytest.fixture(autouse=True)
def launches():
    saved = schedule_sources()
    for code in saved:
        unregister_schedule_source(code)
    register_schedule_source("launch", fake_source)
    SEEN.clear()
    yield
    unregister_schedule_source("launch")
    for code, source in saved.items():
        register_schedule_source(code, source)


def test_entries_come_earliest_first_and_a_risk_filter_leaves_them_out(agent):
    entries, more = schedule_entries(user=agent, start=DAY - timedelta(days=7), end=DAY + timedelta(days=7),
                                     limit=10)  # fmt: skip
    assert [e.title for e in entries] == ["Dry run", "Rocket, moon; \\go"]
    assert more is False
    assert schedule_entries(user=agent, start=DAY, end=DAY + timedelta(days=1), limit=1)[1] is False
    both, more = schedule_entries(user=agent, start=DAY - timedelta(days=7), end=DAY + timedelta(days=7),
                                  limit=1)  # fmt: skip
    assert (len(both), more) == (1, True)
    assert schedule_entries(user=agent, start=DAY, end=DAY + timedelta(days=1), risk="high", limit=9) == (
        [],
        False,
    )


def test_registering_another_source_under_a_taken_code_is_refused():
    with pytest.raises(ValueError, match="already registered"):
        register_schedule_source("launch", lambda **kwargs: [])
    register_schedule_source("launch", fake_source)  # the same again is a no-op


@pytest.mark.parametrize(("view", "days"), [("month", 35), ("week", 7), ("list", 30)])
def test_the_views_show_the_entries_marked_with_their_kind(client, agent, view, days):
    client.force_login(agent)
    response = client.get("/desk/changes/schedule/", {"view": view, "date": "2027-03-08"})
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('data-testid="schedule-other" data-kind="launch" data-number="LCH0000001"') == 2
    assert ">Launch</span>" in body
    assert ">Rehearsal</span>" in body
    assert 'data-parent="LCH0000001"' in body
    assert 'data-testid="schedule-others-count"' in body


def test_a_source_hears_the_span_and_the_person(client, agent, requester):
    client.force_login(requester)
    body = client.get("/desk/changes/schedule/", {"view": "week", "date": "2027-03-10"}).content.decode()
    assert 'data-testid="schedule-other"' not in body
    assert SEEN[-1]["user"] == requester
    assert SEEN[-1]["start"].date().isoformat() == "2027-03-08"


def test_the_feed_carries_the_entries_as_events_of_their_kind(client, agent):
    feed = calendar_feed_renew(user=agent)
    key = CalendarFeed.objects.get(pk=feed.pk).key
    global DAY
    saved, DAY = DAY, datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    try:
        body = client.get(f"/feeds/changes/{key}.ics").content.decode()
    finally:
        DAY = saved
    unfolded = body.replace("\r\n ", "")
    assert "UID:LCH0000001@testserver" in unfolded
    assert "SUMMARY:Launch: LCH0000001 Rocket\\, moon\\; \\\\go" in unfolded
    assert "CATEGORIES:Rehearsal" in unfolded
    assert "STATUS:TENTATIVE" in unfolded
    assert "URL:http://testserver/launches/1/" in unfolded


def test_the_api_lists_the_entries_under_others(agent):
    api = APIClient()
    api.force_authenticate(agent)
    answer = api.get(
        "/api/v1/change-schedule/", {"start": "2027-03-01T00:00:00Z", "end": "2027-04-01T00:00:00Z"}
    )
    assert answer.status_code == 200
    others = answer.json()["others"]
    assert [(o["kind_label"], o["number"], o["parent"], o["tentative"]) for o in others] == [
        ("Rehearsal", "LCH0000001", "LCH0000001", True),
        ("Launch", "LCH0000001", "", False),
    ]
    assert others[1]["url"] == "/launches/1/"
