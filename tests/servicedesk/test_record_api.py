"""The kernel's base record API on the test-only kind: a viewset subclass and the kind's registration give
list, detail with ETag, transitions (409, 400, 412), comments, work notes, files, the timeline and the SLA
sub-resource, with the same error shape and query-count guarantees as incidents."""

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.kernelkind import workflow as wf
from tests.kernelkind.models import Chore
from tests.kernelkind.services import chore_create

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64


def url(chore, tail=""):
    return f"/api/v1/chores/{chore.number}/{tail}"


def test_the_kind_lists_what_each_user_may_see(api_as, chore, requester, other_requester, worker):
    chore_create(actor=other_requester, title="Feed the cat")
    mine = api_as(requester).get("/api/v1/chores/")
    assert mine.status_code == 200
    assert [row["number"] for row in mine.json()["results"]] == [chore.number]
    assert len(api_as(worker).get("/api/v1/chores/").json()["results"]) == 2


def test_the_list_runs_a_constant_number_of_queries(api_as, requester, worker, django_assert_max_num_queries):
    for n in range(5):
        chore_create(actor=requester, title=f"Chore {n}")
    with django_assert_max_num_queries(8):
        assert len(api_as(worker).get("/api/v1/chores/").json()["results"]) == 5


def test_detail_has_its_etag_and_transitions(api_as, chore, requester, other_requester):
    answer = api_as(requester).get(url(chore))
    assert answer.status_code == 200
    assert answer["ETag"].startswith(f'"{chore.pk}-{chore.version}')
    assert [t["name"] for t in answer.json()["allowed_transitions"]] == ["drop"]
    assert api_as(requester).get(url(chore), HTTP_IF_NONE_MATCH=answer["ETag"]).status_code == 304
    assert api_as(other_requester).get(url(chore)).status_code == 404
    assert api_as(requester).get("/api/v1/chores/INC0000001/").status_code == 404


def test_transitions_from_the_table(api_as, chore, worker):
    client = api_as(worker)
    listed = client.get(url(chore, "transitions/")).json()
    assert listed["status"] == wf.OPEN
    assert [t["to"] for t in listed["allowed"]] == [wf.DOING, wf.DROPPED]
    refused = client.post(url(chore, "transitions/"), {"to": wf.DONE, "outcome": "x"}, format="json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "invalid_transition"
    assert refused.json()["allowed"] == [wf.DOING, wf.DROPPED]
    missing = client.post(url(chore, "transitions/"), {"to": wf.DROPPED}, format="json")
    assert missing.status_code == 400
    assert "reason" in missing.json()["fields"]
    stale = client.post(url(chore, "transitions/"), {"to": wf.DOING}, format="json", HTTP_IF_MATCH='"0-0"')
    assert stale.status_code == 412
    started = client.post(
        url(chore, "transitions/"), {"to": wf.DOING}, format="json", HTTP_IF_MATCH=chore.etag
    )
    assert started.status_code == 200
    assert started.json()["status"] == wf.DOING
    assert Chore.objects.get(pk=chore.pk).assignee_id == worker.pk


def test_a_requester_may_not_fire_an_agents_transition(api_as, chore, requester):
    answer = api_as(requester).post(url(chore, "transitions/"), {"to": wf.DOING}, format="json")
    assert answer.status_code == 403


def test_comments_work_notes_and_the_timeline(api_as, chore, requester, worker):
    assert (
        api_as(requester).post(url(chore, "comments/"), {"body": "Which ones?"}, format="json").status_code
        == 201
    )
    note = api_as(worker).post(url(chore, "comments/"), {"body": "Cactus", "is_public": False}, format="json")
    assert note.status_code == 201
    refused = api_as(requester).post(
        url(chore, "comments/"), {"body": "x", "is_public": False}, format="json"
    )
    assert refused.status_code == 403
    seen = [entry["body"] for entry in api_as(requester).get(url(chore, "comments/")).json()["results"]]
    assert seen == ["Which ones?"]
    seen = [entry["body"] for entry in api_as(worker).get(url(chore, "timeline/")).json()["results"]]
    assert seen == ["Which ones?", "Cactus"]


def test_files_upload_list_and_download(api_as, chore, requester, worker, other_requester):
    upload = SimpleUploadedFile("shot.png", PNG, content_type="image/png")
    stored = api_as(requester).post(url(chore, "attachments/"), {"files": [upload]}, format="multipart")
    assert stored.status_code == 201
    (row,) = stored.json()
    assert row["url"].endswith(f"/api/v1/chores/{chore.number}/attachments/{row['id']}/")
    internal = SimpleUploadedFile("internal.png", PNG, content_type="image/png")
    api_as(worker).post(
        url(chore, "attachments/"), {"files": [internal], "is_public": "false"}, format="multipart"
    )
    names = [a["name"] for a in api_as(requester).get(url(chore, "attachments/")).json()["results"]]
    assert names == ["shot.png"]
    download = api_as(requester).get(url(chore, f"attachments/{row['id']}/"))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG
    internal_id = api_as(worker).get(url(chore, "attachments/")).json()["results"][1]["id"]
    assert api_as(requester).get(url(chore, f"attachments/{internal_id}/")).status_code == 404


def test_the_sla_sub_resource_is_for_agents(api_as, chore, requester, worker):
    assert api_as(requester).get(url(chore, "sla/")).status_code == 403
    answer = api_as(worker).get(url(chore, "sla/"))
    assert answer.status_code == 200
    assert answer.json() == []  # the chore registers no SLA adapter: no clocks
