"""ETag, If-Match and If-None-Match on records."""

from types import SimpleNamespace

import pytest
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory

from incidents import services
from incidents.models import Incident
from servicedesk.api.conditional import entity_tag, expected_version, not_modified, with_etag
from servicedesk.errors import StaleWrite
from servicedesk.models import TimelineEntry

from .helpers import assert_error, version_tag

RECORD = SimpleNamespace(pk=7, version=3, etag='"7-3"', concurrency_field="version")


def _request(**headers):
    return Request(APIRequestFactory().get("/", **{f"HTTP_{k}": v for k, v in headers.items()}))


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("*", None),
        (" * ", None),
        ('"7-3"', 3),
        ('"7-3-0123456789abcdef"', 3),
        ('"7-3-another-digest"', 3),
        ('W/"7-3"', 3),
        ('w/ "7-3"', 3),
        ('"7-2", "7-3"', 3),
        ('"1-1",W/"7-3-00"', 3),
    ],
)
def test_if_match_gives_the_version_to_write_against(header, expected):
    request = _request(IF_MATCH=header) if header is not None else _request()

    assert expected_version(request, RECORD) == expected


@pytest.mark.parametrize(
    "header", ['"7-2"', "7-3", '"8-3"', "", '"7-3', "garbage", '"7-2", "8-3"', '"7-2-ff"', '"77-3"', '"7"']
)
def test_if_match_that_names_another_state_is_a_stale_write(header):
    with pytest.raises(StaleWrite):
        expected_version(_request(IF_MATCH=header), RECORD)


def _answer(data):
    return with_etag(Response(data), RECORD)


def test_the_etag_names_the_version_and_what_the_answer_shows():
    tag = _answer({"sla": [{"remaining_seconds": 60}]})["ETag"]

    assert tag.startswith('"7-3-')
    assert tag.endswith('"')
    assert tag == entity_tag(RECORD, {"sla": [{"remaining_seconds": 60}]})
    assert tag != _answer({"sla": [{"remaining_seconds": 59}]})["ETag"]


@pytest.mark.parametrize("form", ["{tag}", "W/{tag}", '"1-1", {tag}', "*"])
def test_if_none_match_on_the_current_answer_answers_304(form):
    answer = _answer({"title": "x"})
    header = form.format(tag=answer["ETag"])

    response = not_modified(_request(IF_NONE_MATCH=header), answer)

    assert response.status_code == 304
    assert response["ETag"] == answer["ETag"]
    assert not response.data


@pytest.mark.parametrize("header", [None, '"7-3"', '"7-2"', "", "junk"])
def test_if_none_match_on_another_answer_answers_it(header):
    answer = _answer({"title": "x"})
    request = _request(IF_NONE_MATCH=header) if header is not None else _request()

    assert not_modified(request, answer) is answer


@pytest.fixture
def record(db, requester):
    return services.incident_create(actor=requester, title="Printer on fire")


def detail(record):
    return f"/api/v1/incidents/{record.number}/"


def test_a_stale_if_match_on_patch_answers_412_and_changes_nothing(record, agent, api_as):
    client = api_as(agent)
    etag = client.get(detail(record))["ETag"]
    services.incident_update(record=record, actor=agent, title="Renamed by a colleague")
    record.refresh_from_db()
    entries = TimelineEntry.objects.count()

    response = client.patch(
        detail(record), {"title": "Mine", "assignee": agent.pk}, format="json", HTTP_IF_MATCH=etag
    )

    assert response.status_code == 412
    assert response.json()["code"] == "stale_write"
    assert response.json()["current_version"] == record.version
    fresh = Incident.objects.get(pk=record.pk)
    assert (fresh.title, fresh.assignee, fresh.version) == ("Renamed by a colleague", None, record.version)
    assert TimelineEntry.objects.count() == entries


def test_a_current_if_match_writes_and_answers_the_new_etag(record, agent, api_as):
    client = api_as(agent)
    etag = client.get(detail(record))["ETag"]

    response = client.patch(detail(record), {"title": "Mine"}, format="json", HTTP_IF_MATCH=f"W/{etag}")

    assert response.status_code == 200, response.content
    record.refresh_from_db()
    assert response["ETag"] != etag
    assert version_tag(response) == record.etag
    assert record.title == "Mine"


def test_a_patch_without_if_match_writes_unconditionally(record, agent, api_as):
    response = api_as(agent).patch(detail(record), {"title": "Mine"}, format="json")

    assert response.status_code == 200


def test_if_none_match_answers_304_until_the_record_changes(record, agent, api_as):
    client = api_as(agent)
    etag = client.get(detail(record))["ETag"]

    unchanged = client.get(detail(record), HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged["ETag"] == etag

    services.incident_comment(record=record, actor=agent, body="Looking")
    changed = client.get(detail(record), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_every_write_moves_the_etag_on(record, agent, api_as):
    client = api_as(agent)
    seen = {client.get(detail(record))["ETag"]}

    seen.add(client.patch(detail(record), {"urgency": 1}, format="json")["ETag"])
    seen.add(client.post(f"{detail(record)}transitions/", {"to": "in_progress"}, format="json")["ETag"])
    client.post(f"{detail(record)}comments/", {"body": "x"}, format="json")
    seen.add(client.get(detail(record))["ETag"])

    assert len(seen) == 4


def test_a_stale_if_match_on_a_transition_answers_412(record, agent, api_as):
    response = api_as(agent).post(
        f"{detail(record)}transitions/",
        {"to": "in_progress"},
        format="json",
        HTTP_IF_MATCH=f'"{record.pk}-99"',
    )

    assert response.status_code == 412
    assert Incident.objects.get(pk=record.pk).status == "new"


def test_the_stale_answer_keeps_the_error_shape(record, agent, api_as):
    response = api_as(agent).patch(detail(record), {"title": "x"}, format="json", HTTP_IF_MATCH='"0-0"')

    body = response.json()
    assert response.status_code == 412
    assert {"code", "message", "fields"} <= set(body)
    assert body["message"]
    assert_error(api_as(agent).get(f"/api/v1/incidents/{record.number}x/"), 404)
