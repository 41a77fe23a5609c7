"""The catalogue of standard changes (`/api/v1/standard-changes/`): read by who sees changes, kept by
change managers with ETag and If-Match, audited; requesters see none."""

import pytest

from changes.models import StandardChange
from changes.services.catalogue import standard_change_create
from servicedesk.errors import PermissionDenied
from servicedesk.models import AuditEvent

from ..api.helpers import assert_error, version_tag

CATALOGUE = "/api/v1/standard-changes/"


def url(standard):
    return f"{CATALOGUE}{standard.pk}/"


@pytest.fixture
def retired(db, plans):
    return StandardChange.objects.create(name="Reboot the fax server", is_active=False, **plans)


def test_an_agent_reads_what_the_catalogue_offers(agent, standard, retired, service, support_group, api_as):
    client = api_as(agent)
    listed = client.get(CATALOGUE)
    assert listed.status_code == 200
    assert [row["name"] for row in listed.json()["results"]] == [standard.name]

    response = client.get(url(standard))
    body = response.json()
    assert body["services"] == [{"id": service.pk, "name": "Payroll"}]
    assert body["support_group"]["id"] == support_group.pk
    assert (body["duration_minutes"], body["risk_level"]) == (30, "low")
    assert version_tag(response) == standard.etag
    assert_error(client.get(url(retired)), 404)


def test_a_change_manager_also_sees_retired_ones(change_manager, standard, retired, api_as):
    client = api_as(change_manager)
    assert {row["name"] for row in client.get(CATALOGUE).json()["results"]} == {standard.name, retired.name}
    assert [row["name"] for row in client.get(CATALOGUE, {"is_active": "false"}).json()["results"]] == [
        retired.name
    ]


def test_requesters_see_no_standard_change(requester, standard, api_as):
    client = api_as(requester)
    assert client.get(CATALOGUE).json()["results"] == []
    assert_error(client.get(url(standard)), 404)
    assert_error(client.patch(url(standard), {"name": "Mine"}, format="json"), 404)


def test_the_list_filters_by_service_and_words(agent, standard, plans, service, api_as):
    StandardChange.objects.create(name="Add a mailing list member", **plans)
    client = api_as(agent)

    def names(**params):
        return [row["name"] for row in client.get(CATALOGUE, params).json()["results"]]

    assert names(service=service.pk) == [standard.name]
    assert names(q="mailing") == ["Add a mailing list member"]


def test_a_change_manager_adds_a_standard_change(change_manager, service, support_group, api_as):
    response = api_as(change_manager).post(
        CATALOGUE,
        {
            "name": "Renew a TLS certificate",
            "services": [service.pk],
            "implementation_plan": "certbot renew",
            "test_plan": "curl -v",
            "backout_plan": "Restore the old certificate",
            "risk_level": "medium",
            "support_group": support_group.pk,
            "duration_minutes": 15,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    standard = StandardChange.objects.get(name="Renew a TLS certificate")
    assert response["Location"].endswith(url(standard))
    assert version_tag(response) == standard.etag
    assert list(standard.services.all()) == [service]
    assert AuditEvent.objects.filter(action="standardchange.created", object_id=str(standard.pk)).exists()


VALID = {"name": "X", "implementation_plan": "i", "test_plan": "t", "backout_plan": "b", "risk_level": "low"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"implementation_plan": None}, "implementation_plan"),
        ({"test_plan": " "}, "test_plan"),
        ({"risk_level": "huge"}, "risk_level"),
        ({"name": "Restart the payroll web tier"}, "name"),
        ({"duration_minutes": 0}, "duration_minutes"),
    ],
)
def test_adding_refuses_bad_input_by_field(change_manager, standard, api_as, changes, field):
    body = {name: value for name, value in {**VALID, **changes}.items() if value is not None}
    answer = assert_error(
        api_as(change_manager).post(CATALOGUE, body, format="json"), 400, "validation_error"
    )
    assert field in answer["fields"], answer


def test_a_server_is_not_a_service_of_the_catalogue(change_manager, server, api_as):
    body = {
        "name": "X", "implementation_plan": "i", "test_plan": "t", "backout_plan": "b", "risk_level": "low",
        "services": [server.pk],
    }  # fmt: skip
    answer = assert_error(api_as(change_manager).post(CATALOGUE, body, format="json"), 400)
    assert "services" in answer["fields"]


def test_only_change_managers_keep_the_catalogue(agent, standard, api_as):
    client = api_as(agent)
    assert_error(client.post(CATALOGUE, {"name": "X"}, format="json"), 403, "permission_denied")
    assert_error(client.patch(url(standard), {"name": "Mine"}, format="json"), 403, "permission_denied")
    with pytest.raises(PermissionDenied):
        standard_change_create(
            actor=agent, name="X", implementation_plan="i", test_plan="t", backout_plan="b"
        )


def test_an_edit_honours_if_match_and_is_audited(change_manager, standard, api_as):
    client = api_as(change_manager)
    etag = client.get(url(standard))["ETag"]

    response = client.patch(url(standard), {"risk_level": "medium", "is_active": False}, format="json",
                            HTTP_IF_MATCH=etag)  # fmt: skip
    assert response.status_code == 200, response.content
    assert (response.json()["risk_level"], response.json()["is_active"]) == ("medium", False)
    assert response.json()["version"] == standard.version + 1
    event = AuditEvent.objects.get(action="standardchange.updated", object_id=str(standard.pk))
    assert event.data["risk_level"] == {"from": "low", "to": "medium"}

    assert_error(client.patch(url(standard), {"name": "Again"}, format="json", HTTP_IF_MATCH=etag), 412)
    assert StandardChange.objects.get(pk=standard.pk).name == standard.name


def test_an_edit_that_changes_nothing_keeps_the_version(change_manager, standard, api_as):
    response = api_as(change_manager).patch(url(standard), {"name": standard.name}, format="json")
    assert response.json()["version"] == standard.version
    assert not AuditEvent.objects.filter(action="standardchange.updated").exists()


def test_the_list_runs_a_constant_number_of_queries(agent, plans, service, api_as,
                                                    django_assert_max_num_queries):  # fmt: skip
    for n in range(20):
        StandardChange.objects.create(name=f"Standard {n}", **plans).services.set([service])
    client = api_as(agent)
    client.get(CATALOGUE)
    with django_assert_max_num_queries(5):
        assert len(client.get(CATALOGUE, {"page_size": 20}).json()["results"]) == 20
