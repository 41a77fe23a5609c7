"""`ci_update_many`: many CIs validated as one is, written in batches with their history and one audit
event."""

import pytest
from django.core.exceptions import ValidationError

from cmdb.models import ConfigurationItem
from cmdb.services.bulk import ci_update_many
from servicedesk.errors import PermissionDenied
from servicedesk.models import AuditEvent

from .factories import CIFactory

pytestmark = pytest.mark.django_db


def servers(count: int, **fields) -> list[ConfigurationItem]:
    return [CIFactory(name=f"web-{n:03}", version="1.0", **fields) for n in range(count)]


def test_each_ci_is_updated_with_its_history_reason_and_revision(configuration_manager):
    cis = servers(3, attributes={"cpu_count": 4})
    revisions = [ci.revision for ci in cis]
    changed = ci_update_many(
        updates=[(ci, {"version": "2.0", "attributes": {"operating_system": "Debian"}}) for ci in cis],
        actor=configuration_manager,
        via="release:REL0000001",
        merge_attributes=True,
    )
    assert len(changed) == 3
    for ci, revision in zip(cis, revisions, strict=True):
        ci.refresh_from_db()
        assert ci.version == "2.0"
        assert ci.attributes == {"cpu_count": 4, "operating_system": "Debian"}
        assert ci.revision == revision + 1
        record = ci.history.latest("history_id")
        assert (record.version, record.history_user, record.history_change_reason, record.history_type) == (
            "2.0",
            configuration_manager,
            "release:REL0000001",
            "~",
        )
    event = AuditEvent.objects.get(action="ci.updated_many")
    assert event.data["cis"] == sorted(ci.pk for ci in cis)
    assert event.data["via"] == "release:REL0000001"
    assert event.actor == configuration_manager


def test_without_merging_the_attributes_given_replace_the_cis(configuration_manager):
    (ci,) = servers(1, attributes={"cpu_count": 4})
    ci_update_many(updates=[(ci, {"attributes": {"memory_gb": 8}})], actor=None, via="system")
    ci.refresh_from_db()
    assert ci.attributes == {"memory_gb": 8}


def test_attributes_against_the_class_schema_refuse_the_whole_batch(configuration_manager):
    good, bad = servers(2)
    with pytest.raises(ValidationError) as refused:
        ci_update_many(
            updates=[(good, {"version": "2.0"}), (bad, {"attributes": {"cpu_count": 0}})],
            actor=configuration_manager,
            via="api",
        )
    assert refused.value.message_dict == {"attributes.cpu_count": ["web-001: Must be at least 1."]}
    good.refresh_from_db()
    assert good.version == "1.0"
    assert not AuditEvent.objects.filter(action="ci.updated_many").exists()


@pytest.mark.parametrize(("fields", "key"), [({"name": "x"}, "name"), ({"version": "v" * 101}, "version")])
def test_fields_it_does_not_own_or_bad_values_are_refused(fields, key, configuration_manager):
    (ci,) = servers(1)
    with pytest.raises(ValidationError) as refused:
        ci_update_many(updates=[(ci, fields)], actor=configuration_manager, via="api")
    assert key in refused.value.message_dict


def test_what_changes_nothing_writes_nothing(configuration_manager):
    cis = servers(2)
    history = sum(ci.history.count() for ci in cis)
    assert ci_update_many(updates=[(ci, {"version": "1.0"}) for ci in cis], actor=None, via="x") == []
    assert sum(ci.history.count() for ci in cis) == history
    assert not AuditEvent.objects.filter(action="ci.updated_many").exists()


def test_who_may_not_change_the_cmdb_is_refused(agent):
    (ci,) = servers(1)
    with pytest.raises(PermissionDenied):
        ci_update_many(updates=[(ci, {"version": "2.0"})], actor=agent, via="api")


def test_many_cis_cost_a_constant_number_of_statements(configuration_manager, django_assert_max_num_queries):
    cis = servers(60, attributes={"cpu_count": 2})
    updates = [(ci, {"version": "3.0", "attributes": {"cpu_count": 8}}) for ci in cis]
    with django_assert_max_num_queries(10):
        ci_update_many(updates=updates, actor=configuration_manager, via="release:REL0000002")
    assert ConfigurationItem.objects.filter(version="3.0", attributes__cpu_count=8).count() == 60


def test_the_system_writes_on_behalf_of_the_person_it_names(agent):
    (ci,) = servers(1)
    ci_update_many(
        updates=[(ci, {"version": "2.0"})], actor=None, via="release:REL0000003", on_behalf_of=agent
    )
    record = ci.history.latest("history_id")
    assert (record.history_user, record.history_change_reason) == (agent, "release:REL0000003")
    assert AuditEvent.objects.get(action="ci.updated_many").actor == agent
