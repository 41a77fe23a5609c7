"""Releases on the forward schedule: approved and deploying ones by their planned slot, their waves'
windows beneath them, in the month, week and list views, the feed and the API, in constant queries."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from rest_framework.test import APIClient

from changes.services.windows import calendar_feed_renew
from releases import workflow as wf
from releases.models import Release, Wave
from releases.schedule import release_schedule_entries
from releases.services.lifecycle import release_create

from .conftest import planned_wave

pytestmark = pytest.mark.django_db

URL = "/desk/changes/schedule/"
DAY = datetime(2027, 3, 10, 9, tzinfo=UTC)  # a Wednesday


@pytest.fixture
def plan(release_manager):
    def _plan(title, *, status=wf.APPROVED, start=DAY, hours=4, **fields):
        record = release_create(
            actor=release_manager, title=title, release_version="1.0", planned_start=start,
            planned_end=start + timedelta(hours=hours), **fields,
        )  # fmt: skip
        Release.objects.filter(pk=record.pk).update(status=status)
        record.refresh_from_db()
        return record

    return _plan


def others(body: str) -> list[tuple[str, str]]:
    return re.findall(
        r'data-testid="schedule-other" data-kind="release" data-number="([^"]+)"(?: data-parent="([^"]+)")?',
        body,
    )


def windowed(release, position, cis, start, hours=2):
    wave = planned_wave(release, position, cis)
    Wave.objects.filter(pk=wave.pk).update(planned_start=start, planned_end=start + timedelta(hours=hours))
    return wave


def test_approved_and_deploying_releases_and_their_waves_are_on_the_schedule(
    client, agent, plan, app_servers
):
    approved = plan("Approved")
    deploying = plan("Deploying", status=wf.DEPLOYING, start=DAY + timedelta(days=1))
    windowed(deploying, 1, app_servers[:2], DAY + timedelta(days=1))
    windowed(deploying, 2, app_servers[2:], DAY + timedelta(days=2))
    plan("Testing", status=wf.TESTING)
    plan("Closed", status=wf.CLOSED)
    client.force_login(agent)

    body = client.get(URL, {"view": "list", "date": "2027-03-08"}).content.decode()

    assert others(body) == [
        (approved.number, ""), (deploying.number, ""), (deploying.number, deploying.number),
        (deploying.number, deploying.number),
    ]  # fmt: skip
    assert body.count(">Release</span>") == 2
    assert body.count(">Wave</span>") == 2
    week = client.get(URL, {"view": "week", "date": "2027-03-10"}).content.decode()
    assert len(others(week)) == 4


def test_a_wave_in_the_span_shows_though_its_release_is_planned_outside(client, agent, plan, app_servers):
    release = plan("Later", start=DAY + timedelta(days=60))
    windowed(release, 1, app_servers[:1], DAY)
    entries = release_schedule_entries(user=agent, start=DAY - timedelta(days=1), end=DAY + timedelta(days=1))
    assert [(e.kind_label, e.parent, e.url.endswith(f"#wave-{release.waves.get().pk}")) for e in entries] == [
        ("Wave", release.number, True)
    ]


def test_the_schedule_filters_apply_to_releases(client, agent, plan, service, support_group, app_servers):
    on_service = plan("On the shop", services=[service])
    by_group = plan("By the desk", support_group=support_group)
    on_ci = plan("On app-01", target_cis=app_servers[:1])
    client.force_login(agent)

    def shown(**filters):
        body = client.get(URL, {"view": "list", "date": "2027-03-08", **filters}).content.decode()
        return {number for number, _parent in others(body)}

    assert shown(service=service.pk) == {on_service.number}
    assert shown(group=support_group.pk) == {by_group.number}
    assert shown(ci=app_servers[0].pk) == {on_ci.number}
    assert shown(risk="high") == set()


def test_a_requester_sees_only_the_releases_they_raised(client, plan, requester):
    mine = plan("Mine")
    plan("Not mine")
    Release.objects.filter(pk=mine.pk).update(requester=requester)
    entries = release_schedule_entries(
        user=requester, start=DAY - timedelta(days=1), end=DAY + timedelta(days=1)
    )
    assert [e.number for e in entries] == [mine.number]


def test_the_schedule_runs_a_constant_number_of_queries_with_releases(
    client, agent, plan, app_servers, django_assert_max_num_queries
):
    first = plan("First")
    windowed(first, 1, app_servers[:1], DAY)
    client.force_login(agent)
    client.get(URL, {"view": "month", "date": "2027-03-01"})
    connection.queries_log.clear()
    with django_assert_max_num_queries(40) as few:
        client.get(URL, {"view": "month", "date": "2027-03-01"})
    baseline = len(few.captured_queries)
    for n in range(4):
        more = plan(f"More {n}", start=DAY + timedelta(days=n))
        windowed(more, 1, app_servers[n : n + 1], DAY + timedelta(days=n))
        windowed(more, 2, [], DAY + timedelta(days=n, hours=3))
    connection.queries_log.clear()
    with django_assert_max_num_queries(baseline):
        body = client.get(URL, {"view": "month", "date": "2027-03-01"}).content.decode()
    assert len(others(body)) >= 14


def test_the_feed_and_the_api_carry_releases_and_waves(client, agent, plan, app_servers):
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    release = plan("Soon", start=soon)
    windowed(release, 1, app_servers[:1], soon)
    feed = calendar_feed_renew(user=agent)

    body = client.get(f"/feeds/changes/{feed.key}.ics").content.decode().replace("\r\n ", "")

    assert f"UID:{release.number}@testserver" in body
    assert f"SUMMARY:Release: {release.number} Soon 1.0" in body
    assert "CATEGORIES:Wave" in body
    api = APIClient()
    api.force_authenticate(agent)
    start, end = (soon - timedelta(days=1)).isoformat(), (soon + timedelta(days=1)).isoformat()
    answer = api.get("/api/v1/change-schedule/", {"start": start, "end": end})
    assert [(o["kind"], o["kind_label"], o["number"]) for o in answer.json()["others"]] == [
        ("release", "Release", release.number), ("release", "Wave", release.number)
    ]  # fmt: skip
