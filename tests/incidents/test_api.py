"""The incident and request API: create, read, update, transitions, conversation, links, filters."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import services
from incidents.models import Incident
from servicedesk.models import TimelineEntry
from servicedesk.services.tokens import api_token_create

from ..api.helpers import assert_error, version_tag
from ..factories import SupportGroupFactory, UserFactory
from .factories import BusinessServiceFactory, CategoryFactory, IncidentFactory, RequestFactory

INCIDENTS = "/api/v1/incidents/"
REQUESTS = "/api/v1/requests/"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


def url(record, suffix="") -> str:
    base = REQUESTS if record.kind == "request" else INCIDENTS
    return f"{base}{record.number}/{suffix}"


def png(name="screen.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def numbers(response) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    return [row["number"] for row in response.json()["results"]]


# Create


def test_requester_files_an_incident_for_themself_through_the_api(requester, service, support_group, api_as):
    response = api_as(requester).post(
        INCIDENTS,
        {"title": "VPN drops", "description": "Every **hour**.", "service": service.pk, "urgency": 1},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    record = Incident.objects.get(number=body["number"])
    assert body["number"].startswith("INC")
    assert body["kind"] == "incident"
    assert body["channel"] == "api"
    assert body["requester"]["id"] == requester.pk
    assert body["support_group"] == {"id": support_group.pk, "name": support_group.name}
    assert body["service"] == {"id": service.pk, "name": service.name}
    assert body["description_html"] == "<p>Every <strong>hour</strong>.</p>\n"
    assert body["status"] == "new"
    assert body["priority"] == 3
    assert response["Location"] == f"{INCIDENTS}{record.number}/"
    assert version_tag(response) == record.etag
    assert record.created_by == requester


def test_requester_asks_for_a_catalogue_item_through_the_api(requester, request_type, service, api_as):
    response = api_as(requester).post(
        REQUESTS, {"title": "A mailbox", "request_type": request_type.pk}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("REQ")
    assert body["kind"] == "request"
    assert body["request_type"] == {"id": request_type.pk, "name": request_type.name}
    assert body["service"]["id"] == service.pk
    assert response["Location"] == f"{REQUESTS}{body['number']}/"


def test_a_request_needs_its_request_type(requester, api_as):
    response = api_as(requester).post(REQUESTS, {"title": "Something"}, format="json")

    body = assert_error(response, 400, "validation_error")
    assert "request_type" in body["fields"]
    assert not Incident.objects.exists()


def test_an_incident_takes_no_request_type_field(requester, request_type, api_as):
    response = api_as(requester).post(
        INCIDENTS, {"title": "Broken", "request_type": request_type.pk}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["request_type"] is None


@pytest.mark.parametrize(
    "field", ["requester", "channel", "impact", "support_group", "assignee", "affected_cis"]
)
def test_only_agents_set_the_routing_fields_on_create(
    field, requester, agent, support_group, service, api_as
):
    values = {
        "requester": agent.pk,
        "channel": "phone",
        "impact": 1,
        "support_group": support_group.pk,
        "assignee": agent.pk,
        "affected_cis": [service.pk],
    }

    response = api_as(requester).post(INCIDENTS, {"title": "x", field: values[field]}, format="json")

    assert_error(response, 403, "permission_denied")
    assert not Incident.objects.exists()


def test_agent_files_for_a_caller_with_group_assignee_and_cis(
    agent, requester, support_group, service, api_as
):
    server = BusinessServiceFactory(name="Mail server")

    response = api_as(agent).post(
        INCIDENTS,
        {
            "title": "Mail is down",
            "requester": requester.pk,
            "channel": "phone",
            "impact": 1,
            "urgency": 1,
            "support_group": support_group.pk,
            "assignee": agent.pk,
            "affected_cis": [server.pk],
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["requester"]["id"] == requester.pk
    assert body["channel"] == "phone"
    assert body["priority"] == 1
    assert body["status"] == "assigned"
    assert body["assignee"]["id"] == agent.pk
    assert body["affected_cis"] == [{"id": server.pk, "name": "Mail server"}]


def test_agent_create_defaults_to_the_api_channel_even_for_a_caller(agent, requester, api_as):
    response = api_as(agent).post(INCIDENTS, {"title": "x", "requester": requester.pk}, format="json")

    assert response.json()["channel"] == "api"


# Read


@pytest.mark.parametrize("spelling", ["{n}", "{lower}", "inc{value}", "INC00{value}", " {n}"])
def test_record_is_found_by_its_number_in_any_case_and_padding(spelling, incident, requester, api_as):
    value = int(incident.number[3:])
    path = spelling.format(n=incident.number, lower=incident.number.lower(), value=value).strip()

    response = api_as(requester).get(f"{INCIDENTS}{path}/")

    assert response.status_code == 200, response.content
    assert response.json()["number"] == incident.number


def test_a_number_of_the_other_kind_answers_404(incident, service_request, agent, api_as):
    client = api_as(agent)

    assert_error(client.get(f"{INCIDENTS}{service_request.number}/"), 404, "not_found")
    assert_error(client.get(f"{REQUESTS}{incident.number}/"), 404, "not_found")
    assert_error(client.get(f"{INCIDENTS}PRB0000001/"), 404, "not_found")
    assert_error(client.get(f"{INCIDENTS}nonsense/"), 404, "not_found")
    assert client.get(f"{REQUESTS}{service_request.number}/").status_code == 200


def test_detail_carries_the_etag_and_the_callers_transitions(incident, agent, requester, api_as):
    as_agent = api_as(agent).get(url(incident))

    assert as_agent.status_code == 200
    assert version_tag(as_agent) == f'"{incident.pk}-{incident.version}"'
    assert {t["to"] for t in as_agent.json()["allowed_transitions"]} == {
        "assigned",
        "in_progress",
        "resolved",
        "cancelled",
    }
    as_requester = api_as(requester).get(url(incident)).json()
    assert [t["to"] for t in as_requester["allowed_transitions"]] == ["cancelled"]


def test_list_rows_leave_out_the_detail_fields(incident, agent, api_as):
    row = api_as(agent).get(INCIDENTS).json()["results"][0]

    assert row["number"] == incident.number
    assert "allowed_transitions" not in row
    assert "description" not in row


def test_lists_hold_only_their_kind(incident, service_request, agent, api_as):
    client = api_as(agent)

    assert numbers(client.get(INCIDENTS)) == [incident.number]
    assert numbers(client.get(REQUESTS)) == [service_request.number]


# Update


def test_agent_changes_fields_and_routing_in_one_patch(incident, agent, support_group, api_as):
    category = CategoryFactory(name="Network")

    response = api_as(agent).patch(
        url(incident),
        {"title": "VPN down", "impact": 1, "urgency": 1, "category": category.pk, "assignee": agent.pk},
        format="json",
        HTTP_IF_MATCH=incident.etag,
    )

    assert response.status_code == 200, response.content
    incident.refresh_from_db()
    assert incident.title == "VPN down"
    assert incident.priority == 1
    assert incident.category == category
    assert incident.assignee == agent
    assert incident.status == "assigned"
    assert version_tag(response) == incident.etag
    assert response.json()["version"] == incident.version


def test_patch_moves_the_record_to_another_group(incident, agent, group_manager, api_as):
    second_line = SupportGroupFactory(name="Second line", members=[group_manager])

    response = api_as(agent).patch(
        url(incident), {"support_group": second_line.pk, "assignee": group_manager.pk}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["support_group"]["id"] == second_line.pk
    assert response.json()["assignee"]["id"] == group_manager.pk


def test_a_failed_routing_change_rolls_back_the_field_changes(incident, agent, requester, api_as):
    response = api_as(agent).patch(
        url(incident), {"title": "Changed", "assignee": requester.pk}, format="json"
    )

    assert_error(response, 400, "validation_error")
    incident.refresh_from_db()
    assert incident.title == "Outlook does not start"


def test_requester_may_not_patch_their_own_record(incident, requester, api_as):
    response = api_as(requester).patch(url(incident), {"title": "Mine"}, format="json")

    assert_error(response, 403, "permission_denied")


@pytest.mark.parametrize("method", ["put", "delete"])
def test_records_are_neither_replaced_nor_deleted(method, incident, administrator, api_as):
    response = getattr(api_as(administrator), method)(url(incident), {"title": "x"}, format="json")

    assert_error(response, 405, "method_not_allowed")
    assert Incident.objects.filter(pk=incident.pk).exists()


# Transitions


def transition(client, record, to, **inputs):
    return client.post(url(record, "transitions/"), {"to": to, **inputs}, format="json")


def test_every_transition_through_the_api(incident, agent, requester, api_as):
    as_agent, as_requester = api_as(agent), None
    listed = as_agent.get(url(incident, "transitions/"))
    assert listed.status_code == 200
    assert listed.json()["status"] == "new"
    assert {"name": "assign", "to": "assigned"}.items() <= listed.json()["allowed"][0].items()

    steps = [
        (agent, "assigned", {"assignee": agent.pk}),
        (agent, "in_progress", {}),
        (agent, "on_hold", {"hold_reason": "vendor", "reason": "Waiting for the vendor"}),
        (agent, "in_progress", {}),
        (agent, "resolved", {"resolution_code": "solved", "resolution_notes": "Reinstalled."}),
        (requester, "in_progress", {"reason": "Still broken"}),
        (agent, "resolved", {"resolution_code": "workaround", "resolution_notes": "Use the web app."}),
        (requester, "closed", {"csat_score": 4, "csat_comment": "Quick"}),
    ]
    for actor, to, inputs in steps:
        client = api_as(actor)
        response = transition(client, incident, to, **inputs)
        assert response.status_code == 200, (to, response.content)
        assert response.json()["status"] == to
        incident.refresh_from_db()
        assert version_tag(response) == incident.etag
    assert incident.csat_score == 4
    assert incident.reopen_count == 1
    assert as_requester is None


@pytest.mark.parametrize("actor", ["agent", "requester"])
def test_cancel_through_the_api(actor, incident, request):
    client = request.getfixturevalue("api_as")(request.getfixturevalue(actor))

    response = transition(client, incident, "cancelled", reason="Not needed")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"


def test_an_illegal_transition_answers_409_with_the_allowed_ones(incident, agent, api_as):
    response = transition(api_as(agent), incident, "closed")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "invalid_transition"
    assert set(body["allowed"]) == {"assigned", "in_progress", "resolved", "cancelled"}
    incident.refresh_from_db()
    assert incident.status == "new"


def test_a_transition_the_caller_may_not_fire_answers_403(incident, requester, api_as):
    response = transition(
        api_as(requester), incident, "resolved", resolution_code="solved", resolution_notes="x"
    )

    assert_error(response, 403, "permission_denied")
    incident.refresh_from_db()
    assert incident.status == "new"


def test_a_transition_without_its_inputs_answers_400(incident, agent, api_as):
    response = transition(api_as(agent), incident, "resolved", resolution_code="solved")

    body = assert_error(response, 400, "validation_error")
    assert "resolution_notes" in body["fields"]


def test_an_unknown_status_answers_400(incident, agent, api_as):
    assert_error(transition(api_as(agent), incident, "flying"), 400, "validation_error")


def test_a_transition_with_a_stale_if_match_answers_412(incident, agent, api_as):
    stale = incident.etag
    services.incident_update(record=incident, actor=agent, title="Changed meanwhile")

    response = api_as(agent).post(
        url(incident, "transitions/"), {"to": "in_progress"}, format="json", HTTP_IF_MATCH=stale
    )

    assert response.status_code == 412
    assert response.json()["code"] == "stale_write"
    incident.refresh_from_db()
    assert incident.status == "new"


def test_a_requester_past_the_reopen_window_gets_409(incident, agent, requester, api_as, settings):
    services.incident_transition(
        record=incident, actor=agent, to="resolved", resolution_code="solved", resolution_notes="Done"
    )
    Incident.objects.filter(pk=incident.pk).update(resolved_at=timezone.now() - timedelta(days=30))

    response = transition(api_as(requester), incident, "in_progress", reason="Again")

    assert response.status_code == 409
    assert response.json()["code"] == "reopen_window_passed"


# Comments, timeline, attachments


def test_comments_show_work_notes_to_agents_only(incident, agent, requester, api_as):
    as_requester, as_agent = api_as(requester), None
    reply = as_requester.post(url(incident, "comments/"), {"body": "Any news?"}, format="json")
    assert reply.status_code == 201, reply.content
    assert reply.json()["kind"] == "comment"
    as_agent = api_as(agent)
    note = as_agent.post(
        url(incident, "comments/"), {"body": "Call the vendor", "is_public": False}, format="json"
    )
    assert note.status_code == 201, note.content
    assert note.json()["kind"] == "work_note"

    agent_view = [entry["body"] for entry in as_agent.get(url(incident, "comments/")).json()["results"]]
    notes_only = as_agent.get(url(incident, "comments/"), {"is_public": "false"}).json()["results"]
    requester_view = api_as(requester).get(url(incident, "comments/")).json()["results"]

    assert agent_view == ["Any news?", "Call the vendor"]
    assert [entry["body"] for entry in notes_only] == ["Call the vendor"]
    assert [entry["body"] for entry in requester_view] == ["Any news?"]


def test_a_requester_may_not_write_a_work_note(incident, requester, api_as):
    response = api_as(requester).post(
        url(incident, "comments/"), {"body": "x", "is_public": False}, format="json"
    )

    assert_error(response, 403, "permission_denied")
    assert not TimelineEntry.objects.filter(kind="work_note").exists()


def test_a_multipart_comment_carries_files_and_is_public_by_default(incident, requester, api_as):
    response = api_as(requester).post(
        url(incident, "comments/"), {"body": "Screenshot", "files": [png()]}, format="multipart"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["is_public"] is True
    assert [a["name"] for a in body["attachments"]] == ["screen.png"]
    assert body["attachments"][0]["url"] == url(incident, f"attachments/{body['attachments'][0]['id']}/")


def test_an_empty_comment_answers_400(incident, requester, api_as):
    assert_error(api_as(requester).post(url(incident, "comments/"), {"body": " "}, format="json"), 400)


def test_timeline_hides_internal_entries_from_the_requester(incident, agent, requester, api_as):
    services.incident_comment(record=incident, actor=agent, body="Internal", is_public=False)
    services.incident_update(record=incident, actor=agent, title="Renamed")
    services.incident_comment(record=incident, actor=agent, body="Public answer")

    agent_kinds = [e["kind"] for e in api_as(agent).get(url(incident, "timeline/")).json()["results"]]
    requester_rows = api_as(requester).get(url(incident, "timeline/")).json()["results"]

    assert {"work_note", "field_change", "comment"} <= set(agent_kinds)
    assert {e["kind"] for e in requester_rows} == {"comment"}
    assert all(e["is_public"] for e in requester_rows)


def test_attachments_upload_list_and_download(incident, requester, api_as):
    client = api_as(requester)

    uploaded = client.post(
        url(incident, "attachments/"), {"files": [png(), png("two.png")]}, format="multipart"
    )

    assert uploaded.status_code == 201, uploaded.content
    assert [a["name"] for a in uploaded.json()] == ["screen.png", "two.png"]
    listed = client.get(url(incident, "attachments/")).json()["results"]
    assert [a["name"] for a in listed] == ["screen.png", "two.png"]
    download = client.get(listed[0]["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG
    assert download["Content-Type"] == "image/png"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment;")
    assert 'filename="screen.png"' in download["Content-Disposition"]


@pytest.mark.parametrize(
    ("name", "content"),
    [("screen.png", b"just some text, not an image"), ("notes.txt", b"\x00\x01binary"), ("run.exe", b"MZ")],
)
def test_attachments_that_are_not_what_they_claim_answer_400(name, content, incident, requester, api_as):
    upload = SimpleUploadedFile(name, content, content_type="image/png")

    response = api_as(requester).post(url(incident, "attachments/"), {"files": [upload]}, format="multipart")

    body = assert_error(response, 400, "validation_error")
    assert "attachments" in body["fields"]
    assert not TimelineEntry.objects.filter(kind="attachment").exists()


def test_attachments_need_a_file(incident, requester, api_as):
    assert_error(api_as(requester).post(url(incident, "attachments/"), {}, format="multipart"), 400)


def test_internal_files_stay_hidden_from_the_requester(incident, agent, requester, api_as):
    uploaded = api_as(agent).post(
        url(incident, "attachments/"), {"files": [png()], "is_public": "false"}, format="multipart"
    )
    assert uploaded.status_code == 201, uploaded.content
    file_url = uploaded.json()[0]["url"]
    assert uploaded.json()[0]["is_public"] is False

    client = api_as(requester)
    assert client.get(url(incident, "attachments/")).json()["results"] == []
    assert_error(client.get(file_url), 404, "not_found")
    assert api_as(agent).get(file_url).status_code == 200


def test_an_attachment_of_another_record_is_404_under_this_one(incident, requester, service, api_as):
    other = services.incident_create(actor=requester, title="Second", service=service)
    entry = services.incident_attach(record=other, actor=requester, uploads=[png()])
    attachment = entry.attachments.get()

    response = api_as(requester).get(url(incident, f"attachments/{attachment.pk}/"))

    assert_error(response, 404, "not_found")
    assert api_as(requester).get(url(other, f"attachments/{attachment.pk}/")).status_code == 200


# Links, major, rating


def test_parent_and_detach(incident, requester, agent, service, api_as):
    master = services.incident_create(actor=requester, title="Everyone: no mail", service=service)
    client = api_as(agent)

    linked = client.post(url(incident, "parent/"), {"parent": master.number.lower()}, format="json")
    assert linked.status_code == 200, linked.content
    assert linked.json()["parent"] == master.number
    detached = client.post(url(incident, "parent/"), {"parent": None}, format="json")
    assert detached.json()["parent"] is None


def test_parent_of_another_kind_or_unknown_answers_400(incident, service_request, agent, api_as):
    client = api_as(agent)

    for number in (service_request.number, "INC9999999", "garbage"):
        body = assert_error(client.post(url(incident, "parent/"), {"parent": number}, format="json"), 400)
        assert "parent" in body["fields"]


def test_merge_closes_the_duplicate_and_answers_the_master(incident, requester, agent, service, api_as):
    duplicate = services.incident_create(actor=requester, title="Outlook again", service=service)

    response = api_as(agent).post(url(duplicate, "merge/"), {"into": incident.number}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["number"] == incident.number
    duplicate.refresh_from_db()
    assert duplicate.status == "closed"
    assert duplicate.merged_into == incident


def test_requester_may_not_merge(incident, requester, service, api_as):
    duplicate = services.incident_create(actor=requester, title="Outlook again", service=service)

    response = api_as(requester).post(url(duplicate, "merge/"), {"into": incident.number}, format="json")

    assert_error(response, 403, "permission_denied")


def test_group_manager_declares_a_major_incident(incident, group_manager, agent, api_as):
    assert_error(api_as(agent).post(url(incident, "major/"), {"is_major": True}, format="json"), 403)

    response = api_as(group_manager).post(
        url(incident, "major/"), {"is_major": True, "reason": "HQ"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["is_major"] is True


def test_requester_rates_a_resolved_record_once(incident, agent, requester, api_as):
    services.incident_transition(
        record=incident, actor=agent, to="resolved", resolution_code="solved", resolution_notes="Done"
    )
    client = api_as(requester)

    response = client.post(url(incident, "rating/"), {"score": 5, "comment": "Great"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["csat_score"] == 5
    assert client.post(url(incident, "rating/"), {"score": 1}, format="json").json()["code"] == "not_ratable"
    assert_error(client.post(url(incident, "rating/"), {"score": 6}, format="json"), 400)


def test_an_open_record_cannot_be_rated(incident, requester, api_as):
    response = api_as(requester).post(url(incident, "rating/"), {"score": 3}, format="json")

    assert response.status_code == 409


# Filters and queries


@pytest.fixture
def queue(db, requester, agent, support_group, service):
    """Five incidents across statuses, priorities, groups, assignees, services and CIs."""
    other_group = SupportGroupFactory(name="Network")
    other_service = BusinessServiceFactory(name="VPN")
    server = BusinessServiceFactory(name="Server 1")
    records = {
        "mail": services.incident_create(
            actor=agent, requester=requester, title="Mail bounce", service=service, impact=1, urgency=1
        ),
        "vpn": services.incident_create(
            actor=agent,
            requester=requester,
            title="VPN slow",
            service=other_service,
            support_group=other_group,
        ),
        "printer": services.incident_create(
            actor=agent, requester=requester, title="Printer jam paper", affected_cis=[server]
        ),
        "assigned": services.incident_create(
            actor=agent, requester=requester, title="Laptop fan", support_group=support_group, assignee=agent
        ),
    }
    old = services.incident_create(actor=agent, requester=requester, title="Old screen flicker")
    Incident.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))
    records["old"] = old
    return {**records, "other_group": other_group, "other_service": other_service, "server": server}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "assigned"}, {"assigned"}),
        ({"status": ["new", "assigned"]}, {"mail", "vpn", "printer", "assigned", "old"}),
        ({"priority": "1"}, {"mail"}),
        ({"assignee": "none"}, {"mail", "vpn", "printer", "old"}),
        ({"q": "paper jam"}, {"printer"}),
        ({"q": "PRINTER"}, {"printer"}),
        ({"q": "printer mail"}, set()),
    ],
)
def test_list_filters(params, expected, queue, agent, api_as):
    found = set(numbers(api_as(agent).get(INCIDENTS, params)))

    assert found == {queue[name].number for name in expected}


def test_list_filters_by_related_rows_and_dates(queue, agent, support_group, service, api_as):
    client = api_as(agent)

    def found(**params):
        return set(numbers(client.get(INCIDENTS, params)))

    def named(*names):
        return {queue[name].number for name in names}

    assert found(support_group=queue["other_group"].pk) == named("vpn")
    assert found(assignee=agent.pk) == named("assigned")
    assert found(service=service.pk) == named("mail")
    assert found(service=queue["other_service"].pk) == named("vpn")
    assert found(ci=queue["server"].pk) == named("printer")
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert found(created_after=since) == named("mail", "vpn", "printer", "assigned")
    assert found(created_before=since) == named("old")
    assert found(q=queue["vpn"].number.lower()) == named("vpn")
    assert found(q=str(int(queue["vpn"].number[3:])).join(["inc", ""])) == named("vpn")


def test_list_is_ordered_by_priority_then_age(queue, agent, api_as):
    listed = numbers(api_as(agent).get(INCIDENTS))

    assert listed[0] == queue["mail"].number
    assert listed.index(queue["old"].number) < listed.index(queue["vpn"].number)


def test_list_pages_with_a_cursor(queue, agent, api_as):
    client = api_as(agent)
    first = client.get(INCIDENTS, {"page_size": 2}).json()
    second = client.get(first["next"]).json()

    assert len(first["results"]) == 2
    assert not {r["number"] for r in first["results"]} & {r["number"] for r in second["results"]}


def _seed(count, requester, agent, support_group, service):
    group = support_group
    for n in range(count):
        IncidentFactory(
            requester=requester,
            assignee=agent if n % 2 else None,
            support_group=group,
            service=service,
            priority=1 + n % 5,
        )
    RequestFactory(requester=requester)


@pytest.mark.parametrize("page_size", [5, 50])
def test_list_runs_a_constant_number_of_queries(
    page_size, requester, agent, support_group, service, api_as, django_assert_max_num_queries
):
    _seed(60, requester, agent, support_group, service)
    client = api_as(agent)
    client.get(INCIDENTS, {"page_size": 1})  # warm the permission and content-type caches

    with django_assert_max_num_queries(6):
        response = client.get(INCIDENTS, {"page_size": page_size})

    assert len(response.json()["results"]) == page_size


def test_list_query_count_does_not_grow_with_the_page(requester, agent, support_group, service, api_as):
    _seed(60, requester, agent, support_group, service)
    client = api_as(agent)
    client.get(INCIDENTS, {"page_size": 1})
    counts = []
    for page_size in (5, 50):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(INCIDENTS, {"page_size": page_size}).status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]


# Authentication and catalogue


def test_a_personal_token_files_and_reads_a_record(requester, api_client):
    _token, key = api_token_create(user=requester, actor=requester, name="monitoring")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")

    created = api_client.post(INCIDENTS, {"title": "Disk full"}, format="json")

    assert created.status_code == 201, created.content
    assert api_client.get(created["Location"]).json()["requester"]["id"] == requester.pk


def test_anonymous_callers_get_401(incident, api_client):
    assert_error(api_client.get(INCIDENTS), 401)
    assert_error(api_client.get(url(incident)), 401)


def test_catalogue_lists_for_a_requester(requester, service, request_type, category, subcategory, api_as):
    retired = BusinessServiceFactory(name="Fax")
    type(retired).objects.filter(pk=retired.pk).update(status="retired")
    UserFactory()  # a person is not a service
    client = api_as(requester)

    services_listed = client.get("/api/v1/services/").json()["results"]
    types = client.get("/api/v1/request-types/", {"service": service.pk}).json()["results"]
    categories = client.get("/api/v1/categories/").json()["results"]
    top = client.get("/api/v1/categories/", {"top_level": "true"}).json()["results"]
    matrix = client.get("/api/v1/priority-matrix/").json()

    assert [s["name"] for s in services_listed] == ["E-mail"]
    assert [t["name"] for t in types] == ["New mailbox"]
    assert {c["name"] for c in categories} == {"Software", "E-mail client"}
    assert [c["name"] for c in top] == ["Software"]
    assert len(matrix) == 9
    assert {(c["impact"], c["urgency"]): c["priority"] for c in matrix}[(1, 1)] == 1
    assert {(c["impact"], c["urgency"]): c["priority"] for c in matrix}[(3, 3)] == 5


@pytest.mark.parametrize("suffix", ["comments/", "timeline/", "attachments/"])
def test_record_sub_lists_run_a_constant_number_of_queries(suffix, incident, requester, agent, api_as):
    client = api_as(agent)
    client.get(url(incident, suffix))
    counts = []
    for batch in (2, 10):
        for n in range(batch):
            services.incident_comment(record=incident, actor=requester, body=f"Reply {n}", uploads=[png()])
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url(incident, suffix), {"page_size": 50})
        assert response.status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]
