import pytest
from django.core.exceptions import ValidationError

from cmdb.models import CIClass, RelationshipType
from cmdb.services.baselines import baseline_diff, baseline_restore_ci, baseline_take
from cmdb.services.items import ci_create, ci_update
from cmdb.services.relationships import relationship_create, relationship_delete
from servicedesk.errors import PermissionDenied
from servicedesk.models import AuditEvent
from servicedesk.roles import CONFIGURATION_MANAGER, REQUESTER

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


def _class(code):
    return CIClass.objects.get(code=code)


def _type(code):
    return RelationshipType.objects.get(code=code)


@pytest.fixture
def manager():
    return UserFactory(roles=[CONFIGURATION_MANAGER])


@pytest.fixture
def estate():
    server = ci_create(
        actor=None, name="srv-01", ci_class=_class("server"), attributes={"cpu_count": 4}, version="1.0"
    )
    other = ci_create(actor=None, name="srv-02", ci_class=_class("server"), attributes={"cpu_count": 2})
    database = ci_create(
        actor=None, name="db-01", ci_class=_class("database"), attributes={"engine": "postgresql"}
    )
    app = ci_create(actor=None, name="CRM app", ci_class=_class("application"))
    service = ci_create(actor=None, name="CRM", ci_class=_class("business_service"))
    relationship_create(actor=None, source=service, target=app, type=_type("depends_on"))
    relationship_create(actor=None, source=app, target=server, type=_type("runs_on"))
    relationship_create(actor=None, source=database, target=server, type=_type("runs_on"))
    return {"server": server, "other": other, "database": database, "app": app, "service": service}


def test_a_baseline_by_class_includes_its_subclasses_with_attributes_and_relationships(estate, manager):
    baseline = baseline_take(actor=manager, name="Hardware", classes=["hardware"])

    items = {item.name: item for item in baseline.items.all()}
    assert set(items) == {"srv-01", "srv-02"}
    assert items["srv-01"].attributes == {"cpu_count": 4}
    assert items["srv-01"].fields["version"] == "1.0"
    assert items["srv-01"].fields["ci_class"] == _class("server").pk
    assert sorted((e["type"], e["direction"], e["ci"]) for e in items["srv-01"].relationships) == sorted(
        [("runs_on", "in", estate["app"].pk), ("runs_on", "in", estate["database"].pk)]
    )
    assert baseline.scope == {"classes": ["hardware"]}
    event = AuditEvent.objects.get(action="baseline.created")
    assert event.actor == manager
    assert event.data["cis"] == 2


def test_a_baseline_of_a_service_holds_everything_it_depends_on(estate, manager):
    baseline = baseline_take(actor=manager, name="CRM", service=estate["service"])

    assert set(baseline.items.values_list("name", flat=True)) == {"CRM", "CRM app", "srv-01"}


def test_a_baseline_of_listed_cis_holds_exactly_those(estate, manager):
    baseline = baseline_take(actor=manager, name="Two", cis=[estate["database"], estate["other"]])

    assert set(baseline.items.values_list("name", flat=True)) == {"db-01", "srv-02"}


def test_a_baseline_with_nothing_in_scope_is_refused(manager):
    with pytest.raises(ValidationError) as caught:
        baseline_take(actor=manager, name="Empty")

    assert "non_field_errors" in caught.value.message_dict


def test_unknown_classes_are_refused(manager):
    with pytest.raises(ValidationError) as caught:
        baseline_take(actor=manager, name="Bad", classes=["spaceship"])

    assert caught.value.message_dict["classes"] == ["Unknown classes: spaceship."]


def test_a_requester_cannot_take_a_baseline(estate):
    with pytest.raises(PermissionDenied):
        baseline_take(actor=UserFactory(roles=[REQUESTER]), name="Nope", classes=["server"])


def test_the_diff_of_an_untouched_estate_is_empty(estate, manager):
    baseline = baseline_take(actor=manager, name="Servers", classes=["server"])

    assert baseline_diff(baseline=baseline) == {"added": [], "removed": [], "changed": []}


def test_the_diff_shows_added_removed_and_changed_fields_attributes_and_relationships(estate, manager):
    baseline = baseline_take(actor=manager, name="Servers", classes=["server"])
    ci_update(ci=estate["server"], actor=manager, version="2.0", attributes={"cpu_count": 8, "memory_gb": 64})
    new = ci_create(actor=None, name="srv-03", ci_class=_class("server"), attributes={})
    gone = estate["other"]
    gone_pk = gone.pk
    gone.delete()
    relationship_delete(actor=None, relationship=estate["server"].incoming.get(source=estate["database"]))

    diff = baseline_diff(baseline=baseline)

    assert diff["added"] == [{"ci": new.pk, "name": "srv-03"}]
    assert diff["removed"] == [{"ci": gone_pk, "name": "srv-02", "deleted": True}]
    [changed] = diff["changed"]
    assert changed["ci"] == estate["server"].pk
    assert changed["fields"] == {"version": {"from": "1.0", "to": "2.0"}}
    assert changed["attributes"] == {
        "cpu_count": {"from": 4, "to": 8},
        "memory_gb": {"from": None, "to": 64},
    }
    assert changed["relationships_removed"] == [
        {"type": "runs_on", "direction": "in", "ci": estate["database"].pk}
    ]
    assert changed["relationships_added"] == []


def test_restoring_a_ci_puts_back_its_recorded_attributes_and_version(estate, manager):
    baseline = baseline_take(actor=manager, name="Servers", classes=["server"])
    server = ci_update(ci=estate["server"], actor=manager, version="2.0", attributes={"cpu_count": 8})

    restored = baseline_restore_ci(baseline=baseline, ci=server, actor=manager, via="change:CHG0000001")

    restored.refresh_from_db()
    assert restored.attributes == {"cpu_count": 4}
    assert restored.version == "1.0"
    assert restored.history.first().history_change_reason == "change:CHG0000001"
    assert AuditEvent.objects.filter(action="ci.restored_from_baseline", object_id=str(server.pk)).exists()
    assert baseline_diff(baseline=baseline)["changed"] == []


def test_restoring_a_ci_the_baseline_does_not_hold_is_refused(estate, manager):
    baseline = baseline_take(actor=manager, name="Servers", classes=["server"])

    with pytest.raises(ValidationError):
        baseline_restore_ci(baseline=baseline, ci=estate["database"], actor=manager)
