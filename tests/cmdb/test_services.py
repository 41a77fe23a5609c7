"""CMDB services: status transitions, identifiers, locations, relationship rules, audit and history."""

import pytest
from django.core.exceptions import ValidationError

from cmdb.models import CIRelationship, ConfigurationItem
from cmdb.selectors import business_service_list
from cmdb.services.items import ci_allowed_statuses, ci_create, ci_transition, ci_update
from cmdb.services.relationships import relationship_create, relationship_delete
from servicedesk.errors import Conflict, PermissionDenied
from servicedesk.models import AuditEvent

from .factories import CIFactory, CIRelationshipFactory, ci_class, relationship_type

pytestmark = pytest.mark.django_db

STATUSES = ConfigurationItem.Status.values
ALLOWED = {
    "planned": {"ordered", "in_stock", "in_production", "retired"},
    "ordered": {"in_stock", "retired"},
    "in_stock": {"in_production", "retired"},
    "in_production": {"in_maintenance", "retired"},
    "in_maintenance": {"in_production", "retired"},
    "retired": {"in_stock"},
}
PAIRS = [(source, target) for source in STATUSES for target in STATUSES]


@pytest.mark.parametrize("status", STATUSES)
def test_allowed_statuses_follow_the_lifecycle(status):
    assert set(ci_allowed_statuses(CIFactory(status=status))) == ALLOWED[status]


@pytest.mark.parametrize(
    ("source", "target"), [pair for pair in PAIRS if pair[1] in ALLOWED[pair[0]]], ids="{0[0]}->{0[1]}".format
)
def test_allowed_transition_moves_audits_and_records_history(source, target, configuration_manager):
    ci = CIFactory(status=source)

    ci_transition(ci=ci, actor=configuration_manager, to=target, via="api")

    ci.refresh_from_db()
    assert ci.status == target
    event = AuditEvent.objects.get(action="ci.status_changed", object_id=str(ci.pk))
    assert (event.actor, event.data) == (configuration_manager, {"from": source, "to": target, "via": "api"})
    record = ci.history.latest("history_id")
    assert (record.status, record.history_user, record.history_change_reason) == (
        target,
        configuration_manager,
        "api",
    )


@pytest.mark.parametrize(
    ("source", "target"),
    [pair for pair in PAIRS if pair[1] not in ALLOWED[pair[0]]],
    ids="{0[0]}->{0[1]}".format,
)
def test_refused_transition_raises_conflict_listing_the_allowed_ones(source, target, configuration_manager):
    ci = CIFactory(status=source)
    history = ci.history.count()

    with pytest.raises(Conflict) as exc_info:
        ci_transition(ci=ci, actor=configuration_manager, to=target)

    assert exc_info.value.code == "invalid_transition"
    assert set(exc_info.value.extra["allowed"]) == ALLOWED[source]
    ci.refresh_from_db()
    assert ci.status == source
    assert ci.history.count() == history
    assert not AuditEvent.objects.filter(action="ci.status_changed").exists()


@pytest.mark.parametrize("role", ["agent", "requester"])
@pytest.mark.parametrize("write", ["create", "update", "transition", "relate", "unrelate"])
def test_only_configuration_managers_write(write, role, request):
    actor = request.getfixturevalue(role)
    ci = CIFactory()
    calls = {
        "create": lambda: ci_create(actor=actor, name="x", ci_class=ci_class("server")),
        "update": lambda: ci_update(ci=ci, actor=actor, version="2"),
        "transition": lambda: ci_transition(ci=ci, actor=actor, to="ordered"),
        "relate": lambda: relationship_create(
            actor=actor, source=ci, target=CIFactory(), type=relationship_type("runs_on")
        ),
        "unrelate": lambda: relationship_delete(actor=actor, relationship=CIRelationshipFactory()),
    }

    with pytest.raises(PermissionDenied):
        calls[write]()

    assert not AuditEvent.objects.filter(action__startswith="ci.").exists()


def test_create_may_start_in_any_status(configuration_manager):
    ci = ci_create(
        actor=configuration_manager, name="found", ci_class=ci_class("server"), status="in_production"
    )

    assert ci.status == "in_production"


@pytest.mark.parametrize(
    ("field", "existing", "new"),
    [
        ("serial_number", "SN-1", "SN-1"),
        ("asset_tag", "AT-1", "AT-1"),
        ("hostname", "web-01.example.com", "WEB-01.Example.COM"),
        ("external_id", "vm-1", "vm-1"),
        ("serial_number", "SN-1", "  SN-1  "),
    ],
)
def test_identifiers_are_unique_where_present(field, existing, new, configuration_manager):
    CIFactory(**{field: existing})

    with pytest.raises(ValidationError) as exc_info:
        ci_create(actor=configuration_manager, name="dup", ci_class=ci_class("server"), **{field: new})

    assert set(exc_info.value.message_dict) == {field}


@pytest.mark.parametrize("field", ["serial_number", "asset_tag", "hostname", "external_id"])
def test_blank_identifiers_may_repeat(field, configuration_manager):
    CIFactory(**{field: ""})

    ci = ci_create(actor=configuration_manager, name="blank", ci_class=ci_class("server"), **{field: ""})

    assert getattr(ci, field) == ""


def test_update_keeping_its_own_identifier_is_not_a_duplicate(configuration_manager):
    ci = CIFactory(hostname="web-01")

    ci_update(ci=ci, actor=configuration_manager, hostname="WEB-01")

    ci.refresh_from_db()
    assert ci.hostname == "WEB-01"


@pytest.mark.parametrize(
    ("location_class", "allowed"), [("location", True), ("server", False), ("document", False)]
)
def test_location_must_be_a_location_ci(location_class, allowed, configuration_manager):
    place = CIFactory(ci_class=ci_class(location_class))

    def create():
        return ci_create(actor=configuration_manager, name="x", ci_class=ci_class("server"), location=place)

    if allowed:
        assert create().location == place
    else:
        with pytest.raises(ValidationError) as exc_info:
            create()
        assert set(exc_info.value.message_dict) == {"location"}


def test_a_location_cannot_be_its_own_location(configuration_manager):
    site = CIFactory(ci_class=ci_class("location"))

    with pytest.raises(ValidationError) as exc_info:
        ci_update(ci=site, actor=configuration_manager, location=site)

    assert set(exc_info.value.message_dict) == {"location"}


@pytest.mark.parametrize("field", ["status", "created_at", "id"])
def test_update_refuses_fields_it_does_not_own(field, configuration_manager):
    ci = CIFactory()

    with pytest.raises(ValidationError) as exc_info:
        ci_update(ci=ci, actor=configuration_manager, **{field: None})

    assert set(exc_info.value.message_dict) == {field}


def test_create_and_update_are_audited_and_recorded_with_actor_and_channel(configuration_manager):
    ci = ci_create(actor=configuration_manager, name="srv", ci_class=ci_class("server"), via="import:7")
    ci_update(ci=ci, actor=configuration_manager, via="api", version="2.0", attributes={"cpu_count": 4})

    created, updated = AuditEvent.objects.filter(object_id=str(ci.pk)).order_by("id")
    assert (created.action, created.actor, created.data["via"]) == (
        "ci.created",
        configuration_manager,
        "import:7",
    )
    assert (updated.action, updated.actor) == ("ci.updated", configuration_manager)
    assert updated.data == {
        "changes": {"version": {"from": "", "to": "2.0"}, "attributes": {"from": {}, "to": {"cpu_count": 4}}},
        "via": "api",
    }
    records = list(ci.history.order_by("history_id"))
    assert [(r.history_type, r.history_user, r.history_change_reason) for r in records] == [
        ("+", configuration_manager, "import:7"),
        ("~", configuration_manager, "api"),
    ]


def test_an_update_that_changes_nothing_writes_nothing(configuration_manager):
    ci = CIFactory(version="1.0")

    ci_update(ci=ci, actor=configuration_manager, version="1.0")

    assert ci.history.count() == 1
    assert not AuditEvent.objects.exists()


def test_the_system_writes_without_an_actor():
    ci = ci_create(actor=None, name="discovered", ci_class=ci_class("server"), via="system")

    event = AuditEvent.objects.get(action="ci.created")
    assert (event.actor, event.actor_label) == (None, "")
    assert ci.history.get().history_user is None


# Relationships


def test_relationship_is_created_audited_and_recorded(configuration_manager):
    app, server = CIFactory(), CIFactory()

    relationship = relationship_create(
        actor=configuration_manager, source=app, target=server, type=relationship_type("runs_on"), via="api"
    )

    event = AuditEvent.objects.get(action="ci.relationship_created")
    assert (event.actor, event.object_id, event.data["via"]) == (configuration_manager, str(app.pk), "api")
    record = relationship.history.get()
    assert (record.history_user, record.history_change_reason) == (configuration_manager, "api")


@pytest.mark.parametrize("type_code", ["runs_on", "connected_to"])
def test_a_ci_cannot_be_related_to_itself(type_code, configuration_manager):
    ci = CIFactory()

    with pytest.raises(ValidationError) as exc_info:
        relationship_create(
            actor=configuration_manager, source=ci, target=ci, type=relationship_type(type_code)
        )

    assert set(exc_info.value.message_dict) == {"target"}


@pytest.mark.parametrize(
    ("type_code", "reverse", "refused"),
    [
        ("runs_on", False, True),  # the same edge twice
        ("connected_to", False, True),
        ("connected_to", True, True),  # symmetric: B-A is A-B
        ("runs_on", True, False),  # directed: B runs on A is another statement
        ("depends_on", True, False),
    ],
)
def test_duplicate_relationships_are_refused(type_code, reverse, refused, configuration_manager):
    a, b = CIFactory(), CIFactory()
    rel_type = relationship_type(type_code)
    relationship_create(actor=configuration_manager, source=a, target=b, type=rel_type)
    source, target = (b, a) if reverse else (a, b)

    if refused:
        with pytest.raises(ValidationError) as exc_info:
            relationship_create(actor=configuration_manager, source=source, target=target, type=rel_type)
        assert set(exc_info.value.message_dict) == {"non_field_errors"}
        assert CIRelationship.objects.count() == 1
    else:
        relationship_create(actor=configuration_manager, source=source, target=target, type=rel_type)
        assert CIRelationship.objects.count() == 2


def test_same_ends_with_another_type_are_allowed(configuration_manager):
    a, b = CIFactory(), CIFactory()
    relationship_create(actor=configuration_manager, source=a, target=b, type=relationship_type("runs_on"))

    relationship_create(actor=configuration_manager, source=a, target=b, type=relationship_type("depends_on"))

    assert CIRelationship.objects.count() == 2


def test_deleting_a_relationship_is_audited_and_kept_in_history(configuration_manager):
    relationship = CIRelationshipFactory()
    pk = relationship.pk

    relationship_delete(actor=configuration_manager, relationship=relationship, via="api")

    assert not CIRelationship.objects.filter(pk=pk).exists()
    event = AuditEvent.objects.get(action="ci.relationship_deleted")
    assert (event.actor, event.data["relationship"], event.data["via"]) == (configuration_manager, pk, "api")
    deleted = CIRelationship.history.get(id=pk, history_type="-")
    assert (deleted.history_user, deleted.history_change_reason) == (configuration_manager, "api")


def test_a_location_holding_cis_cannot_become_another_class(configuration_manager):
    site = CIFactory(ci_class=ci_class("location"))
    CIFactory(location=site)

    with pytest.raises(ValidationError) as exc_info:
        ci_update(ci=site, actor=configuration_manager, ci_class=ci_class("server"))

    assert set(exc_info.value.message_dict) == {"ci_class"}


def test_a_concurrent_duplicate_identifier_refused_by_the_database_is_a_validation_error(
    configuration_manager, monkeypatch
):
    from cmdb.services import items

    ci_create(actor=configuration_manager, name="first", ci_class=ci_class("server"), serial_number="SN-RACE")
    # The other request passed its checks before this one committed: only the constraint is left.
    monkeypatch.setattr(items, "_validate", lambda ci: None)

    with pytest.raises(ValidationError) as exc_info:
        ci_create(
            actor=configuration_manager, name="second", ci_class=ci_class("server"), serial_number="SN-RACE"
        )

    assert exc_info.value.message_dict == {
        "non_field_errors": ["Another CI already has one of these identifiers."]
    }


def test_a_concurrent_duplicate_relationship_refused_by_the_database_is_a_validation_error(
    configuration_manager, monkeypatch
):
    from cmdb.services import relationships

    app = ci_create(actor=configuration_manager, name="app", ci_class=ci_class("application"))
    server = ci_create(actor=configuration_manager, name="srv", ci_class=ci_class("server"))
    runs_on = relationship_type("runs_on")
    relationship_create(actor=configuration_manager, source=app, target=server, type=runs_on)
    monkeypatch.setattr(relationships, "_duplicates", lambda *args: CIRelationship.objects.none())

    with pytest.raises(ValidationError) as exc_info:
        relationship_create(actor=configuration_manager, source=app, target=server, type=runs_on)

    assert exc_info.value.message_dict == {"non_field_errors": ["These CIs are already related this way."]}


def test_the_service_catalogue_is_the_business_services_that_are_not_retired(db):
    service_class = ci_class("business_service")
    live = CIFactory(ci_class=service_class, name="Payroll", status="in_production")
    CIFactory(ci_class=service_class, name="Old payroll", status="retired")
    CIFactory(name="A server", status="in_production")

    assert list(business_service_list()) == [live]
