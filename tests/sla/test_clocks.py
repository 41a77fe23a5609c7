"""Every transition of the SLA clocks, driven through the incident services as people drive them."""

import random
from datetime import timedelta

import pytest
import time_machine

from cmdb.models import CIClass, ConfigurationItem
from incidents import services
from incidents.models import Incident
from servicedesk.configmemo import config_changed
from servicedesk.intake import email_ingest
from servicedesk.models import SLAClock, SLAPolicy, SLASegment, SLATarget, User
from servicedesk.sla.clocks import Context, consumed_at, ledger_consumed
from servicedesk.sla.edits import sla_policy_changed
from servicedesk.sla.status import Level, record_sla
from tests.mailmessages import mail

from ..incidents.factories import BusinessServiceFactory
from .conftest import HOURS, LONDON, at, clocks_of, firings, make_policy, sweep_at

MINUTES = timedelta(minutes=1)
T = at(2026, 1, 5, 10)  # a Monday, 10:00 UTC (and London)
State = SLAClock.State
Kind = SLASegment.Kind


def run_at(moment, function, /, **kwargs):
    """Call an incident service as if it were `moment`."""
    with time_machine.travel(moment, tick=False):
        return function(**kwargs)


def file_at(moment, actor, **fields):
    return run_at(moment, services.incident_create, actor=actor, title="Mail is down", **fields)


def transition_at(moment, record, actor, to, **inputs):
    return run_at(moment, services.incident_transition, record=record, actor=actor, to=to, **inputs)


def comment_at(moment, record, actor, body="Any news?", is_public=True):
    return run_at(
        moment, services.incident_comment, record=record, actor=actor, body=body, is_public=is_public
    )


def resolve_at(moment, record, actor):
    return transition_at(
        moment, record, actor, "resolved", resolution_code="solved", resolution_notes="Restarted it."
    )


def ledger(clock) -> list[tuple[str, str]]:
    return list(clock.ledger.order_by("id").values_list("kind", "reason"))


def assert_ledger_explains(clock, moment):
    """The consumption recomputed from the ledger is the clock's; one segment is open while it is."""
    clock.refresh_from_db()
    schedule = Context.create(moment).schedule(clock)
    assert ledger_consumed(clock, schedule, moment) == pytest.approx(
        consumed_at(clock, schedule, moment), abs=0.01
    )
    open_segments = clock.ledger.filter(ended_at__isnull=True).count()
    assert open_segments == (1 if clock.is_open else 0)


# Starting ------------------------------------------------------------------------------------------


def test_filing_starts_both_clocks_due_through_the_24x7_calendar(policy, requester, service):
    record = file_at(T, requester, service=service)

    clocks = clocks_of(record)
    response, resolution = clocks["response"], clocks["resolution"]
    assert (response.state, resolution.state) == (State.RUNNING, State.RUNNING)
    assert response.policy == policy
    assert (response.target_seconds, resolution.target_seconds) == (3600, 8 * 3600)
    assert response.started_at == response.running_since == T
    assert response.due_at == T + HOURS
    assert resolution.due_at == T + 8 * HOURS
    assert response.next_check_at == T + 30 * MINUTES  # the 50 % warning
    assert resolution.next_check_at == T + 4 * HOURS
    assert response.time_zone == "UTC"
    assert ledger(response) == [(Kind.RUNNING, "started")]
    record.refresh_from_db()
    assert record.sla_due_at == T + HOURS


def test_filing_on_the_office_calendar_counts_only_working_hours(office, requester, service):
    make_policy(office)
    friday = at(2026, 1, 9, 16, 30)  # GMT: London is UTC in January
    record = file_at(friday, requester, service=service)

    clocks = clocks_of(record)
    assert clocks["response"].due_at == at(2026, 1, 12, 9, 30)  # 30 min on Friday, 30 on Monday
    assert clocks["resolution"].due_at == at(2026, 1, 12, 16, 30)
    assert clocks["response"].time_zone == "Europe/London"


def test_filing_on_a_saturday_waits_for_monday_morning(office, requester, service):
    make_policy(office)
    record = file_at(at(2026, 1, 10, 11), requester, service=service)

    assert clocks_of(record)["response"].due_at == at(2026, 1, 12, 10)


def test_summer_time_moves_the_office_hours_an_hour_earlier_in_utc(office, requester, service):
    make_policy(office)
    record = file_at(at(2026, 6, 1, 7, zone=LONDON), requester, service=service)

    # 07:00 BST is before opening: the hour runs from 09:00 to 10:00 BST, 08:00 to 09:00 UTC.
    assert clocks_of(record)["response"].due_at == at(2026, 6, 1, 9)


def test_a_weekend_spanning_the_clocks_going_forward_counts_working_hours_only(office, requester, service):
    make_policy(office, response=2 * HOURS)
    record = file_at(at(2026, 3, 27, 16), requester, service=service)  # Friday 16:00 GMT

    # One hour on Friday; Sunday the clocks go forward; the second hour is Monday 09:00-10:00 BST.
    assert clocks_of(record)["response"].due_at == at(2026, 3, 30, 9)


def test_no_policy_means_no_clocks(requester, service):
    record = file_at(T, requester, service=service)

    assert clocks_of(record) == {}


def test_a_policy_without_a_response_target_starts_only_the_resolution_clock(always, requester, service):
    make_policy(always, response=None)
    record = file_at(T, requester, service=service)

    assert set(clocks_of(record)) == {"resolution"}


# The response ---------------------------------------------------------------------------------------


def test_the_first_public_agent_comment_meets_the_response_target(policy, requester, agent, service):
    record = file_at(T, requester, service=service)

    comment_at(T + 20 * MINUTES, record, agent, "Have you tried turning it off and on again?")

    clocks = clocks_of(record)
    response = clocks["response"]
    assert response.state == State.MET
    assert response.stopped_at == T + 20 * MINUTES
    assert response.consumed_seconds == pytest.approx(1200)
    assert response.next_check_at is None
    assert ledger(response) == [(Kind.RUNNING, "started"), (Kind.STOPPED, "responded")]
    assert clocks["resolution"].state == State.RUNNING
    record.refresh_from_db()
    assert record.sla_due_at == T + 8 * HOURS  # the resolution clock's now


@pytest.mark.parametrize("who", ["work_note", "requester_comment"])
def test_a_work_note_or_the_requesters_comment_is_no_response(policy, requester, agent, service, who):
    record = file_at(T, requester, service=service)

    if who == "work_note":
        comment_at(T + 20 * MINUTES, record, agent, "Looks like the mail server.", is_public=False)
    else:
        comment_at(T + 20 * MINUTES, record, requester, "Still broken.")

    clocks = clocks_of(record)
    assert clocks["response"].state == State.RUNNING
    assert clocks["response"].due_at == T + HOURS
    assert ledger(clocks["response"]) == [(Kind.RUNNING, "started")]


def test_starting_work_meets_the_response_target(policy, requester, agent, service):
    record = file_at(T, requester, service=service)

    transition_at(T + 30 * MINUTES, record, agent, "in_progress")

    clocks = clocks_of(record)
    assert clocks["response"].state == State.MET
    assert clocks["response"].consumed_seconds == pytest.approx(1800)
    assert clocks["resolution"].state == State.RUNNING


def test_a_later_agent_comment_changes_nothing_once_answered(policy, requester, agent, service):
    record = file_at(T, requester, service=service)
    transition_at(T + 30 * MINUTES, record, agent, "in_progress")

    comment_at(T + 2 * HOURS, record, agent, "Still looking.")

    response = clocks_of(record)["response"]
    assert response.stopped_at == T + 30 * MINUTES
    assert ledger(response) == [(Kind.RUNNING, "started"), (Kind.STOPPED, "responded")]


def test_resolving_unanswered_breaches_a_late_response_and_meets_the_resolution(
    policy, requester, agent, service
):
    record = file_at(T, requester, service=service)

    resolve_at(T + 90 * MINUTES, record, agent)

    clocks = clocks_of(record)
    assert clocks["response"].state == State.BREACHED
    assert clocks["response"].breached_at == T + HOURS  # when it happened, not when it was noticed
    assert clocks["resolution"].state == State.MET
    assert clocks["resolution"].breached_at is None
    record.refresh_from_db()
    assert record.sla_due_at is None


def test_resolving_after_the_target_breaches_the_resolution_at_its_due_time(
    policy, requester, agent, service
):
    record = file_at(T, requester, service=service)
    transition_at(T + 5 * MINUTES, record, agent, "in_progress")

    resolve_at(T + 9 * HOURS, record, agent)

    resolution = clocks_of(record)["resolution"]
    assert resolution.state == State.BREACHED
    assert resolution.breached_at == T + 8 * HOURS
    assert resolution.due_at == T + 8 * HOURS  # a stopped clock keeps the due time it had
    assert resolution.consumed_seconds == pytest.approx(9 * 3600)
    assert [status.level for status in record_sla(record, now=T + 10 * HOURS)] == [Level.MET, Level.BREACHED]


# Pausing --------------------------------------------------------------------------------------------


def _on_hold_for_requester(record, agent, moment):
    transition_at(T, record, agent, "assigned", assignee=agent)
    return transition_at(moment, record, agent, "on_hold", hold_reason=Incident.HoldReason.REQUESTER)


def _reply_by_portal(record, requester, client):
    services.incident_comment(record=record, actor=requester, body="Here is the screenshot.")


def _reply_by_email(record, requester, client):
    inbound = email_ingest(raw=mail(subject=f"Re: [{record.number}] Mail is down", body="Here it is."))
    assert inbound.object_id == record.pk, inbound.detail


def _reply_by_api(record, requester, client):
    client.force_authenticate(requester)
    answer = client.post(
        f"/api/v1/incidents/{record.number}/comments/", {"body": "Here it is."}, format="json"
    )
    assert answer.status_code == 201, answer.content


@pytest.mark.parametrize("reply", [_reply_by_portal, _reply_by_email, _reply_by_api])
def test_on_hold_for_the_requester_pauses_both_clocks_and_their_reply_resumes_them(
    policy, requester, agent, service, api_client, reply
):
    record = file_at(T, requester, service=service)

    _on_hold_for_requester(record, agent, T + 10 * MINUTES)

    clocks = clocks_of(record)
    for clock in clocks.values():
        assert clock.state == State.PAUSED
        assert clock.pause_reason == "on_hold:requester"
        assert clock.consumed_seconds == pytest.approx(600)
        assert clock.due_at is None
        assert clock.next_check_at is None
    record.refresh_from_db()
    assert record.sla_due_at is None

    with time_machine.travel(T + 3 * HOURS, tick=False):
        reply(record, requester, api_client)

    record.refresh_from_db()
    assert record.status == "in_progress"
    clocks = clocks_of(record)
    response, resolution = clocks["response"], clocks["resolution"]
    assert (response.state, resolution.state) == (State.RUNNING, State.RUNNING)
    assert response.due_at == T + 3 * HOURS + 50 * MINUTES
    assert resolution.due_at == T + 3 * HOURS + 7 * HOURS + 50 * MINUTES
    assert ledger(resolution) == [
        (Kind.RUNNING, "started"),
        (Kind.PAUSED, "on_hold:requester"),
        (Kind.RUNNING, ""),
    ]
    paused = resolution.ledger.get(kind=Kind.PAUSED)
    assert (paused.started_at, paused.ended_at) == (T + 10 * MINUTES, T + 3 * HOURS)
    assert record.sla_due_at == response.due_at
    assert_ledger_explains(resolution, T + 4 * HOURS)


def test_an_agent_resuming_work_resumes_the_clocks(policy, requester, agent, service):
    record = file_at(T, requester, service=service)
    _on_hold_for_requester(record, agent, T + 10 * MINUTES)

    transition_at(T + HOURS, record, agent, "in_progress")

    resolution = clocks_of(record)["resolution"]
    assert resolution.state == State.RUNNING
    assert resolution.due_at == T + HOURS + 7 * HOURS + 50 * MINUTES


def test_a_paused_clock_crosses_no_threshold_and_is_not_swept(policy, requester, agent, service):
    record = file_at(T, requester, service=service)
    _on_hold_for_requester(record, agent, T + 10 * MINUTES)

    assert sweep_at(T + 20 * HOURS) == 0
    assert firings(record) == []


def test_on_hold_for_a_vendor_keeps_the_clocks_running_when_only_the_requester_pauses(
    policy, requester, agent, service
):
    record = file_at(T, requester, service=service)
    transition_at(T, record, agent, "assigned", assignee=agent)

    transition_at(T + 10 * MINUTES, record, agent, "on_hold", hold_reason=Incident.HoldReason.VENDOR)

    for clock in clocks_of(record).values():
        assert clock.state == State.RUNNING
        assert ledger(clock) == [(Kind.RUNNING, "started")]
    assert clocks_of(record)["resolution"].due_at == T + 8 * HOURS


def test_a_policy_pausing_on_a_vendor_pauses_for_the_vendor(always, requester, agent, service):
    make_policy(always, pause_on=["on_hold:requester", "on_hold:vendor"])
    record = file_at(T, requester, service=service)
    transition_at(T, record, agent, "assigned", assignee=agent)

    transition_at(T + 10 * MINUTES, record, agent, "on_hold", hold_reason=Incident.HoldReason.VENDOR)

    resolution = clocks_of(record)["resolution"]
    assert (resolution.state, resolution.pause_reason) == (State.PAUSED, "on_hold:vendor")


def test_a_pause_across_a_weekend_counts_only_the_office_hours(office, requester, agent, service):
    make_policy(office, response=8 * HOURS, resolution=16 * HOURS, pause_on=["on_hold:requester"])
    friday = at(2026, 1, 9, 10)
    record = file_at(friday, requester, service=service)
    transition_at(friday, record, agent, "assigned", assignee=agent)

    transition_at(at(2026, 1, 9, 16), record, agent, "on_hold", hold_reason=Incident.HoldReason.REQUESTER)
    run_at(
        at(2026, 1, 12, 10),
        services.incident_comment,
        record=record,
        actor=requester,
        body="Sorry, I was away.",
    )

    clocks = clocks_of(record)
    response, resolution = clocks["response"], clocks["resolution"]
    assert response.consumed_seconds == resolution.consumed_seconds == pytest.approx(6 * 3600)
    assert response.due_at == at(2026, 1, 12, 12)  # 2 h left from Monday 10:00
    assert resolution.due_at == at(2026, 1, 13, 12)  # 7 h on Monday, 3 on Tuesday
    paused = resolution.ledger.get(kind=Kind.PAUSED)
    assert (paused.started_at, paused.ended_at) == (at(2026, 1, 9, 16), at(2026, 1, 12, 10))
    running = list(resolution.ledger.filter(kind=Kind.RUNNING).order_by("id"))
    assert [segment.business_seconds for segment in running[:1]] == [pytest.approx(6 * 3600)]
    assert_ledger_explains(resolution, at(2026, 1, 12, 15))
    assert consumed_at(resolution, Context.create().schedule(resolution), at(2026, 1, 12, 15)) == (
        pytest.approx(11 * 3600)
    )


# Re-targeting ---------------------------------------------------------------------------------------


@pytest.fixture
def tiered(always):
    """24x7; resolution in 2 h per priority step (P1 2 h ... P4 8 h), response in 15 min per step."""
    policy = SLAPolicy.objects.create(
        name="Tiered", calendar=always, warning_percents=[50], pause_on=["on_hold:requester"]
    )
    for priority in range(1, 6):
        SLATarget.objects.create(
            policy=policy, metric="resolution", priority=priority, target=2 * priority * HOURS
        )
        SLATarget.objects.create(
            policy=policy, metric="response", priority=priority, target=15 * priority * MINUTES
        )
    return policy


def test_a_priority_change_re_targets_keeping_the_time_consumed(tiered, requester, agent, service):
    record = file_at(T, requester, service=service)  # user impact, medium urgency: P4
    assert record.priority == 4
    transition_at(T + 5 * MINUTES, record, agent, "in_progress")

    run_at(T + 2 * HOURS, services.incident_update, record=record, actor=agent, urgency=1)

    record.refresh_from_db()
    assert record.priority == 3
    resolution = clocks_of(record)["resolution"]
    assert (resolution.priority, resolution.target_seconds) == (3, 6 * 3600)
    assert resolution.consumed_seconds == pytest.approx(2 * 3600)
    assert resolution.due_at == T + 6 * HOURS
    assert resolution.next_check_at == T + 3 * HOURS  # 50 % of the new target
    retarget = resolution.ledger.get(kind=Kind.RETARGETED)
    assert retarget.reason == "priority"
    assert retarget.data["from"]["target_seconds"] == 8 * 3600
    assert retarget.data["to"]["target_seconds"] == 6 * 3600
    assert ledger(resolution) == [
        (Kind.RUNNING, "started"),
        (Kind.RETARGETED, "priority"),
        (Kind.RUNNING, ""),
    ]
    assert clocks_of(record)["response"].state == State.MET  # a stopped clock is not re-targeted
    assert_ledger_explains(resolution, T + 3 * HOURS)


def test_a_priority_change_while_paused_stays_paused_and_counts_on_from_the_pause(
    tiered, requester, agent, service
):
    record = file_at(T, requester, service=service)
    _on_hold_for_requester(record, agent, T + HOURS)

    run_at(T + 2 * HOURS, services.incident_update, record=record, actor=agent, urgency=1)
    resolution = clocks_of(record)["resolution"]
    assert (resolution.state, resolution.target_seconds) == (State.PAUSED, 6 * 3600)
    assert resolution.pause_reason == "on_hold:requester"
    assert resolution.consumed_seconds == pytest.approx(3600)

    run_at(T + 5 * HOURS, services.incident_comment, record=record, actor=requester, body="Back.")
    resolution = clocks_of(record)["resolution"]
    assert resolution.due_at == T + 10 * HOURS
    assert_ledger_explains(resolution, T + 6 * HOURS)


def test_a_shorter_target_already_exceeded_breaches_at_the_next_sweep(tiered, requester, agent, service):
    record = file_at(T, requester, service=service)
    transition_at(T + 5 * MINUTES, record, agent, "in_progress")

    run_at(T + 7 * HOURS, services.incident_update, record=record, actor=agent, urgency=1, impact=1)

    resolution = clocks_of(record)["resolution"]
    assert resolution.target_seconds == 2 * 3600  # P1
    assert resolution.next_check_at <= T + 7 * HOURS
    sweep_at(T + 7 * HOURS + MINUTES)
    resolution.refresh_from_db()
    assert resolution.breached_at is not None
    assert ("resolution", "breach", 1) in firings(record)


def test_a_service_with_a_named_policy_switches_the_policy(policy, always, requester, agent, service):
    gold = make_policy(
        always, name="Gold", order=500, services_only=True, response=None, resolution=2 * HOURS
    )
    payroll = BusinessServiceFactory(name="Payroll", support_group=service.support_group, sla_policy=gold)
    record = file_at(T, requester, service=service)
    transition_at(T + 5 * MINUTES, record, agent, "in_progress")

    run_at(T + HOURS, services.incident_update, record=record, actor=agent, service=payroll)

    resolution = clocks_of(record)["resolution"]
    assert (resolution.policy, resolution.target_seconds) == (gold, 2 * 3600)
    assert resolution.consumed_seconds == pytest.approx(3600)
    assert resolution.due_at == T + 2 * HOURS
    assert resolution.ledger.get(kind=Kind.RETARGETED).reason == "policy"


def test_moving_to_a_service_whose_policy_has_no_target_cancels_the_clock(
    policy, always, requester, agent, service
):
    bare = make_policy(always, name="Bare", order=500, services_only=True, response=None, resolution=HOURS)
    bare.targets.filter(metric="resolution").delete()
    bare.targets.create(metric="resolution", priority=1, target=HOURS)
    other = BusinessServiceFactory(name="Printing", support_group=service.support_group, sla_policy=bare)
    record = file_at(T, requester, service=service)

    run_at(T + HOURS, services.incident_update, record=record, actor=agent, service=other)

    # P4 has no target under the named policy, so the general one applies still.
    assert clocks_of(record)["resolution"].policy == policy


# Stopping and reopening -----------------------------------------------------------------------------


def test_a_reopen_resumes_the_resolution_clock_in_the_same_cycle(policy, requester, agent, service):
    record = file_at(T, requester, service=service)
    transition_at(T + 10 * MINUTES, record, agent, "in_progress")
    resolve_at(T + 2 * HOURS, record, agent)
    assert clocks_of(record)["resolution"].state == State.MET

    transition_at(T + 5 * HOURS, record, agent, "in_progress", reason="It broke again.")

    clocks = clocks_of(record)
    resolution = clocks["resolution"]
    assert (resolution.state, resolution.cycle) == (State.RUNNING, 1)
    assert resolution.consumed_seconds == pytest.approx(2 * 3600)
    assert resolution.due_at == T + 11 * HOURS
    assert resolution.stopped_at is None
    assert ledger(resolution) == [
        (Kind.RUNNING, "started"),
        (Kind.STOPPED, "resolved"),
        (Kind.RUNNING, "reopened"),
    ]
    assert clocks["response"].state == State.MET
    assert_ledger_explains(resolution, T + 6 * HOURS)


def test_a_requesters_reply_to_a_resolved_record_reopens_its_clock(policy, requester, agent, service):
    record = file_at(T, requester, service=service)
    resolve_at(T + 2 * HOURS, record, agent)

    run_at(T + 3 * HOURS, services.incident_comment, record=record, actor=requester, body="Not fixed.")

    resolution = clocks_of(record)["resolution"]
    assert resolution.state == State.RUNNING
    assert resolution.due_at == T + 9 * HOURS


def test_a_reopened_breached_clock_stays_breached(policy, requester, agent, service):
    record = file_at(T, requester, service=service)
    resolve_at(T + 9 * HOURS, record, agent)

    transition_at(T + 10 * HOURS, record, agent, "in_progress", reason="Again.")

    resolution = clocks_of(record)["resolution"]
    assert resolution.state == State.RUNNING
    assert resolution.breached_at == T + 8 * HOURS
    [status] = [s for s in record_sla(record, now=T + 11 * HOURS) if s.metric == "resolution"]
    assert status.level == Level.BREACHED
    # Nobody was told of the breach (it was resolved before a sweep): the next sweep tells them, once.
    assert resolution.next_check_at == T + 10 * HOURS
    sweep_at(T + 10 * HOURS)
    sweep_at(T + 11 * HOURS)
    assert ("resolution", "breach", 1) in firings(record)
    resolution.refresh_from_db()
    assert (resolution.breached_at, resolution.next_check_at) == (T + 8 * HOURS, None)


def test_a_reopen_starts_a_new_cycle_where_the_policy_says_so(always, requester, agent, service):
    make_policy(always, warning_percents=[50], reopen_new_cycle=True)
    record = file_at(T, requester, service=service)
    transition_at(T + MINUTES, record, agent, "in_progress")
    sweep_at(T + 4 * HOURS + 5 * MINUTES)
    resolve_at(T + 5 * HOURS, record, agent)

    transition_at(T + 6 * HOURS, record, agent, "in_progress", reason="Again.")

    resolution = clocks_of(record)["resolution"]
    assert (resolution.state, resolution.cycle) == (State.RUNNING, 2)
    assert resolution.consumed_seconds == 0
    assert resolution.started_at == T + 6 * HOURS
    assert resolution.due_at == T + 14 * HOURS
    assert resolution.warned_at is None
    assert resolution.ledger.filter(cycle=2).count() == 1
    sweep_at(T + 10 * HOURS + 5 * MINUTES)
    assert [firing for firing in firings(record) if firing[0] == "resolution"] == [
        ("resolution", "warning:50", 1),
        ("resolution", "warning:50", 2),
    ]
    assert_ledger_explains(resolution, T + 11 * HOURS)


@pytest.mark.parametrize("status_before", ["new", "on_hold"])
def test_cancelling_cancels_the_clocks(policy, requester, agent, service, status_before):
    record = file_at(T, requester, service=service)
    if status_before == "on_hold":
        _on_hold_for_requester(record, agent, T + 10 * MINUTES)

    transition_at(T + HOURS, record, requester, "cancelled", reason="Filed twice.")

    for clock in clocks_of(record).values():
        assert clock.state == State.CANCELLED
        assert clock.next_check_at is None
        assert clock.ledger.filter(ended_at__isnull=True).count() == 0
        assert ledger(clock)[-1] == (Kind.STOPPED, "cancelled")
    record.refresh_from_db()
    assert record.sla_due_at is None
    assert sweep_at(T + 20 * HOURS) == 0


def test_a_merged_duplicate_has_its_clocks_cancelled(policy, requester, agent, service):
    duplicate = file_at(T, requester, service=service)
    target = file_at(T, requester, service=service)

    run_at(T + HOURS, services.incident_merge, duplicate=duplicate, target=target, actor=agent)

    for clock in clocks_of(duplicate).values():
        assert clock.state == State.CANCELLED
    assert all(clock.state == State.RUNNING for clock in clocks_of(target).values())


def test_a_record_without_clocks_gets_none_when_resolved(requester, agent, service):
    record = file_at(T, requester, service=service)
    resolve_at(T + HOURS, record, agent)

    assert clocks_of(record) == {}


# The ledger explains the clock -----------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_ledger_recomputes_the_consumption_after_a_random_walk(
    office, tiered, requester, agent, service, seed
):
    """Whatever happens to a record, the clock's consumption is the sum of its ledger."""
    tiered.calendar = office
    tiered.save()
    office.exceptions.create(date=at(2026, 1, 14).date(), name="A holiday")
    rng = random.Random(seed)
    moment = at(2026, 1, 12, 8)
    record = file_at(moment, requester, service=service)
    for _step in range(40):
        moment += timedelta(minutes=rng.choice([7, 45, 130, 600, 1500, 3000]))
        record.refresh_from_db()
        action = rng.choice(_possible_actions(record))
        record = _perform(action, record, moment, requester=requester, agent=agent, rng=rng)
        for clock in clocks_of(record).values():
            assert_ledger_explains(clock, moment)
        if rng.random() < 0.3:
            sweep_at(moment)


def _possible_actions(record):
    actions = {
        "new": ["comment", "note", "start", "assign", "urgency", "resolve"],
        "assigned": ["hold_requester", "hold_vendor", "start", "urgency", "comment"],
        "in_progress": ["hold_requester", "hold_vendor", "resolve", "urgency", "comment", "note"],
        "on_hold": ["reply", "resume", "urgency", "note"],
        "resolved": ["reopen", "reply"],
    }
    return actions[record.status]


def _perform(action, record, moment, *, requester, agent, rng):
    hold = {"hold_requester": Incident.HoldReason.REQUESTER, "hold_vendor": Incident.HoldReason.VENDOR}
    if action in ("comment", "note"):
        comment_at(moment, record, agent, "Looking.", is_public=action == "comment")
    elif action == "reply":
        comment_at(moment, record, requester, "Any news?")
    elif action == "assign":
        transition_at(moment, record, agent, "assigned", assignee=agent)
    elif action in ("start", "resume", "reopen"):
        transition_at(moment, record, agent, "in_progress", reason="Again.")
    elif action in hold:
        transition_at(moment, record, agent, "on_hold", hold_reason=hold[action])
    elif action == "resolve":
        resolve_at(moment, record, agent)
    elif action == "urgency":
        run_at(moment, services.incident_update, record=record, actor=agent, urgency=rng.choice([1, 2, 3]))
    record.refresh_from_db()
    return record


# Time zones -----------------------------------------------------------------------------------------


def test_the_requesters_time_zone_counts_the_office_hours(office, requester, service):
    make_policy(office, time_zone_source=SLAPolicy.TimeZoneSource.REQUESTER)
    User.objects.filter(pk=requester.pk).update(time_zone="America/New_York")
    requester.refresh_from_db()

    record = file_at(at(2026, 1, 5, 12), requester, service=service)  # 07:00 in New York

    response = clocks_of(record)["response"]
    assert response.time_zone == "America/New_York"
    assert response.due_at == at(2026, 1, 5, 15)  # 10:00 in New York


@pytest.mark.parametrize("zone", ["", "Mars/Olympus_Mons"])
def test_a_requester_without_a_valid_time_zone_falls_back_to_the_calendars(office, requester, service, zone):
    make_policy(office, time_zone_source=SLAPolicy.TimeZoneSource.REQUESTER)
    User.objects.filter(pk=requester.pk).update(time_zone=zone)
    requester.refresh_from_db()

    record = file_at(at(2026, 1, 5, 12), requester, service=service)

    response = clocks_of(record)["response"]
    assert response.time_zone == "Europe/London"
    assert response.due_at == at(2026, 1, 5, 13)


@pytest.fixture
def shanghai(db):
    return ConfigurationItem.objects.create(
        name="Shanghai office",
        ci_class=CIClass.objects.get(code="location"),
        attributes={"time_zone": "Asia/Shanghai", "city": "Shanghai"},
    )


@pytest.fixture
def server(db, shanghai):
    ci_class = CIClass.objects.exclude(code__in=["location", "business_service"]).order_by("pk").first()
    return ConfigurationItem.objects.create(name="mail-sh-01", ci_class=ci_class, location=shanghai)


@pytest.mark.parametrize("affected", ["server", "shanghai"])
def test_the_affected_cis_location_counts_the_office_hours(
    office, requester, agent, service, request, affected
):
    make_policy(office, time_zone_source=SLAPolicy.TimeZoneSource.CI_LOCATION)
    ci = request.getfixturevalue(affected)

    record = file_at(
        at(2026, 1, 5, 0), agent, requester=requester, service=service, affected_cis=[ci]
    )  # 08:00 in Shanghai

    response = clocks_of(record)["response"]
    assert response.time_zone == "Asia/Shanghai"
    assert response.due_at == at(2026, 1, 5, 2)  # 10:00 in Shanghai


def test_adding_an_affected_ci_moves_the_clock_to_its_locations_hours(
    office, requester, agent, service, server
):
    make_policy(office, time_zone_source=SLAPolicy.TimeZoneSource.CI_LOCATION)
    record = file_at(at(2026, 1, 5, 9), requester, service=service)  # 09:00 London
    assert clocks_of(record)["resolution"].time_zone == "Europe/London"

    run_at(at(2026, 1, 5, 10), services.incident_update, record=record, actor=agent, affected_cis=[server])

    resolution = clocks_of(record)["resolution"]
    assert resolution.time_zone == "Asia/Shanghai"
    assert resolution.consumed_seconds == pytest.approx(3600)  # banked through London hours
    # 7 h left from Monday 18:00 Shanghai: Tuesday 09:00-16:00 Shanghai = 01:00-08:00 UTC.
    assert resolution.due_at == at(2026, 1, 6, 8)
    assert resolution.ledger.get(kind=Kind.RETARGETED).data["to"]["time_zone"] == "Asia/Shanghai"


def test_no_location_time_zone_falls_back_to_the_calendars(office, requester, service):
    make_policy(office, time_zone_source=SLAPolicy.TimeZoneSource.CI_LOCATION)

    record = file_at(at(2026, 1, 5, 12), requester, service=service)

    assert clocks_of(record)["response"].time_zone == "Europe/London"


# Retiring a policy ------------------------------------------------------------------------------------


def test_retiring_a_policy_moves_its_clocks_to_the_next_match_keeping_their_time(
    always, requester, service, group_manager
):
    retiring = make_policy(always, name="Old", order=10, warning_percents=[50])
    retiring.escalations.create(metric="resolution", percent=50, notify_group_manager=True)
    successor = make_policy(always, name="New", order=20, resolution=10 * HOURS)
    record = file_at(T, requester, service=service)

    retiring.is_active = False
    retiring.save()
    assert sla_policy_changed(policy=retiring, now=T + HOURS) == 1

    for clock in clocks_of(record).values():
        assert clock.policy == successor
        assert clock.state == State.RUNNING
        assert clock.consumed_seconds == pytest.approx(3600)
        assert clock.ledger.get(kind=Kind.RETARGETED).reason == "policy"
    assert clocks_of(record)["resolution"].due_at == T + 10 * HOURS
    sweep_at(T + 20 * HOURS)
    assert not any(threshold.startswith("rule:") for _m, threshold, _c in firings(record))
    assert firings(record) == [("response", "breach", 1), ("resolution", "breach", 1)]


def test_retiring_the_only_policy_cancels_its_clocks_and_nothing_fires(
    always, requester, service, group_manager
):
    retiring = make_policy(always, name="Old", warning_percents=[50])
    retiring.escalations.create(metric="resolution", percent=50, notify_group_manager=True)
    record = file_at(T, requester, service=service)

    retiring.is_active = False
    retiring.save()
    sla_policy_changed(policy=retiring, now=T + HOURS)

    for clock in clocks_of(record).values():
        assert (clock.state, clock.next_check_at) == (State.CANCELLED, None)
        assert ledger(clock)[-1] == (Kind.STOPPED, "no_policy")
    assert sweep_at(T + 20 * HOURS) == 0
    assert firings(record) == []


def test_a_retired_policy_escalates_nothing_even_before_its_clocks_move(
    always, requester, service, group_manager
):
    retiring = make_policy(always, name="Old", warning_percents=[50])
    retiring.escalations.create(metric="resolution", percent=50, notify_group_manager=True)
    record = file_at(T, requester, service=service)

    SLAPolicy.objects.filter(pk=retiring.pk).update(is_active=False)
    config_changed()  # a write without signals announces itself, as the services writing in bulk do

    sweep_at(T + 20 * HOURS)
    assert firings(record) == []
    assert all(clock.next_check_at is None for clock in clocks_of(record).values())
