"""The API's permission contract for records: another requester's record does not exist for you, on every
route; work notes and internal files never reach a requester."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents import services
from incidents.models import Incident
from servicedesk.models import Attachment, TimelineEntry

from ..api.helpers import assert_error
from ..factories import OrganisationFactory, UserFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

# (method, sub-path, body, format): every route that takes a record number.
ROUTES = [
    ("get", "", None, None),
    ("patch", "", {"title": "Mine now"}, "json"),
    ("get", "comments/", None, None),
    ("post", "comments/", {"body": "Hello"}, "json"),
    ("get", "timeline/", None, None),
    ("get", "attachments/", None, None),
    ("post", "attachments/", "files", "multipart"),
    ("get", "attachments/{attachment}/", None, None),
    ("get", "transitions/", None, None),
    ("post", "transitions/", {"to": "cancelled", "reason": "Withdrawn"}, "json"),
    ("post", "parent/", {"parent": None}, "json"),
    ("post", "merge/", {"into": "{mine}"}, "json"),
    ("post", "major/", {"is_major": True}, "json"),
    ("post", "rating/", {"score": 5}, "json"),
]


@pytest.fixture
def theirs(db, other_requester, agent, service):
    """Another requester's resolved record, with a public file."""
    record = services.incident_create(actor=other_requester, title="Their printer", service=service)
    services.incident_attach(record=record, actor=other_requester, uploads=[SimpleUploadedFile("a.png", PNG)])
    services.incident_transition(
        record=record, actor=agent, to="resolved", resolution_code="solved", resolution_notes="Fixed"
    )
    record.refresh_from_db()
    return record


def _call(client, record, route, mine):
    method, suffix, body, fmt = route
    attachment = Attachment.objects.filter(entry__object_id=record.pk).first()
    path = f"/api/v1/incidents/{record.number}/{suffix.format(attachment=attachment.pk)}"
    if body == "files":
        body = {"files": [SimpleUploadedFile("b.png", PNG)]}
    elif isinstance(body, dict):
        body = {
            key: value.format(mine=mine.number) if isinstance(value, str) else value
            for key, value in body.items()
        }
    kwargs = {"format": fmt} if fmt else {}
    return (
        getattr(client, method)(path, body, **kwargs) if body is not None else getattr(client, method)(path)
    )


@pytest.mark.parametrize("route", ROUTES, ids=[f"{m} {p or '/'}" for m, p, _b, _f in ROUTES])
def test_another_requesters_record_answers_404_on_every_route(route, theirs, incident, requester, api_as):
    before = (theirs.version, TimelineEntry.objects.filter(object_id=theirs.pk).count())

    response = _call(api_as(requester), theirs, route, mine=incident)

    assert_error(response, 404, "not_found")
    theirs.refresh_from_db()
    assert (theirs.version, TimelineEntry.objects.filter(object_id=theirs.pk).count()) == before
    assert theirs.status == "resolved"


@pytest.mark.parametrize("route", ROUTES, ids=[f"{m} {p or '/'}" for m, p, _b, _f in ROUTES])
def test_the_same_routes_do_not_answer_404_to_the_records_requester(route, theirs, other_requester, api_as):
    mine = services.incident_create(actor=other_requester, title="Another of mine")

    response = _call(api_as(other_requester), theirs, route, mine=mine)

    assert response.status_code != 404, response.content


def test_another_requesters_record_is_missing_from_lists(theirs, incident, requester, api_as):
    listed = api_as(requester).get("/api/v1/incidents/").json()["results"]

    assert [row["number"] for row in listed] == [incident.number]


def test_an_organisation_that_shares_records_lets_colleagues_read_them(theirs, other_requester, api_as):
    type(other_requester.organisation).objects.filter(pk=other_requester.organisation_id).update(
        shares_records=True
    )
    colleague = UserFactory(roles=["Requester"], organisation=other_requester.organisation)
    colleague = type(colleague).objects.get(pk=colleague.pk)

    assert api_as(colleague).get(f"/api/v1/incidents/{theirs.number}/").status_code == 200
    stranger = UserFactory(roles=["Requester"], organisation=OrganisationFactory())
    assert_error(api_as(stranger).get(f"/api/v1/incidents/{theirs.number}/"), 404)


def test_a_requester_never_sees_work_notes_or_internal_files(incident, agent, requester, api_as):
    services.incident_comment(record=incident, actor=agent, body="Secret note", is_public=False)
    internal = services.incident_attach(
        record=incident, actor=agent, uploads=[SimpleUploadedFile("internal.png", PNG)], is_public=False
    )
    services.incident_comment(record=incident, actor=agent, body="Public reply")
    client = api_as(requester)
    base = f"/api/v1/incidents/{incident.number}/"

    texts = [
        client.get(f"{base}{sub}").content.decode()
        for sub in ("", "comments/", "comments/?is_public=false", "timeline/", "attachments/")
    ]

    assert all("Secret note" not in text and "internal.png" not in text for text in texts)
    assert "Public reply" in texts[1]
    assert client.get(f"{base}comments/", {"is_public": "false"}).json()["results"] == []
    assert_error(client.get(f"{base}attachments/{internal.attachments.get().pk}/"), 404)


def test_agents_see_every_record_and_its_notes(theirs, agent, api_as):
    services.incident_comment(record=theirs, actor=agent, body="Note", is_public=False)
    client = api_as(agent)

    assert client.get(f"/api/v1/incidents/{theirs.number}/").status_code == 200
    assert [
        e["body"] for e in client.get(f"/api/v1/incidents/{theirs.number}/comments/").json()["results"]
    ] == ["Note"]


def test_a_cab_member_reads_but_does_not_work_records(incident, api_as):
    member = UserFactory(roles=["CAB member"])
    client = api_as(member)

    assert client.get(f"/api/v1/incidents/{incident.number}/").status_code == 200
    assert_error(client.patch(f"/api/v1/incidents/{incident.number}/", {"title": "x"}, format="json"), 403)
    response = client.post(
        f"/api/v1/incidents/{incident.number}/transitions/", {"to": "in_progress"}, format="json"
    )
    assert response.status_code in (403, 409)
    assert Incident.objects.get(pk=incident.pk).status == "new"
