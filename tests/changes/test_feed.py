"""The schedule's iCalendar feed: authorised by its key alone, showing what the key's owner may see, in
RFC 5545's format (CRLF, folding at 75 octets, escaping, UTC times)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from changes import workflow as wf
from changes.ics import escape_text, fold
from changes.models import CalendarFeed, Change
from changes.services import change_create
from changes.services.windows import calendar_feed_renew

pytestmark = pytest.mark.django_db


@pytest.fixture
def soon():
    return (timezone.now() + timedelta(days=3)).replace(microsecond=0)


@pytest.fixture
def scheduled(agent, soon):
    def _make(title, *, requester=None, status=wf.SCHEDULED, risk="high"):
        record = change_create(
            actor=agent, title=title, planned_start=soon, planned_end=soon + timedelta(hours=2)
        )
        Change.objects.filter(pk=record.pk).update(
            status=status, risk_level=risk, requester=requester or agent
        )
        record.refresh_from_db()
        return record

    return _make


def unfold(body: str) -> list[str]:
    """The content lines of an iCalendar body, unfolded, checking every physical line on the way."""
    assert body.endswith("\r\n")
    physical = body[:-2].split("\r\n")
    assert all("\n" not in line and "\r" not in line for line in physical)
    assert all(len(line.encode()) <= 75 for line in physical)
    lines = []
    for line in physical:
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


def events(lines: list[str]) -> list[dict]:
    found, current = [], None
    for line in lines:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            found.append(current)
            current = None
        elif current is not None:
            name, value = line.split(":", 1)
            current[name] = value
    return found


def test_the_feed_answers_icalendar_of_the_keys_owner(client, agent, scheduled, soon):
    record = scheduled("Patch, the; database\\now")
    feed = calendar_feed_renew(user=agent)

    response = client.get(f"/feeds/changes/{feed.key}.ics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    lines = unfold(response.content.decode())
    assert lines[:2] == ["BEGIN:VCALENDAR", "VERSION:2.0"]
    assert lines[-1] == "END:VCALENDAR"
    assert any(line.startswith("PRODID:") for line in lines)
    (event,) = events(lines)
    assert event["UID"] == f"{record.number}@testserver"
    assert event["DTSTART"] == soon.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert event["DTEND"] == (soon + timedelta(hours=2)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert event["DTSTAMP"].endswith("Z")
    assert event["SUMMARY"] == f"{record.number} Patch\\, the\\; database\\\\now"
    assert event["URL"] == f"http://testserver/records/{record.number}/"
    assert event["STATUS"] == "CONFIRMED"
    assert event["CATEGORIES"] == "High"
    feed.refresh_from_db()
    assert feed.last_used_at is not None


def test_an_approved_change_is_tentative_and_unplanned_ones_are_left_out(client, agent, scheduled):
    approved = scheduled("Approved", status=wf.APPROVED)
    scheduled("Draft", status=wf.DRAFT)
    feed = calendar_feed_renew(user=agent)
    (event,) = events(unfold(client.get(f"/feeds/changes/{feed.key}.ics").content.decode()))
    assert (event["UID"].split("@")[0], event["STATUS"]) == (approved.number, "TENTATIVE")


def test_a_requesters_feed_shows_only_the_changes_they_requested(client, requester, scheduled):
    mine = scheduled("Mine", requester=requester)
    scheduled("Not mine")
    feed = calendar_feed_renew(user=requester)
    found = events(unfold(client.get(f"/feeds/changes/{feed.key}.ics").content.decode()))
    assert [event["UID"].split("@")[0] for event in found] == [mine.number]


def test_an_unknown_or_replaced_key_or_an_inactive_owner_is_not_found(client, agent):
    assert client.get("/feeds/changes/nope.ics").status_code == 404
    old = calendar_feed_renew(user=agent).key
    new = calendar_feed_renew(user=agent).key
    assert client.get(f"/feeds/changes/{old}.ics").status_code == 404
    assert client.get(f"/feeds/changes/{new}.ics").status_code == 200
    agent.is_active = False
    agent.save()
    assert client.get(f"/feeds/changes/{new}.ics").status_code == 404
    assert CalendarFeed.objects.count() == 1


def test_a_long_line_folds_at_75_octets_without_splitting_a_character():
    line = "SUMMARY:" + "变更管理" * 30
    folded = fold(line)
    parts = folded.split("\r\n")
    assert len(parts) > 1
    assert all(len(part.encode()) <= 75 for part in parts)
    assert all(part.startswith(" ") for part in parts[1:])
    assert "".join([parts[0], *(part[1:] for part in parts[1:])]) == line
    assert fold("SHORT:x") == "SHORT:x"


def test_text_is_escaped():
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


def test_the_feed_folds_a_long_title(client, agent, scheduled):
    record = scheduled(("A very long title " * 10).strip())
    feed = calendar_feed_renew(user=agent)
    body = client.get(f"/feeds/changes/{feed.key}.ics").content.decode()
    assert "\r\n " in body
    (event,) = events(unfold(body))
    assert event["SUMMARY"] == f"{record.number} {record.title}"


def test_a_change_long_past_is_left_out(client, agent):
    past = datetime(2020, 1, 1, tzinfo=UTC)
    record = change_create(
        actor=agent, title="Old", planned_start=past, planned_end=past + timedelta(hours=1)
    )
    Change.objects.filter(pk=record.pk).update(status=wf.SCHEDULED)
    feed = calendar_feed_renew(user=agent)
    assert events(unfold(client.get(f"/feeds/changes/{feed.key}.ics").content.decode())) == []
