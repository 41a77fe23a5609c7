"""The configuration kept in process memory (servicedesk.configmemo): never stale after an edit, whichever
process made it, and an edit rolled back leaves nothing behind."""

import pytest
from django.core.cache import cache
from django.db import transaction

from servicedesk.configmemo import GENERATION_KEY, config_forget
from servicedesk.models import BusinessCalendar, SLAPolicy
from servicedesk.sla.policies import calendar_schedules_all, policies_by_id


def _policy():
    calendar = BusinessCalendar.objects.create(name="24x7", time_zone="UTC")
    return SLAPolicy.objects.create(name="Standard", order=1, calendar=calendar)


def test_policies_are_read_once_until_an_edit(transactional_db, django_assert_num_queries):
    policy = _policy()
    policies_by_id()
    with django_assert_num_queries(0):
        assert policies_by_id()[policy.pk].name == "Standard"
    policy.name = "Gold"
    policy.save()
    assert policies_by_id()[policy.pk].name == "Gold"


def test_an_edit_committed_by_another_process_is_seen(transactional_db):
    policy = _policy()
    assert policies_by_id()[policy.pk].name == "Standard"
    # Another process writes and publishes a new generation; this one's memory is untouched.
    SLAPolicy.objects.filter(pk=policy.pk).update(name="Gold")
    assert policies_by_id()[policy.pk].name == "Standard"  # the copy is used while the generation holds
    cache.set(GENERATION_KEY, "another process's edit", None)
    assert policies_by_id()[policy.pk].name == "Gold"


def test_a_lost_generation_reads_again(transactional_db):
    policy = _policy()
    policies_by_id()
    SLAPolicy.objects.filter(pk=policy.pk).update(name="Gold")
    cache.clear()  # Redis restarted or flushed
    assert policies_by_id()[policy.pk].name == "Gold"


def test_a_transaction_sees_its_own_edit_and_a_rollback_leaves_nothing(transactional_db):
    policy = _policy()
    assert policies_by_id()[policy.pk].name == "Standard"
    seen = []

    def edit_then_fail():
        with transaction.atomic():
            policy.name = "Gold"
            policy.save()
            seen.append(policies_by_id()[policy.pk].name)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        edit_then_fail()
    assert seen == ["Gold"]
    assert policies_by_id()[policy.pk].name == "Standard"
    assert cache.get(GENERATION_KEY) is not None


def test_calendar_hours_set_in_bulk_are_seen(transactional_db):
    from servicedesk.sla.calendars import calendar_set_hours

    calendar = BusinessCalendar.objects.create(name="Office", time_zone="UTC")
    assert calendar_schedules_all()[calendar.pk].weekly[0] == ()
    calendar_set_hours(calendar=calendar, actor=None, weekly={0: [(540, 1020)]})
    assert calendar_schedules_all()[calendar.pk].weekly[0] == ((540, 1020),)


def test_without_the_cache_every_read_goes_to_the_database(transactional_db, monkeypatch):
    policy = _policy()
    policies_by_id()

    def down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(cache, "get", down)
    SLAPolicy.objects.filter(pk=policy.pk).update(name="Gold")
    assert policies_by_id()[policy.pk].name == "Gold"


@pytest.fixture(autouse=True)
def _forget():
    config_forget()
    yield
    config_forget()
