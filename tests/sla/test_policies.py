"""Which policy covers a record, its targets and thresholds, and the time zone its hours count in."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from servicedesk.models import EscalationRule, SLAPolicy
from servicedesk.sla.adapters import SLAFacts
from servicedesk.sla.policies import (
    Schedules,
    clock_time_zone,
    policies_with_rules,
    policy_match,
    policy_target,
    policy_thresholds,
)

from ..factories import OrganisationFactory
from .conftest import HOURS, make_policy


def facts(**overrides) -> SLAFacts:
    values = {
        "kind": "incident",
        "priority": 3,
        "organisation_id": None,
        "service_policy_id": None,
        "pause_reason": "",
        "responded": False,
        "resolved": False,
        "cancelled": False,
    }
    return SLAFacts(**{**values, **overrides})


# Matching ----------------------------------------------------------------------------------------------


def test_the_lowest_order_wins(always):
    make_policy(always, name="Later", order=20)
    first = make_policy(always, name="First", order=10)

    assert policy_match(facts()) == first


def test_equal_orders_fall_back_to_the_oldest(always):
    older = make_policy(always, name="Older", order=10)
    make_policy(always, name="Newer", order=10)

    assert policy_match(facts()) == older


def test_a_retired_policy_is_skipped(always):
    make_policy(always, name="Retired", order=10, is_active=False)
    current = make_policy(always, name="Current", order=20)

    assert policy_match(facts()) == current


def test_nothing_matches_without_policies(db):
    assert policy_match(facts()) is None


@pytest.mark.parametrize(
    ("criteria", "record", "applies"),
    [
        ({"kinds": ["request"]}, {"kind": "incident"}, False),
        ({"kinds": ["request", "incident"]}, {"kind": "incident"}, True),
        ({"priorities": [1, 2]}, {"priority": 3}, False),
        ({"priorities": [1, 2]}, {"priority": 2}, True),
        ({"priorities": ["2"]}, {"priority": 2}, True),  # as a form may store them
        ({}, {"kind": "request", "priority": 5}, True),
    ],
)
def test_criteria_narrow_a_policy(always, criteria, record, applies):
    narrow = make_policy(always, name="Narrow", order=10, **criteria)
    general = make_policy(always, name="General", order=20)

    assert policy_match(facts(**record)) == (narrow if applies else general)


def test_organisations_narrow_a_policy(always, organisation):
    gold = make_policy(always, name="Gold customers", order=10)
    gold.organisations.add(organisation)
    general = make_policy(always, name="General", order=20)

    assert policy_match(facts(organisation_id=organisation.pk)) == gold
    assert policy_match(facts(organisation_id=OrganisationFactory().pk)) == general
    assert policy_match(facts(organisation_id=None)) == general


def test_a_services_only_policy_applies_only_to_the_services_naming_it(always):
    reserved = make_policy(always, name="Reserved", order=1, services_only=True)
    general = make_policy(always, name="General", order=20)

    assert policy_match(facts()) == general
    assert policy_match(facts(service_policy_id=reserved.pk)) == reserved


def test_the_services_named_policy_wins_over_a_lower_order(always):
    make_policy(always, name="General", order=1)
    named = make_policy(always, name="Named", order=50)

    assert policy_match(facts(service_policy_id=named.pk)) == named


def test_a_named_policy_that_does_not_apply_falls_back_to_the_order(always):
    general = make_policy(always, name="General", order=20)
    requests_only = make_policy(always, name="Requests", order=50, kinds=["request"], services_only=True)

    assert policy_match(facts(service_policy_id=requests_only.pk)) == general
    assert policy_match(facts(kind="request", service_policy_id=requests_only.pk)) == requests_only


def test_a_retired_named_policy_falls_back_to_the_order(always):
    general = make_policy(always, name="General", order=20)
    retired = make_policy(always, name="Retired", order=1, is_active=False)

    assert policy_match(facts(service_policy_id=retired.pk)) == general


def test_a_given_list_of_policies_is_matched_without_queries(always, django_assert_num_queries):
    general = make_policy(always, name="General", order=20)
    policies = list(policies_with_rules())

    with django_assert_num_queries(0):
        assert policy_match(facts(), policies) == general


# Targets and thresholds ---------------------------------------------------------------------------------


def test_a_target_is_read_per_metric_and_priority(always):
    policy = make_policy(always, response=30 * timedelta(minutes=1), resolution=4 * HOURS)
    policy.targets.filter(priority=5).delete()

    assert policy_target(policy, "response", 3) == 1800
    assert policy_target(policy, "resolution", 3) == 4 * 3600
    assert policy_target(policy, "resolution", 5) is None


def _keys(policy, metric="resolution", target=10 * 3600):
    policy = policies_with_rules().get(pk=policy.pk)
    return [(t.key, t.seconds) for t in policy_thresholds(policy, metric, target)]


def test_thresholds_come_in_the_order_the_clock_crosses_them(always):
    policy = make_policy(always, warning_percents=[90, 50, 75, 50, 0, 100, 120], warning_minutes=30)
    early = EscalationRule.objects.create(
        policy=policy, metric="resolution", percent=75, notify_assignee=True
    )
    at_breach = EscalationRule.objects.create(
        policy=policy, metric="resolution", percent=100, notify_group_manager=True
    )
    late = EscalationRule.objects.create(policy=policy, metric="resolution", percent=150, raise_priority=True)
    EscalationRule.objects.create(policy=policy, metric="response", percent=50, notify_assignee=True)

    assert _keys(policy) == [
        ("warning:50", 5 * 3600),
        ("warning:75", 7.5 * 3600),  # a warning before a rule at the same point
        (f"rule:{early.pk}", 7.5 * 3600),
        ("warning:90", 9 * 3600),
        ("warning:-30m", 9.5 * 3600),
        ("breach", 10 * 3600),  # the breach before a rule at 100 %
        (f"rule:{at_breach.pk}", 10 * 3600),
        (f"rule:{late.pk}", 15 * 3600),
    ]


def test_a_minutes_warning_longer_than_the_target_is_left_out(always):
    policy = make_policy(always, warning_minutes=90)

    assert _keys(policy, target=3600) == [("breach", 3600)]
    assert _keys(policy, target=4 * 3600) == [("warning:-90m", 2.5 * 3600), ("breach", 4 * 3600)]


def test_rules_apply_to_their_own_metric(always):
    policy = make_policy(always)
    rule = EscalationRule.objects.create(policy=policy, metric="response", percent=80, notify_assignee=True)

    assert _keys(policy, metric="response", target=3600) == [(f"rule:{rule.pk}", 2880), ("breach", 3600)]
    assert _keys(policy, metric="resolution", target=3600) == [("breach", 3600)]


# Time zones and schedules ------------------------------------------------------------------------------


class Adapter:
    def __init__(self, requester="", location=""):
        self.requester, self.location = requester, location

    def requester_time_zone(self, record):
        return self.requester

    def location_time_zone(self, record):
        return self.location


@pytest.mark.parametrize(
    ("source", "adapter", "zone"),
    [
        ("calendar", Adapter(requester="Asia/Tokyo", location="Asia/Tokyo"), "Europe/London"),
        ("requester", Adapter(requester="Asia/Tokyo"), "Asia/Tokyo"),
        ("requester", Adapter(requester=""), "Europe/London"),
        ("requester", Adapter(requester="Not/A_Zone"), "Europe/London"),
        ("ci_location", Adapter(location="America/Sao_Paulo"), "America/Sao_Paulo"),
        ("ci_location", Adapter(location="GMT+5"), "Europe/London"),
        ("ci_location", Adapter(requester="Asia/Tokyo"), "Europe/London"),
    ],
)
def test_the_time_zone_comes_from_the_policys_source_or_the_calendar(office, source, adapter, zone):
    policy = make_policy(office, time_zone_source=source)

    assert clock_time_zone(policy, adapter, record=None) == zone


def test_schedules_are_read_once_per_calendar_and_zone(office, django_assert_num_queries):
    schedules = Schedules()
    with django_assert_num_queries(3):  # the calendars, their hours, their exceptions: all calendars at once
        london = schedules.get(office)
        assert schedules.get(office) is london
        tokyo = schedules.get(office, "Asia/Tokyo")
    assert london.time_zone == "Europe/London"
    assert tokyo.time_zone == "Asia/Tokyo"
    assert tokyo.weekly == london.weekly
    assert schedules.get(office, "Asia/Tokyo") is tokyo
    assert schedules.get(office, "Europe/London") is london
    with django_assert_num_queries(0):  # the process keeps them until a calendar is edited
        assert Schedules().get(office).weekly == london.weekly


def test_the_time_zone_source_is_checked_by_the_database(always):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        SLAPolicy.objects.create(name="Odd", calendar=always, time_zone_source="moon")


def test_retiring_a_policy_stamps_when_whichever_way_it_is_saved(always):
    policy = make_policy(always, name="Old gold")
    assert policy.retired_at is None

    policy.is_active = False
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False):
        policy.save(update_fields=["is_active"])
    policy.refresh_from_db()
    assert policy.retired_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    policy.is_active = True
    policy.save(update_fields=["is_active"])
    policy.refresh_from_db()
    assert policy.retired_at is None
