"""The CMDB API's contract: permissions per role, field errors, transitions, filters, pages, query counts."""

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from cmdb.models import CIClass, CIRelationship, ConfigurationItem
from cmdb.services.items import ci_create, ci_transition
from servicedesk.models import AuditEvent

from ..api.helpers import assert_error
from ..factories import SupportGroupFactory, UserFactory
from .factories import CIFactory, CIRelationshipFactory, ci_class, relationship_type

CLASSES = "/api/v1/ci-classes/"
TYPES = "/api/v1/relationship-types/"
CIS = "/api/v1/cis/"
RELATIONSHIPS = "/api/v1/ci-relationships/"

ROLES = ["anonymous", "requester", "agent", "configuration_manager", "administrator"]
ERROR_CODES = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content[:500]
    return response.json()["results"]


def names(response) -> set[str]:
    return {row["name"] for row in results(response)}


@pytest.fixture
def world(requester, agent, configuration_manager, administrator):
    server = CIFactory(name="srv-01")
    database = CIFactory(name="db-01", ci_class=ci_class("database"))
    relationship = CIRelationshipFactory(source=database, target=server)
    return SimpleNamespace(
        requester=requester,
        agent=agent,
        configuration_manager=configuration_manager,
        administrator=administrator,
        server=server,
        database=database,
        relationship=relationship,
        server_class=ci_class("server"),
        runs_on=relationship_type("runs_on"),
    )


def statuses(anonymous, requester, agent, configuration_manager, administrator) -> dict:
    return dict(zip(ROLES, (anonymous, requester, agent, configuration_manager, administrator), strict=True))


READ = statuses(401, 404, 200, 200, 200)


@dataclass(frozen=True)
class Call:
    name: str
    method: str
    url: Callable
    expected: dict
    body: Callable | None = None

    @property
    def is_write(self) -> bool:
        return self.method != "get"


CALLS = [
    Call("classes-list", "get", lambda w, r: CLASSES, READ),
    Call("classes-get", "get", lambda w, r: f"{CLASSES}{w.server_class.pk}/", READ),
    Call(
        "classes-create",
        "post",
        lambda w, r: CLASSES,
        statuses(401, 404, 403, 201, 201),
        body=lambda w, r: {"code": f"blade_{r}", "name": f"Blade {r}", "parent": "server"},
    ),
    Call(
        "classes-patch",
        "patch",
        lambda w, r: f"{CLASSES}{w.server_class.pk}/",
        statuses(401, 404, 403, 200, 200),
        body=lambda w, r: {"description": "Physical and virtual servers"},
    ),
    Call("types-list", "get", lambda w, r: TYPES, READ),
    Call("types-get", "get", lambda w, r: f"{TYPES}{w.runs_on.pk}/", READ),
    Call("cis-list", "get", lambda w, r: CIS, READ),
    Call("cis-get", "get", lambda w, r: f"{CIS}{w.server.pk}/", READ),
    Call(
        "cis-create",
        "post",
        lambda w, r: CIS,
        statuses(401, 404, 403, 201, 201),
        body=lambda w, r: {"name": "srv-02", "ci_class": "server", "attributes": {"cpu_count": 8}},
    ),
    Call(
        "cis-patch",
        "patch",
        lambda w, r: f"{CIS}{w.server.pk}/",
        statuses(401, 404, 403, 200, 200),
        body=lambda w, r: {"version": "2.0"},
    ),
    Call("cis-transitions", "get", lambda w, r: f"{CIS}{w.server.pk}/transitions/", READ),
    Call(
        "cis-transition",
        "post",
        lambda w, r: f"{CIS}{w.server.pk}/transitions/",
        statuses(401, 404, 403, 200, 200),
        body=lambda w, r: {"to": "ordered"},
    ),
    Call("cis-relationships", "get", lambda w, r: f"{CIS}{w.server.pk}/relationships/", READ),
    Call("cis-history", "get", lambda w, r: f"{CIS}{w.server.pk}/history/", READ),
    Call("relationships-list", "get", lambda w, r: RELATIONSHIPS, READ),
    Call("relationships-get", "get", lambda w, r: f"{RELATIONSHIPS}{w.relationship.pk}/", READ),
    Call(
        "relationships-create",
        "post",
        lambda w, r: RELATIONSHIPS,
        statuses(401, 404, 403, 201, 201),
        body=lambda w, r: {"source": w.server.pk, "target": w.database.pk, "type": "depends_on"},
    ),
    Call(
        "relationships-delete",
        "delete",
        lambda w, r: f"{RELATIONSHIPS}{w.relationship.pk}/",
        statuses(401, 404, 403, 204, 204),
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("call", CALLS, ids=lambda call: call.name)
def test_permission_contract(call, role, world, api_as):
    client = APIClient() if role == "anonymous" else api_as(getattr(world, role))
    events_before = AuditEvent.objects.count()
    kwargs = {"data": call.body(world, role)} if call.body else {}

    response = getattr(client, call.method)(call.url(world, role), **kwargs)

    expected = call.expected[role]
    if expected >= 400:
        assert_error(response, expected, ERROR_CODES[expected])
        assert AuditEvent.objects.count() == events_before
    else:
        assert response.status_code == expected, response.content[:500]
        if call.is_write:
            assert AuditEvent.objects.filter(actor=getattr(world, role)).count() == 1


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", lambda w: CLASSES),
        ("patch", lambda w: f"{CLASSES}{w.server_class.pk}/"),
        ("post", lambda w: CIS),
        ("patch", lambda w: f"{CIS}{w.server.pk}/"),
        ("post", lambda w: f"{CIS}{w.server.pk}/transitions/"),
        ("post", lambda w: RELATIONSHIPS),
    ],
)
def test_agent_writes_are_refused_before_the_input_is_read(method, url, world, api_as):
    response = getattr(api_as(world.agent), method)(url(world), {"name": ["not", "valid"], "to": 7})

    assert_error(response, 403, "permission_denied")


@pytest.mark.parametrize("url", [CLASSES, TYPES, CIS, RELATIONSHIPS])
def test_requester_cannot_learn_the_cmdb_exists_even_from_an_empty_list(url, requester, api_as):
    assert_error(api_as(requester).get(url), 404, "not_found")


@pytest.mark.parametrize(
    "url", [f"{CIS}999999/", f"{CLASSES}999999/", f"{TYPES}999999/", f"{RELATIONSHIPS}999999/"]
)
def test_unknown_ids_answer_not_found(url, agent, api_as):
    assert_error(api_as(agent).get(url), 404, "not_found")


# Field errors


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"attributes": {"cpu_count": "four"}}, "attributes.cpu_count"),
        ({"attributes": {"cpu_count": 0}}, "attributes.cpu_count"),
        ({"attributes": {"ip_address": "300.1.1.1"}}, "attributes.ip_address"),
        ({"attributes": {"purchase_date": "yesterday"}}, "attributes.purchase_date"),
        ({"attributes": []}, "attributes"),
        ({"ci_class": "spaceship"}, "ci_class"),
        ({"status": "lost"}, "status"),
        ({"environment": "moon"}, "environment"),
        ({"hostname": "SRV-01.example.com"}, "hostname"),
        ({"serial_number": "SN-1"}, "serial_number"),
        ({"location": "server"}, "location"),
        ({"owner": 999999}, "owner"),
        ({"name": ""}, "name"),
        ({"name": "nul\x00"}, "name"),
        ({"attributes": {"model": "nul\x00"}}, "attributes"),
        ({"attributes": {"nul\x00": 1}}, "attributes"),
        ({"attributes": {"model": ["a", {"b": "\x00"}]}}, "attributes"),
        ({"name_translations": {"fr": "Serveur"}}, "name_translations"),
        ({"name_translations": ["服务器"]}, "name_translations"),
    ],
)
def test_create_ci_answers_field_errors(body, field, configuration_manager, world, api_as):
    CIFactory(name="existing", hostname="srv-01.example.com", serial_number="SN-1")
    if body.get("location") == "server":
        body = {**body, "location": world.server.pk}

    response = api_as(configuration_manager).post(CIS, {"name": "new", "ci_class": "server", **body})

    errors = assert_error(response, 400, "validation_error")["fields"]
    assert field in errors, errors
    assert not ConfigurationItem.objects.filter(name="new").exists()


def test_a_ci_is_named_per_language_through_the_api(configuration_manager, world, api_as):
    response = api_as(configuration_manager).post(
        CIS, {"name": "Payroll", "ci_class": "business_service", "name_translations": {"zh-hans": "薪资"}}
    )

    assert response.status_code == 201, response.content
    assert response.json()["name_translations"] == {"zh-hans": "薪资"}
    assert ConfigurationItem.objects.get(name="Payroll").name_translations == {"zh-hans": "薪资"}


def test_create_ci_renders_the_created_ci_and_records_it_through_the_api(
    configuration_manager, world, api_as
):
    site = CIFactory(name="DC1", ci_class=ci_class("location"))
    body = {
        "name": "srv-02",
        "ci_class": "server",
        "status": "in_production",
        "owner": configuration_manager.pk,
        "support_group": SupportGroupFactory(name="Unix").pk,
        "location": site.pk,
        "environment": "production",
        "attributes": {"cpu_count": 8, "manufacturer": "Dell"},
        "hostname": "srv-02.example.com",
    }

    response = api_as(configuration_manager).post(CIS, body)

    assert response.status_code == 201, response.content
    ci = response.json()
    assert ci["ci_class"] == {"id": world.server_class.pk, "code": "server", "name": "Server"}
    assert ci["status"] == "in_production"
    assert ci["location"] == {"id": site.pk, "name": "DC1"}
    assert ci["support_group"]["name"] == "Unix"
    assert ci["owner"]["username"] == "cmdb"
    assert [t["to"] for t in ci["allowed_transitions"]] == ["in_maintenance", "retired"]
    record = ConfigurationItem.history.get(id=ci["id"])
    assert (record.history_user, record.history_change_reason) == (configuration_manager, "api")


def test_patch_ci_validates_attributes_against_the_class(configuration_manager, world, api_as):
    response = api_as(configuration_manager).patch(
        f"{CIS}{world.server.pk}/", {"attributes": {"memory_gb": -1}}
    )

    assert set(assert_error(response, 400, "validation_error")["fields"]) == {"attributes.memory_gb"}


def test_patch_ci_cannot_set_the_status(configuration_manager, world, api_as):
    response = api_as(configuration_manager).patch(f"{CIS}{world.server.pk}/", {"status": "retired"})

    assert response.status_code == 200
    world.server.refresh_from_db()
    assert world.server.status == "planned"


# Transitions


@pytest.mark.parametrize(
    ("status", "allowed"),
    [
        ("planned", ["ordered", "in_stock", "in_production", "retired"]),
        ("in_production", ["in_maintenance", "retired"]),
        ("retired", ["in_stock"]),
    ],
)
def test_transitions_list_the_allowed_statuses(status, allowed, configuration_manager, api_as):
    ci = CIFactory(status=status)

    response = api_as(configuration_manager).get(f"{CIS}{ci.pk}/transitions/")

    body = response.json()
    assert body["status"] == status
    assert [t["to"] for t in body["allowed"]] == allowed


def test_transitions_answer_the_shape_records_answer(configuration_manager, api_as):
    ci = CIFactory(status="in_production")

    allowed = api_as(configuration_manager).get(f"{CIS}{ci.pk}/transitions/").json()["allowed"]

    assert allowed == [
        {
            "name": "start_maintenance",
            "to": "in_maintenance",
            "label": "Start maintenance",
            "requires": [],
            "accepts": [],
        },
        {"name": "retire", "to": "retired", "label": "Retire", "requires": [], "accepts": []},
    ]


def test_who_may_not_change_a_ci_may_fire_no_transition(agent, api_as):
    ci = CIFactory(status="planned")

    assert api_as(agent).get(f"{CIS}{ci.pk}/transitions/").json() == {"status": "planned", "allowed": []}
    assert api_as(agent).get(f"{CIS}{ci.pk}/").json()["allowed_transitions"] == []


def test_transition_moves_the_ci(configuration_manager, world, api_as):
    response = api_as(configuration_manager).post(
        f"{CIS}{world.server.pk}/transitions/", {"to": "in_production"}
    )

    assert response.status_code == 200
    assert response.json()["status"] == "in_production"
    event = AuditEvent.objects.get(action="ci.status_changed")
    assert event.data == {"from": "planned", "to": "in_production", "via": "api"}


@pytest.mark.parametrize(
    ("status", "to"), [("planned", "in_maintenance"), ("retired", "retired"), ("ordered", "planned")]
)
def test_illegal_transition_answers_409_listing_the_allowed_ones(status, to, configuration_manager, api_as):
    ci = CIFactory(status=status)

    response = api_as(configuration_manager).post(f"{CIS}{ci.pk}/transitions/", {"to": to})

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "invalid_transition"
    offered = api_as(configuration_manager).get(f"{CIS}{ci.pk}/transitions/").json()["allowed"]
    assert body["allowed"] == [t["to"] for t in offered]
    ci.refresh_from_db()
    assert ci.status == status


def test_transition_to_an_unknown_status_is_a_field_error(configuration_manager, world, api_as):
    response = api_as(configuration_manager).post(f"{CIS}{world.server.pk}/transitions/", {"to": "lost"})

    assert "to" in assert_error(response, 400, "validation_error")["fields"]


# Relationships and history of a CI


def test_ci_relationships_are_listed_both_ways_named_from_the_ci(agent, world, api_as):
    switch = CIFactory(name="sw-01", ci_class=ci_class("network_device"))
    CIRelationshipFactory(source=world.server, target=switch, type=relationship_type("connected_to"))

    rows = api_as(agent).get(f"{CIS}{world.server.pk}/relationships/").json()

    assert [(row["direction"], row["name"], row["ci"]["name"]) for row in rows] == [
        ("outgoing", "connected to", "sw-01"),
        ("incoming", "hosts", "db-01"),
    ]
    assert rows[1]["ci"]["ci_class"]["code"] == "database"


def test_ci_history_lists_who_changed_what_through_which_channel(configuration_manager, agent, api_as):
    client = api_as(configuration_manager)
    ci_id = client.post(CIS, {"name": "srv-09", "ci_class": "server"}).json()["id"]
    client.patch(f"{CIS}{ci_id}/", {"version": "1.1", "attributes": {"cpu_count": 2}})
    client.post(f"{CIS}{ci_id}/transitions/", {"to": "ordered"})

    records = results(api_as(agent).get(f"{CIS}{ci_id}/history/"))

    assert [record["kind"] for record in records] == ["changed", "changed", "created"]
    assert {record["via"] for record in records} == {"api"}
    assert {record["user"]["username"] for record in records} == {"cmdb"}
    assert records[0]["changes"] == [{"field": "status", "from": "planned", "to": "ordered"}]
    assert sorted(records[1]["changes"], key=lambda change: change["field"]) == [
        {"field": "attributes", "from": {}, "to": {"cpu_count": 2}},
        {"field": "version", "from": "", "to": "1.1"},
    ]
    assert records[2]["changes"] == []


def test_ci_history_pages_keep_the_changes_across_the_page_boundary(configuration_manager, agent, api_as):
    ci = ci_create(actor=configuration_manager, name="srv-10", ci_class=ci_class("server"))
    for target in ["ordered", "in_stock", "in_production"]:
        ci_transition(ci=ci, actor=configuration_manager, to=target)

    client = api_as(agent)
    first = client.get(f"{CIS}{ci.pk}/history/", {"page_size": 2}).json()
    second = client.get(first["next"]).json()

    changes = [record["changes"] for record in first["results"] + second["results"]]
    assert changes == [
        [{"field": "status", "from": "in_stock", "to": "in_production"}],
        [{"field": "status", "from": "ordered", "to": "in_stock"}],
        [{"field": "status", "from": "planned", "to": "ordered"}],
        [],
    ]


# Relationships endpoint


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"target": "self"}, "target"),
        ({"type": "runs_on", "source": "database", "target": "server"}, "non_field_errors"),
        ({"type": "teleports_to"}, "type"),
        ({"source": 999999}, "source"),
    ],
)
def test_create_relationship_answers_field_errors(body, field, configuration_manager, world, api_as):
    ends = {"server": world.server.pk, "database": world.database.pk, "self": world.server.pk}
    body = {k: ends.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    count = CIRelationship.objects.count()

    response = api_as(configuration_manager).post(
        RELATIONSHIPS, {"source": world.server.pk, "target": world.database.pk, "type": "depends_on", **body}
    )

    assert field in assert_error(response, 400, "validation_error")["fields"]
    assert CIRelationship.objects.count() == count


def test_delete_relationship_removes_it_and_keeps_its_history(configuration_manager, world, api_as):
    response = api_as(configuration_manager).delete(f"{RELATIONSHIPS}{world.relationship.pk}/")

    assert response.status_code == 204
    assert not CIRelationship.objects.filter(pk=world.relationship.pk).exists()
    deleted = CIRelationship.history.get(id=world.relationship.pk, history_type="-")
    assert (deleted.history_user, deleted.history_change_reason) == (configuration_manager, "api")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"ci": "server"}, {"db-01 runs on srv-01", "srv-01 connected to sw-01"}),
        ({"source": "server"}, {"srv-01 connected to sw-01"}),
        ({"target": "server"}, {"db-01 runs on srv-01"}),
        ({"type": "runs_on"}, {"db-01 runs on srv-01"}),
        ({"type": "contains"}, set()),
    ],
)
def test_relationship_filters(params, expected, agent, world, api_as):
    switch = CIFactory(name="sw-01", ci_class=ci_class("network_device"))
    CIRelationshipFactory(source=world.server, target=switch, type=relationship_type("connected_to"))
    params = {k: world.server.pk if v == "server" else v for k, v in params.items()}

    rows = results(api_as(agent).get(RELATIONSHIPS, params))

    assert {f"{r['source']['name']} {r['type']['name']} {r['target']['name']}" for r in rows} == expected


# Classes


def test_classes_carry_parent_path_and_effective_schema(agent, api_as):
    rows = {row["code"]: row for row in results(api_as(agent).get(CLASSES, {"page_size": 100}))}

    server = rows["server"]
    assert server["parent"] == {"id": rows["hardware"]["id"], "code": "hardware", "name": "Hardware"}
    assert server["path"] == "/hardware/server/"
    assert "manufacturer" not in server["attribute_schema"]["properties"]
    assert {"manufacturer", "cpu_count"} <= set(server["effective_schema"]["properties"])
    assert rows["hardware"]["parent"] is None


def test_class_created_through_the_api_extends_its_parent(configuration_manager, api_as):
    client = api_as(configuration_manager)
    body = {
        "code": "blade",
        "name": "Blade",
        "parent": "server",
        "attribute_schema": {"properties": {"slot": {"type": "integer"}}, "required": ["slot"]},
    }

    created = client.post(CLASSES, body).json()

    assert created["path"] == "/hardware/server/blade/"
    assert {"slot", "cpu_count", "manufacturer"} <= set(created["effective_schema"]["properties"])
    response = client.post(CIS, {"name": "blade-1", "ci_class": "blade", "attributes": {"cpu_count": 2}})
    assert set(assert_error(response, 400)["fields"]) == {"attributes.slot"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"attribute_schema": {"properties": {"manufacturer": {"type": "integer"}}}}, "attribute_schema"),
        ({"attribute_schema": {"properties": {"x": {"type": "nonsense"}}}}, "attribute_schema"),
        ({"attribute_schema": {"oneOf": []}}, "attribute_schema"),
        ({"attribute_schema": {"properties": {"x": {"$ref": "#/nowhere"}}}}, "attribute_schema"),
        ({"code": "server"}, "code"),
        ({"parent": "nowhere"}, "parent"),
        ({"code": "not a slug"}, "code"),
        (
            {"attribute_schema": {"properties": {"x": {"type": "string", "pattern": "\x00"}}}},
            "attribute_schema",
        ),
    ],
)
def test_create_class_answers_field_errors(body, field, configuration_manager, api_as):
    response = api_as(configuration_manager).post(
        CLASSES, {"code": "blade", "name": "Blade", "parent": "server", **body}
    )

    assert field in assert_error(response, 400, "validation_error")["fields"]


def test_class_schema_change_that_would_invalidate_cis_is_refused(configuration_manager, world, api_as):
    response = api_as(configuration_manager).patch(
        f"{CLASSES}{world.server_class.pk}/",
        {"attribute_schema": {"properties": {"rack": {"type": "string"}}, "required": ["rack"]}},
    )

    assert "srv-01" in assert_error(response, 400)["fields"]["attribute_schema"][0]


def test_moving_a_class_through_the_api_moves_its_subclasses(configuration_manager, api_as):
    client = api_as(configuration_manager)
    client.post(CLASSES, {"code": "blade", "name": "Blade", "parent": "server"})

    response = client.patch(f"{CLASSES}{ci_class('server').pk}/", {"parent": None})

    assert response.json()["path"] == "/server/"
    assert CIClass.objects.get(code="blade").path == "/server/blade/"


# CI filters


@pytest.fixture
def estate(world, agent):
    desk = SupportGroupFactory(name="Desk")
    site = CIFactory(name="DC1", ci_class=ci_class("location"))
    CIFactory(
        name="web-01",
        status="in_production",
        environment="production",
        hostname="Web-01.example.com",
        serial_number="SN-100",
        asset_tag="AT-100",
        external_id="vm-100",
        support_group=desk,
        owner=agent,
        location=site,
        description="Front web server",
    )
    CIFactory(name="sw-01", ci_class=ci_class("network_device"), status="in_stock", environment="staging")
    CIFactory(name="crm", ci_class=ci_class("application"), status="retired", description="The CRM web app")
    return SimpleNamespace(desk=desk, site=site)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"class": "hardware"}, {"srv-01", "web-01", "sw-01"}),
        ({"class": "server"}, {"srv-01", "web-01"}),
        ({"class": "software"}, {"db-01", "crm"}),
        ({"class": "location"}, {"DC1"}),
        ({"status": ["in_production", "in_stock"]}, {"web-01", "sw-01"}),
        ({"environment": "staging"}, {"sw-01"}),
        ({"hostname": "WEB-01.EXAMPLE.COM"}, {"web-01"}),
        ({"serial_number": "SN-100"}, {"web-01"}),
        ({"asset_tag": "AT-100"}, {"web-01"}),
        ({"external_id": "vm-100"}, {"web-01"}),
        ({"q": "web"}, {"web-01", "crm"}),
        ({"q": "web front"}, {"web-01"}),
        ({"q": "vm-100"}, {"web-01"}),
        ({"q": "sn-100"}, {"web-01"}),
        ({"class": "hardware", "status": "planned"}, {"srv-01"}),
    ],
)
def test_ci_filters(params, expected, estate, agent, api_as):
    assert names(api_as(agent).get(CIS, params)) == expected


@pytest.mark.parametrize("field", ["support_group", "owner", "location"])
def test_ci_filters_by_related_record(field, estate, agent, api_as):
    value = {"support_group": estate.desk.pk, "owner": agent.pk, "location": estate.site.pk}[field]

    assert names(api_as(agent).get(CIS, {field: value})) == {"web-01"}


@pytest.mark.parametrize("params", [{"class": "spaceship"}, {"status": "lost"}, {"owner": "x"}])
def test_ci_filters_refuse_unknown_values(params, agent, world, api_as):
    assert params.keys() <= assert_error(api_as(agent).get(CIS, params), 400)["fields"].keys()


@pytest.mark.parametrize("page_size", [1, 2, 3, 50])
def test_following_next_returns_every_ci_once_in_name_order(page_size, agent, world, api_as):
    CIFactory.create_batch(4, name="same name")
    client = api_as(agent)
    seen, url, params = [], CIS, {"page_size": page_size}
    while url:
        page = client.get(url, params).json()
        seen += [(row["name"], row["id"]) for row in page["results"]]
        url, params = page["next"], None

    assert seen == sorted((ci.name, ci.pk) for ci in ConfigurationItem.objects.all())


# Constant query count per page


def _grow_cis(count):
    site = CIFactory(ci_class=ci_class("location"))
    for index in range(count):
        CIFactory(
            ci_class=ci_class(["server", "database", "application"][index % 3]),
            owner=UserFactory(),
            support_group=SupportGroupFactory(),
            location=site,
        )


def _grow_relationships(count):
    for _ in range(count):
        CIRelationshipFactory(source=CIFactory(owner=UserFactory()), target=CIFactory())


def _grow_classes(count):
    parent = CIClass.objects.get(code="server")
    for _ in range(count):
        code = f"c{CIClass.objects.count()}"
        parent = CIClass.objects.create(code=code, name=code, parent=parent, path=f"{parent.path}{code}/")


def _grow_history(count, ci):
    for index in range(count):
        ci.version = str(index)
        ci.save()


@pytest.mark.parametrize(
    ("url", "grow"),
    [
        (lambda w: CIS, lambda count, w: _grow_cis(count)),
        (lambda w: RELATIONSHIPS, lambda count, w: _grow_relationships(count)),
        (lambda w: CLASSES, lambda count, w: _grow_classes(count)),
        (lambda w: f"{CIS}{w.server.pk}/history/", lambda count, w: _grow_history(count, w.server)),
    ],
    ids=["cis", "ci-relationships", "ci-classes", "ci-history"],
)
def test_list_query_count_does_not_grow_with_the_page(
    url, grow, world, agent, api_as, django_assert_max_num_queries
):
    client = api_as(agent)
    grow(5, world)
    with CaptureQueriesContext(connection) as small:
        small_page = client.get(url(world), {"page_size": 100})
    assert len(results(small_page)) >= 5

    grow(40, world)
    with django_assert_max_num_queries(len(small)):
        large_page = client.get(url(world), {"page_size": 100})

    assert len(results(large_page)) >= 45


def test_relationships_of_a_ci_take_a_constant_number_of_queries(
    world, agent, api_as, django_assert_max_num_queries
):
    client = api_as(agent)
    for _ in range(3):
        CIRelationshipFactory(source=world.server, target=CIFactory(owner=UserFactory()))
    with CaptureQueriesContext(connection) as small:
        client.get(f"{CIS}{world.server.pk}/relationships/")

    for _ in range(30):
        CIRelationshipFactory(source=CIFactory(), target=world.server)
        CIRelationshipFactory(source=world.server, target=CIFactory())
    with django_assert_max_num_queries(len(small)):
        rows = client.get(f"{CIS}{world.server.pk}/relationships/").json()

    assert len(rows) == 64


# The schema


CMDB_OPERATIONS = {
    ("get", "/api/v1/ci-classes/"),
    ("post", "/api/v1/ci-classes/"),
    ("get", "/api/v1/ci-classes/{id}/"),
    ("patch", "/api/v1/ci-classes/{id}/"),
    ("get", "/api/v1/relationship-types/"),
    ("get", "/api/v1/relationship-types/{id}/"),
    ("get", "/api/v1/cis/"),
    ("post", "/api/v1/cis/"),
    ("get", "/api/v1/cis/{id}/"),
    ("patch", "/api/v1/cis/{id}/"),
    ("get", "/api/v1/cis/{id}/transitions/"),
    ("post", "/api/v1/cis/{id}/transitions/"),
    ("get", "/api/v1/cis/{id}/relationships/"),
    ("get", "/api/v1/cis/{id}/history/"),
    ("get", "/api/v1/ci-relationships/"),
    ("post", "/api/v1/ci-relationships/"),
    ("get", "/api/v1/ci-relationships/{id}/"),
    ("delete", "/api/v1/ci-relationships/{id}/"),
}


@pytest.fixture
def openapi(db) -> dict:
    return APIClient().get("/api/schema/", {"format": "json"}).json()


@pytest.mark.parametrize(("method", "path"), sorted(CMDB_OPERATIONS))
def test_schema_documents_each_cmdb_operation_with_its_errors(method, path, openapi):
    responses = openapi["paths"][path][method]["responses"]

    expected = {"401", "403", "404"} | ({"400"} if method in ("post", "patch") else set())
    assert expected <= set(responses), sorted(responses)


def test_schema_documents_the_409_of_an_illegal_transition(openapi):
    assert "409" in openapi["paths"]["/api/v1/cis/{id}/transitions/"]["post"]["responses"]


@pytest.mark.parametrize(
    ("path", "parameters"),
    [
        ("/api/v1/cis/", {"class", "status", "q", "hostname", "support_group", "cursor", "page_size"}),
        ("/api/v1/ci-relationships/", {"source", "target", "type", "ci", "cursor"}),
        ("/api/v1/cis/{id}/history/", {"cursor", "page_size"}),
    ],
)
def test_schema_documents_the_filters_and_pages(path, parameters, openapi):
    documented = {parameter["name"] for parameter in openapi["paths"][path]["get"]["parameters"]}

    assert parameters <= documented
