import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cmdb.models import CIClass, ConfigurationItem
from cmdb.services import baselines
from cmdb.services.baselines import baseline_restore_many, baseline_take
from cmdb.services.items import ci_create, ci_update
from servicedesk.errors import PermissionDenied
from servicedesk.models import AuditEvent
from servicedesk.roles import AGENT, CONFIGURATION_MANAGER

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return UserFactory(roles=[CONFIGURATION_MANAGER])


def _servers(count: int, start: int = 0) -> list[ConfigurationItem]:
    server = CIClass.objects.get(code="server")
    return [
        ci_create(
            actor=None, name=f"srv-{n:03d}", ci_class=server, attributes={"cpu_count": 4}, version="1.0"
        )
        for n in range(start, start + count)
    ]


def _upgrade(cis, version="2.0"):
    for ci in cis:
        ci_update(ci=ci, actor=None, version=version, attributes={"cpu_count": 8}, via="test")


def test_restore_many_puts_back_version_and_attributes_with_history_and_one_audit_event(manager):
    cis = _servers(3)
    baseline = baseline_take(actor=None, name="Before", cis=cis)
    _upgrade(cis)
    revisions = {ci.pk: ci.revision for ci in ConfigurationItem.objects.filter(pk__in=[c.pk for c in cis])}
    AuditEvent.objects.all().delete()

    count = baseline_restore_many(baseline=baseline, cis=cis[:2], actor=manager, via="release:REL0000001")

    assert count == 2
    restored = {ci.pk: ci for ci in ConfigurationItem.objects.filter(pk__in=[c.pk for c in cis])}
    for ci in cis[:2]:
        assert restored[ci.pk].version == "1.0"
        assert restored[ci.pk].attributes == {"cpu_count": 4}
        assert restored[ci.pk].revision == revisions[ci.pk] + 1
        last = restored[ci.pk].history.order_by("-history_id").first()
        assert last.history_change_reason == "release:REL0000001"
        assert last.history_user == manager
        assert last.version == "1.0"
    assert restored[cis[2].pk].version == "2.0"
    assert restored[cis[2].pk].revision == revisions[cis[2].pk]
    events = AuditEvent.objects.all()
    assert [(e.action, e.object_id) for e in events] == [("baseline.restored", str(baseline.pk))]
    assert events[0].data == {"cis": 2, "restored": 2, "via": "release:REL0000001"}


def test_a_ci_already_as_in_the_baseline_is_not_written():
    cis = _servers(2)
    baseline = baseline_take(actor=None, name="Before", cis=cis)
    _upgrade(cis[:1])
    histories = cis[1].history.count()

    assert baseline_restore_many(baseline=baseline, cis=cis, actor=None, via="release:REL0000002") == 1
    assert cis[1].history.count() == histories


def test_a_ci_the_baseline_does_not_hold_refuses_the_whole_restore():
    cis = _servers(2)
    baseline = baseline_take(actor=None, name="Before", cis=cis[:1])
    _upgrade(cis)

    with pytest.raises(ValidationError) as raised:
        baseline_restore_many(baseline=baseline, cis=cis, actor=None, via="x")

    assert "cis" in raised.value.message_dict
    assert ConfigurationItem.objects.get(pk=cis[0].pk).version == "2.0"


def test_attributes_that_no_longer_fit_the_schema_are_refused():
    cis = _servers(1)
    baseline = baseline_take(actor=None, name="Before", cis=cis)
    _upgrade(cis)
    baseline.items.update(attributes={"cpu_count": 0})

    with pytest.raises(ValidationError) as raised:
        baseline_restore_many(baseline=baseline, cis=cis, actor=None, via="x")

    assert any("cpu_count" in key for key in raised.value.message_dict)


def test_someone_who_may_not_change_cis_may_not_restore():
    cis = _servers(1)
    baseline = baseline_take(actor=None, name="Before", cis=cis)

    with pytest.raises(PermissionDenied):
        baseline_restore_many(baseline=baseline, cis=cis, actor=UserFactory(roles=[AGENT]), via="x")


def test_restoring_one_ci_puts_back_what_the_bulk_restore_does(manager):
    cis = _servers(1)
    baseline = baseline_take(actor=None, name="Before", cis=cis)
    _upgrade(cis)

    baselines.baseline_restore_ci(baseline=baseline, ci=cis[0], actor=manager, via="x")

    assert baselines.restored_fields(baseline.items.get()) == {
        "attributes": {"cpu_count": 4},
        "version": "1.0",
    }
    assert ConfigurationItem.objects.get(pk=cis[0].pk).version == "1.0"


def test_the_restore_runs_the_same_statements_for_2_cis_as_for_30():
    few = _servers(2)
    many = _servers(30, start=100)
    first = baseline_take(actor=None, name="Few", cis=few)
    second = baseline_take(actor=None, name="Many", cis=many)
    _upgrade(few + many)

    with CaptureQueriesContext(connection) as for_few:
        baseline_restore_many(baseline=first, cis=few, actor=None, via="x")
    with CaptureQueriesContext(connection) as for_many:
        assert baseline_restore_many(baseline=second, cis=many, actor=None, via="x") == 30

    assert len(for_many.captured_queries) == len(for_few.captured_queries)
    versions = ConfigurationItem.objects.filter(pk__in=[c.pk for c in many]).values_list("version", flat=True)
    assert set(versions) == {"1.0"}


def test_each_batch_costs_the_same_statements(monkeypatch):
    monkeypatch.setattr(baselines, "BATCH", 2)
    counts = []
    for n, size in enumerate((2, 6, 10)):
        cis = _servers(size, start=100 * n)
        baseline = baseline_take(actor=None, name=f"B{n}", cis=cis)
        _upgrade(cis)
        with CaptureQueriesContext(connection) as captured:
            assert baseline_restore_many(baseline=baseline, cis=cis, actor=None, via="x") == size
        counts.append(len(captured.captured_queries))

    assert counts[2] - counts[1] == counts[1] - counts[0] <= 2 * 5  # two batches more, each at most 5


def test_a_database_without_arrays_restores_through_bulk_update(monkeypatch):
    """`make run` keeps its desk in SQLite, which binds no arrays: the restore writes the same rows."""
    cis = _servers(2)
    baseline = baseline_take(actor=None, name="Before", cis=cis)
    _upgrade(cis)
    revision = ConfigurationItem.objects.get(pk=cis[0].pk).revision
    monkeypatch.setattr(connection, "vendor", "sqlite")

    with CaptureQueriesContext(connection) as queries:
        assert baseline_restore_many(baseline=baseline, cis=cis, actor=None, via="release:REL0000003") == 2

    assert not any("unnest" in query["sql"] for query in queries.captured_queries)
    restored = ConfigurationItem.objects.get(pk=cis[0].pk)
    assert (restored.version, restored.attributes, restored.revision) == (
        "1.0",
        {"cpu_count": 4},
        revision + 1,
    )
