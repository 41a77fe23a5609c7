"""The kernel's bulk writer: each row its own values, in one statement per batch, on PostgreSQL; the same
rows through Django's `bulk_update` where the database binds no arrays (SQLite, `make run`)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cmdb.models import ConfigurationItem
from servicedesk import bulkwrite
from servicedesk.bulkwrite import bulk_write

from ..cmdb.factories import CIFactory

pytestmark = pytest.mark.django_db


def _rows(count: int):
    items = [CIFactory(name=f"srv-{n}", version="1.0") for n in range(count)]
    later = timezone.now() + timedelta(days=1)
    for n, ci in enumerate(items):
        ci.version = f"2.{n}"
        ci.description = "" if n % 2 else f"node {n}"
        ci.updated_at = later + timedelta(minutes=n)
    return items, later


@pytest.mark.parametrize("vendor", ["postgresql", "sqlite"])
def test_each_row_gets_its_own_values(monkeypatch, vendor):
    items, later = _rows(5)
    monkeypatch.setattr(connection, "vendor", vendor)

    bulk_write(ConfigurationItem, items, ["version", "description", "updated_at"])

    monkeypatch.undo()
    for n, ci in enumerate(items):
        stored = ConfigurationItem.objects.get(pk=ci.pk)
        assert stored.version == f"2.{n}"
        assert stored.description == ("" if n % 2 else f"node {n}")
        assert stored.updated_at == later + timedelta(minutes=n)


def test_json_values_stay_json_and_one_statement_writes_a_batch(monkeypatch):
    monkeypatch.setattr(bulkwrite, "BATCH", 3)
    items = [CIFactory(name=f"app-{n}") for n in range(6)]
    for n, ci in enumerate(items):
        ci.attributes = {"n": n, "tags": ["a", "ü"]} if n else {}

    with CaptureQueriesContext(connection) as queries:
        bulk_write(ConfigurationItem, items, ["attributes"], batch_size=3)

    assert len(queries.captured_queries) == 2
    assert [ConfigurationItem.objects.get(pk=ci.pk).attributes for ci in items] == [
        {},
        *({"n": n, "tags": ["a", "ü"]} for n in range(1, 6)),
    ]


def test_nothing_to_write_runs_nothing():
    with CaptureQueriesContext(connection) as queries:
        bulk_write(ConfigurationItem, [], ["version"])

    assert queries.captured_queries == []
