"""The desk's measures pinned on small hand-built data: every expected value is worked out by hand here."""

from zoneinfo import ZoneInfo

import pytest

from servicedesk.models import RecordFact
from servicedesk.reporting.desk import SECTION
from servicedesk.reporting.measures import Query, Scope, measures

from .conftest import HOURS, ask, at, refresh

pytestmark = pytest.mark.django_db

JAN, FEB, MAR = at(2026, 1, 1), at(2026, 2, 1), at(2026, 3, 1)
FRIDAY = at(2026, 1, 9, 16)  # a Friday, one business hour before the office closes
MONDAY = at(2026, 1, 12, 10)  # the Monday after, one business hour after it opens


# Time to resolve ---------------------------------------------------------------------------------------


def test_mttr_in_business_time_skips_the_weekend(policy, desk):
    record = desk.file(FRIDAY)
    desk.resolve(MONDAY, record)
    refresh(record)

    result = ask("mttr", JAN, FEB, bucket="month")

    (row,) = result.rows
    # Friday 16:00-17:00 and Monday 09:00-10:00 on the office calendar; 66 hours by the wall clock.
    assert row.values["count"] == 1
    assert row.values["p50_business"] == row.values["mean_business"] == 2 * 3600
    assert row.values["p50_wall"] == row.values["mean_wall"] == 66 * 3600


def test_mtta_counts_from_filing_to_the_first_response(policy, desk):
    record = desk.file(FRIDAY)
    desk.start(at(2026, 1, 12, 9, 30), record)
    refresh(record)

    (row,) = ask("mtta", JAN, FEB, bucket="month").rows

    # Friday's last business hour and Monday's first half hour; 65.5 wall hours.
    assert row.values["p50_business"] == 1.5 * 3600
    assert row.values["p50_wall"] == 65.5 * 3600


def test_median_and_90th_percentile_interpolate_like_percentile_cont(desk):
    hours = [1, 2, 3, 4, 10]
    records = []
    for day, spent in enumerate(hours, start=5):
        record = desk.file(at(2026, 1, day, 8))
        desk.resolve(at(2026, 1, day, 8) + spent * HOURS, record)
        records.append(record)
    refresh(*records)

    (row,) = ask("mttr", JAN, FEB, bucket="month").rows

    assert row.values["count"] == 5
    assert row.values["p50_wall"] == 3 * 3600  # the middle of five
    # position (5 - 1) * 0.9 = 3.6: 4 h + 0.6 * (10 h - 4 h) = 7.6 h
    assert row.values["p90_wall"] == round(7.6 * 3600)
    assert row.values["mean_wall"] == 4 * 3600  # 20 h / 5
    # No SLA policy matched: no calendar, so no business time.
    assert row.values["p50_business"] is None


def test_a_reopened_record_is_timed_to_its_last_resolution_and_counted_once(desk):
    record = desk.file(at(2026, 1, 5, 8))
    desk.resolve(at(2026, 1, 5, 9), record)
    desk.reopen(at(2026, 1, 5, 10), record)
    desk.resolve(at(2026, 1, 5, 14), record)
    refresh(record)

    mttr = ask("mttr", JAN, FEB, bucket="month").rows[0].values
    reopen = ask("reopen_rate", JAN, FEB, bucket="month")

    assert (mttr["count"], mttr["p50_wall"]) == (1, 6 * 3600)
    assert reopen.totals == {"resolved": 1, "reopened": 1, "rate": 100.0}


def test_reopen_rate_is_the_share_of_resolved_records_reopened(desk):
    records = [desk.file(at(2026, 1, 5, 8)) for _ in range(4)]
    for record in records:
        desk.resolve(at(2026, 1, 5, 9), record)
    desk.reopen(at(2026, 1, 5, 10), records[0])
    desk.resolve(at(2026, 1, 5, 11), records[0])
    desk.reopen(at(2026, 1, 5, 12), records[1])  # reopened and still open: not resolved in the period
    refresh(*records)

    result = ask("reopen_rate", JAN, FEB, bucket="month")

    assert result.totals == {"resolved": 3, "reopened": 1, "rate": round(100 / 3, 1)}


# Merges ------------------------------------------------------------------------------------------------


def test_a_duplicate_merged_into_another_record_is_not_counted(desk):
    target = desk.file(at(2026, 1, 5, 8))
    duplicate = desk.file(at(2026, 1, 5, 9))
    desk.merge(at(2026, 1, 5, 10), duplicate, target)
    desk.resolve(at(2026, 1, 5, 12), target)
    refresh(target, duplicate)

    volumes = ask("volumes", JAN, FEB, bucket="month")
    mttr = ask("mttr", JAN, FEB, bucket="month").rows[0].values
    backlog = ask("backlog", at(2026, 1, 5), at(2026, 1, 6))

    assert RecordFact.objects.get(object_id=duplicate.pk).merged is True
    assert volumes.totals == {"opened": 1, "resolved": 1}
    assert (mttr["count"], mttr["p50_wall"]) == (1, 4 * 3600)
    assert backlog.rows[0].values["backlog"] == 0


# Volumes, backlog and ageing ---------------------------------------------------------------------------


def test_volumes_by_day_and_by_channel(desk):
    first = desk.file(at(2026, 1, 5, 8), channel="phone")
    second = desk.file(at(2026, 1, 5, 9), channel="email")
    third = desk.file(at(2026, 1, 6, 9), channel="phone")
    desk.resolve(at(2026, 1, 6, 10), first)
    refresh(first, second, third)

    by_day = ask("volumes", at(2026, 1, 5), at(2026, 1, 8))
    by_channel = ask("volumes", at(2026, 1, 5), at(2026, 1, 8), by="channel")

    assert [(row.key.day, row.values["opened"], row.values["resolved"]) for row in by_day.rows] == [
        (5, 2, 0),
        (6, 1, 1),
        (7, 0, 0),
    ]
    assert {row.key: row.values["opened"] for row in by_channel.rows} == {"phone": 2, "email": 1}


def test_backlog_at_the_end_of_each_day(desk):
    first = desk.file(at(2026, 1, 5, 8))
    second = desk.file(at(2026, 1, 5, 9))
    third = desk.file(at(2026, 1, 6, 9))
    desk.resolve(at(2026, 1, 6, 10), first)
    desk.resolve(at(2026, 1, 7, 10), second)
    refresh(first, second, third)

    result = ask("backlog", at(2026, 1, 4), at(2026, 1, 8))

    # end of the 4th: nothing filed; 5th: two open; 6th: first resolved, third filed; 7th: second resolved
    assert [row.values["backlog"] for row in result.rows] == [0, 2, 2, 1]


def test_backlog_ageing_bands(desk):
    now = at(2026, 1, 20, 12)
    ages = {"lt_1d": [2], "d1_3": [30, 47], "d3_7": [100], "d7_30": [24 * 8], "gt_30d": [24 * 40]}
    records = [desk.file(now - hours * HOURS) for band in ages.values() for hours in band]
    done = desk.file(now - 5 * HOURS)
    desk.resolve(now - HOURS, done)  # resolved: not in the backlog
    refresh(*records, done)

    result = ask("backlog_ageing", at(2026, 1, 1), now, now=now)

    assert {row.key: row.values["open"] for row in result.rows} == {
        band: len(hours) for band, hours in ages.items()
    }


# Time zones --------------------------------------------------------------------------------------------


def test_a_record_filed_on_the_last_evening_of_january_is_februarys_in_shanghai(desk):
    record = desk.file(at(2026, 1, 31, 20))
    refresh(record)

    utc = ask("volumes", at(2026, 1, 1), at(2026, 3, 1), bucket="month")
    shanghai = ZoneInfo("Asia/Shanghai")
    china = ask(
        "volumes",
        at(2026, 1, 1, zone=shanghai),
        at(2026, 3, 1, zone=shanghai),
        time_zone="Asia/Shanghai",
        bucket="month",
    )

    assert [(row.key.month, row.values["opened"]) for row in utc.rows] == [(1, 1), (2, 0)]
    assert [(row.key.month, row.values["opened"]) for row in china.rows] == [(1, 0), (2, 1)]


# Groups ------------------------------------------------------------------------------------------------


def test_records_moving_between_groups(desk, first_line, second_line):
    escalated = desk.file(at(2026, 1, 5, 8))
    desk.move(at(2026, 1, 5, 9), escalated, second_line)  # first line to second: functional escalation
    back = desk.file(at(2026, 1, 5, 8), group=second_line)
    desk.move(at(2026, 1, 5, 9), back, first_line)  # down a tier: a transfer, not an escalation
    stays = desk.file(at(2026, 1, 5, 8))
    refresh(escalated, back, stays)

    facts = {
        fact.object_id: fact
        for fact in RecordFact.objects.filter(object_id__in=[escalated.pk, back.pk, stays.pk])
    }
    assert (facts[escalated.pk].opened_group_id, facts[escalated.pk].support_group_id) == (
        first_line.pk,
        second_line.pk,
    )
    assert (facts[escalated.pk].transfers, facts[escalated.pk].escalations_functional) == (1, 1)
    assert (facts[back.pk].opened_group_id, facts[back.pk].support_group_id) == (
        second_line.pk,
        first_line.pk,
    )
    assert (facts[back.pk].transfers, facts[back.pk].escalations_functional) == (1, 0)
    assert (facts[stays.pk].opened_group_id, facts[stays.pk].transfers) == (first_line.pk, 0)

    # Counted under the group that holds the record now.
    volumes = ask("volumes", JAN, FEB, by="group")
    assert {row.key: row.values["opened"] for row in volumes.rows} == {first_line.pk: 2, second_line.pk: 1}
    escalations = ask("escalations", JAN, FEB, bucket="month").rows[0].values
    assert escalations == {"opened": 3, "functional": 1, "hierarchical": 0, "escalated": 1, "rate": 33.3}


# First contact, training needs, satisfaction -----------------------------------------------------------


def test_first_contact_resolution_and_training_needs(desk):
    at_once = desk.file(at(2026, 1, 5, 8), channel="phone")
    desk.resolve(at(2026, 1, 5, 8, 10), at_once, first_contact=True)
    advice = desk.file(at(2026, 1, 5, 9))
    desk.resolve(at(2026, 1, 5, 12), advice, code="advice")
    later = desk.file(at(2026, 1, 5, 9))
    desk.resolve(at(2026, 1, 6, 9), later)
    still_open = desk.file(at(2026, 1, 5, 10))
    refresh(at_once, advice, later, still_open)

    fcr = ask("first_contact_resolution", JAN, FEB, bucket="month")
    training = ask("training_needs", JAN, FEB, bucket="month").rows[0].values

    assert fcr.totals == {"resolved": 3, "first_contact": 1, "rate": 33.3}
    # first-line resolved at first contact, and the advice; of four filed
    assert training == {"opened": 4, "needs": 2, "share": 50.0}


def test_csat_average_response_rate_and_comments(desk):
    records = [desk.file(at(2026, 1, 5, 8)) for _ in range(4)]
    for record in records:
        desk.resolve(at(2026, 1, 5, 9), record)
    desk.rate(at(2026, 1, 5, 10), records[0], 5)
    desk.rate(at(2026, 1, 5, 11), records[1], 2, comment="Slow.")
    desk.rate(at(2026, 1, 5, 12), records[2], 4)
    refresh(*records)

    result = ask("csat", JAN, FEB, bucket="month")

    (row,) = result.rows
    assert row.values["ratings"] == 3
    assert row.values["average"] == round(11 / 3, 2)
    assert row.values["response_rate"] == 75.0  # three ratings of four resolved
    assert (row.values["commented"], row.values["low"]) == (1, 1)
    assert result.totals == {"ratings": 3, "average": round(11 / 3, 2)}


# SLA compliance ----------------------------------------------------------------------------------------


def test_sla_compliance_met_and_breached(policy, desk):
    # Monday 2026-01-05 from 09:00: respond within a business hour, resolve within eight.
    good = desk.file(at(2026, 1, 5, 9))
    desk.start(at(2026, 1, 5, 9, 30), good)
    desk.resolve(at(2026, 1, 5, 12), good)
    late = desk.file(at(2026, 1, 5, 9))
    desk.start(at(2026, 1, 5, 11), late)  # two business hours: response breached
    desk.resolve(at(2026, 1, 6, 12), late)  # 8 + 3 business hours: resolution breached
    slow = desk.file(at(2026, 1, 5, 9))
    desk.start(at(2026, 1, 5, 9, 10), slow)
    desk.resolve(at(2026, 1, 6, 10), slow)  # 8 + 1 business hours: resolution breached
    refresh(good, late, slow)

    result = ask("sla_compliance", JAN, FEB, bucket="month")

    values = result.rows[0].values
    assert (values["response_met"], values["response_breached"]) == (2, 1)
    assert (values["resolution_met"], values["resolution_breached"]) == (1, 2)
    assert result.totals == {
        "response_percent": round(200 / 3, 1),
        "resolution_percent": round(100 / 3, 1),
        "breached": 3,
    }


# Scope -------------------------------------------------------------------------------------------------


def test_the_scope_limits_what_is_counted(desk, agent, first_line, second_line):
    mine = desk.file(at(2026, 1, 5, 8), assignee=agent)
    theirs = desk.file(at(2026, 1, 5, 8), group=second_line)
    unassigned = desk.file(at(2026, 1, 5, 8))
    refresh(mine, theirs, unassigned)

    def opened(scope):
        return ask("volumes", JAN, FEB, bucket="month", scope=scope).totals["opened"]

    assert opened(Scope(groups=(first_line.pk,))) == 2
    assert opened(Scope(groups=(second_line.pk,))) == 1
    assert opened(Scope(agent=agent.pk)) == 1
    assert opened(Scope(groups=(second_line.pk,), agent=agent.pk)) == 2  # limits widen each other
    assert opened(Scope()) == 0  # no scope: nothing
    assert opened(Scope(everything=True)) == 3


@pytest.mark.parametrize("by", ["period", "group"])
def test_each_measure_asks_a_constant_number_of_queries(desk, by, django_assert_max_num_queries):
    records = [desk.file(at(2026, 1, day, 8)) for day in range(5, 10)]
    for record in records[:3]:
        desk.resolve(at(2026, 1, 12, 8), record)
    refresh(*records)
    query = Query(start=JAN, end=FEB, time_zone="UTC", scope=Scope(everything=True), by=by)

    desk_measures = [item for item in measures() if item.section == SECTION]
    assert len(desk_measures) == 12
    for item in desk_measures:
        # the same few queries with 5 records as with a million: aggregates, and the rows' labels
        with django_assert_max_num_queries(6):
            item.compute(query if by in item.breakdowns else query.but(by=item.breakdowns[-1]))
