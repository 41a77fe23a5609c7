"""The bench's forward schedule (issue 16) at a tiny scale: made once, and conflict detection timed on a
change on the hub finds the changes on its dependants in a bounded number of statements."""

import pytest

from changes.models import Change
from cmdb.models import CIRelationship, ConfigurationItem
from itsm.bench import changes as bench_changes
from itsm.bench import data

from .test_bench import tiny  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


def test_the_schedule_is_made_once(tiny):  # noqa: F811
    made = bench_changes.ensure(count=200, dependants=30)
    hub = ConfigurationItem.objects.get(name=bench_changes.HUB)
    assert made == {"changes": 200, "dependants": 30, "hub": hub.pk}
    assert CIRelationship.objects.filter(target=hub).count() == 30
    bench = Change.objects.filter(title__startswith="Bench change")
    assert bench.count() == 200
    assert not bench.exclude(status="scheduled").exists()
    assert Change.affected_cis.through.objects.filter(change__in=bench).count() == 200
    assert bench_changes.ensure(count=200, dependants=30) == made  # again: nothing more
    assert bench.count() == 200
    assert data.meta_read()["change_conflicts"] == made


def test_conflict_detection_is_timed_and_finds_the_dependants_changes(tiny, monkeypatch):  # noqa: F811
    monkeypatch.setattr(bench_changes, "CHANGES", 300)
    monkeypatch.setattr(bench_changes, "DEPENDANTS", 40)
    monkeypatch.setattr(bench_changes, "ON_DEPENDANTS", 0.5)
    monkeypatch.setattr(bench_changes, "DAYS", 2)  # crowded: every slot meets some
    before = Change.objects.count()

    result = bench_changes.conflicts(budget=0.1, minimum=3, maximum=3)

    assert result["calls"] == 3
    assert result["p95_ms"] > 0
    assert result["conflicts"] > 0
    assert result["sql"] <= 16
    assert Change.objects.count() == before + 300  # the probe is gone
