"""A read replica (servicedesk/replica.py): API lists read from it, single objects and writes never do."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from incidents import services
from incidents.models import Incident
from servicedesk.replica import on_replica

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture
def replica(settings):
    settings.ITSM_READ_REPLICA = "replica"
    return connections["replica"]


def test_an_api_list_reads_its_rows_from_the_replica(replica, api_as, agent, requester):
    services.incident_create(actor=requester, title="Printer jammed")
    with CaptureQueriesContext(replica) as on_replica_side:
        answer = api_as(agent).get("/api/v1/incidents/")
    assert answer.status_code == 200
    assert [row["title"] for row in answer.json()["results"]] == ["Printer jammed"]
    assert any('"incidents_incident"' in query["sql"] for query in on_replica_side.captured_queries)


def test_a_single_record_and_its_change_read_the_primary(replica, api_as, agent, requester):
    record = services.incident_create(actor=requester, title="Printer jammed")
    client = api_as(agent)
    with CaptureQueriesContext(replica) as on_replica_side:
        assert client.get(f"/api/v1/incidents/{record.number}/").status_code == 200
        assert (
            client.patch(
                f"/api/v1/incidents/{record.number}/", {"title": "Printer on fire"}, format="json"
            ).status_code
            == 200
        )
    assert on_replica_side.captured_queries == []


def test_without_a_replica_lists_read_the_primary(settings, api_as, agent, requester):
    settings.ITSM_READ_REPLICA = ""
    services.incident_create(actor=requester, title="Printer jammed")
    with CaptureQueriesContext(connections["replica"]) as on_replica_side:
        assert api_as(agent).get("/api/v1/incidents/").status_code == 200
    assert on_replica_side.captured_queries == []


def test_an_object_read_from_the_replica_is_saved_to_the_primary(replica, requester):
    record = services.incident_create(actor=requester, title="Printer jammed")
    copy = on_replica(Incident.objects.all()).get(pk=record.pk)
    assert copy._state.db == "replica"
    copy.title = "Printer fixed"
    with (
        CaptureQueriesContext(replica) as on_replica_side,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        copy.save(update_fields=["title"])
    assert on_replica_side.captured_queries == []
    assert any("UPDATE" in query["sql"] for query in on_primary.captured_queries)
