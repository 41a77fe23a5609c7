"""When a clock breached: stamped at the crossing by whatever sees it first, once per crossing.

The stamp (`breached_at`, and a "breached" point in the ledger) is a fact of the clock; announcing it on the
timeline and escalating happen once per cycle. Driven through the incident services as people drive them.
"""

import random
from datetime import timedelta

import pytest
from django.utils.dateparse import parse_datetime

from incidents import services
from incidents.models import Incident
from servicedesk.models import SLAClock, SLAPolicy, SLASegment, SLATarget, TimelineEntry
from servicedesk.sla.calendars import calendar_set_hours
from servicedesk.sla.clocks import Context, consumed_at

from .conftest import HOURS, LONDON, at, clocks_of, firings, make_policy, sweep_at
from .test_clocks import assert_ledger_explains, run_at, transition_at

MINUTES = timedelta(minutes=1)
T = at(2026, 1, 5, 10)  # a Monday, 10:00 UTC
State = SLAClock.State
Kind = SLASegment.Kind


def breach_points(clock) -> list:
    """The times of the clock's "breached" ledger points, in the order they were written."""
    return list(clock.ledger.filter(kind=Kind.BREACHED).order_by("id").values_list("started_at", flat=True))


def breach_events(record, metric) -> list:
    """The `due_at` of each "SLA breached" entry of the record's timeline for `metric`."""
    entries = TimelineEntry.objects.filter(object_id=record.pk, kind=TimelineEntry.Kind.SYSTEM).order_by("id")
    return [
        parse_datetime(entry.data["due_at"])
        for entry in entries
        if entry.data.get("event") == "sla_breached" and entry.data.get("metric") == metric
    ]


def file_at(moment, requester, service):
    return run_at(moment, services.incident_create, actor=requester, title="Mail is down", service=service)


def hold_for_requester_at(moment, record, agent):
    return transition_at(moment, record, agent, "on_hold", hold_reason=Incident.HoldReason.REQUESTER)


# A clock paused past its target before a sweep saw it -------------------------------------------------


def test_a_clock_paused_after_its_due_time_is_breached_at_the_due_time(policy, requester, agent, service):
    record = file_at(T, requester, service)
    transition_at(T + MINUTES, record, agent, "assigned", assignee=agent)
    hold_for_requester_at(T + 90 * MINUTES, record, agent)  # 11:30; the response was due at 11:00

    sweep_at(T + 100 * MINUTES)

    response = clocks_of(record)["response"]
    assert (response.state, response.breached_at) == (State.PAUSED, T + HOURS)
    assert breach_points(response) == [T + HOURS]
    assert breach_events(record, "response") == [T + HOURS]
    assert ("response", "breach", 1) in firings(record)


def test_a_reply_after_a_pause_past_the_due_time_keeps_the_due_and_breach_times(
    policy, requester, agent, service
):
    record = file_at(T, requester, service)
    transition_at(T + MINUTES, record, agent, "assigned", assignee=agent)
    hold_for_requester_at(T + 90 * MINUTES, record, agent)

    run_at(T + 95 * MINUTES, services.incident_comment, record=record, actor=requester, body="Here it is.")

    response = clocks_of(record)["response"]
    assert response.state == State.RUNNING
    assert (response.due_at, response.breached_at) == (T + HOURS, T + HOURS)
    record.refresh_from_db()
    assert record.sla_due_at == T + HOURS
    sweep_at(T + 100 * MINUTES)
    response = clocks_of(record)["response"]
    assert (response.due_at, response.breached_at) == (T + HOURS, T + HOURS)
    assert breach_points(response) == [T + HOURS]
    assert breach_events(record, "response") == [T + HOURS]


def test_a_calendar_edited_after_the_due_time_keeps_the_breach_at_the_due_time(office, requester, service):
    make_policy(office)
    monday = at(2026, 1, 5, 9)  # 09:00 in London (GMT); the response is due at 10:00
    record = file_at(monday, requester, service)

    run_at(
        monday + 90 * MINUTES,
        calendar_set_hours,
        calendar=office,
        actor=None,
        weekly={day: [(480, 1080)] for day in range(5)},
    )
    sweep_at(monday + 100 * MINUTES)

    response = clocks_of(record)["response"]
    assert (response.breached_at, response.due_at) == (monday + HOURS, monday + HOURS)
    assert breach_points(response) == [monday + HOURS]
    assert breach_events(record, "response") == [monday + HOURS]


# A second breach in one cycle -------------------------------------------------------------------------


@pytest.fixture
def tiered(always):
    """24x7; resolution in 2 h per priority step (P1 2 h ... P4 8 h); warn at 50 %."""
    policy = SLAPolicy.objects.create(
        name="Tiered", calendar=always, warning_percents=[50], pause_on=["on_hold:requester"]
    )
    for priority in range(1, 6):
        SLATarget.objects.create(
            policy=policy, metric="resolution", priority=priority, target=2 * priority * HOURS
        )
    return policy


def test_a_target_lowered_and_raised_again_breaches_a_second_time_in_the_cycle(
    tiered, requester, agent, service
):
    record = file_at(T, requester, service)  # P4: 8 h
    transition_at(T + MINUTES, record, agent, "in_progress")
    run_at(T + HOURS, services.incident_update, record=record, actor=agent, urgency=1, impact=1)  # P1: 2 h
    sweep_at(T + 150 * MINUTES)
    assert clocks_of(record)["resolution"].breached_at == T + 2 * HOURS

    run_at(T + 3 * HOURS, services.incident_update, record=record, actor=agent, urgency=2, impact=3)  # P4
    resolution = clocks_of(record)["resolution"]
    assert (resolution.target_seconds, resolution.breached_at) == (8 * 3600, None)
    assert resolution.due_at == T + 8 * HOURS

    sweep_at(T + 9 * HOURS)

    resolution = clocks_of(record)["resolution"]
    assert resolution.breached_at == T + 8 * HOURS
    assert breach_points(resolution) == [T + 2 * HOURS, T + 8 * HOURS]
    assert breach_events(record, "resolution") == [T + 2 * HOURS]  # announced once per cycle
    assert resolution.next_check_at is None
    assert sweep_at(T + 10 * HOURS) == 0
    assert clocks_of(record)["resolution"].breached_at == T + 8 * HOURS


def test_a_target_lowered_below_the_time_consumed_breaches_at_the_re_target(
    tiered, requester, agent, service
):
    record = file_at(T, requester, service)
    transition_at(T + MINUTES, record, agent, "in_progress")

    run_at(T + 3 * HOURS, services.incident_update, record=record, actor=agent, urgency=1, impact=1)

    resolution = clocks_of(record)["resolution"]
    assert resolution.breached_at == T + 3 * HOURS
    assert resolution.due_at == T + 3 * HOURS
    assert breach_points(resolution) == [T + 3 * HOURS]
    sweep_at(T + 3 * HOURS + MINUTES)
    assert clocks_of(record)["resolution"].breached_at == T + 3 * HOURS
    assert breach_events(record, "resolution") == [T + 3 * HOURS]


def test_a_clock_resolved_late_before_any_sweep_has_its_breach_in_the_ledger(
    policy, requester, agent, service
):
    record = file_at(T, requester, service)
    transition_at(T + MINUTES, record, agent, "in_progress")

    transition_at(
        T + 9 * HOURS, record, agent, "resolved", resolution_code="solved", resolution_notes="Restarted."
    )

    resolution = clocks_of(record)["resolution"]
    assert (resolution.state, resolution.breached_at) == (State.BREACHED, T + 8 * HOURS)
    assert breach_points(resolution) == [T + 8 * HOURS]


# Random lifecycles against a minute-by-minute reference -------------------------------------------------


class ReferenceClock:
    """One clock as a person with a stopwatch would keep it, one minute at a time.

    Consumption counts the working minutes the clock ran; the breach is the end of the minute that made
    consumption reach the target in force (or the moment a shorter target put it behind), until a longer
    target puts the clock back within it; the due time of a running clock is where it would reach the target.
    """

    def __init__(self, metric, target):
        self.metric, self.target, self.state = metric, target, State.RUNNING
        self.consumed, self.breached_at, self.due_at = 0, None, None

    def tick(self, minute, working):
        if self.state == State.RUNNING and working:
            self.consumed += 1
            if self.breached_at is None and self.consumed >= self.target:
                self.breached_at = minute + MINUTES


def reference_targets(metric, priority):
    """Minutes: resolution 2 h per priority step, response 15 min per step (as `lifecycle_policy`)."""
    return priority * (120 if metric == "resolution" else 15)


class Reference:
    """The reference clocks of one record, advanced minute by minute between its changes."""

    def __init__(self, working, record, moment):
        self.working, self.moment = working, moment
        self.clocks = {
            metric: ReferenceClock(metric, reference_targets(metric, record.priority))
            for metric in ("response", "resolution")
        }
        self.observe(record, moment)

    def advance(self, moment):
        minute = self.moment
        while minute < moment:
            working = self.working(minute)
            for clock in self.clocks.values():
                clock.tick(minute, working)
            minute += MINUTES
        self.moment = moment

    def observe(self, record, moment):
        """What the record's state after a change at `moment` does to each clock."""
        resolved = record.status in ("resolved", "closed")
        paused = record.status == "on_hold" and record.hold_reason == Incident.HoldReason.REQUESTER
        for metric, clock in self.clocks.items():
            stops = resolved or (metric == "response" and record.responded_at is not None)
            if clock.state not in (State.RUNNING, State.PAUSED):
                if metric == "response" or stops:
                    continue
                clock.state = State.RUNNING  # a reopened record resumes its resolution clock
            target = reference_targets(metric, record.priority)
            if target != clock.target:
                clock.target = target
                if clock.consumed < target:
                    clock.breached_at = None
                elif clock.breached_at is None:
                    clock.breached_at = moment
            if stops:
                clock.state = State.BREACHED if clock.consumed >= clock.target else State.MET
                continue  # a stopped clock keeps the due time it had
            clock.state = State.PAUSED if paused else State.RUNNING
            clock.due_at = self._due(clock, moment) if clock.state == State.RUNNING else None

    def _due(self, clock, moment):
        if clock.consumed >= clock.target:
            return clock.breached_at
        consumed, minute = clock.consumed, moment
        while consumed < clock.target:
            consumed += self.working(minute)
            minute += MINUTES
        return minute


def london_office_minute(minute) -> bool:
    local = minute.astimezone(LONDON)
    return local.weekday() < 5 and 9 * 60 <= local.hour * 60 + local.minute < 17 * 60


@pytest.fixture
def lifecycle_policy(request, always, office):
    """Both metrics by priority (response 15 min, resolution 2 h per step), on the 24x7 calendar or the
    London office's; paused while waiting for the requester; a warning at 50 %."""
    calendar = always if request.param == "24x7" else office
    policy = SLAPolicy.objects.create(
        name="Lifecycle", calendar=calendar, warning_percents=[50], pause_on=["on_hold:requester"]
    )
    for priority in range(1, 6):
        for metric in ("response", "resolution"):
            SLATarget.objects.create(
                policy=policy,
                metric=metric,
                priority=priority,
                target=timedelta(minutes=reference_targets(metric, priority)),
            )
    return (lambda minute: True) if request.param == "24x7" else london_office_minute


# Some actions are listed twice to keep the response clock running and to pause it more often.
LIFECYCLE_ACTIONS = {
    "new": ["comment", "reply", "note", "assign", "assign", "priority", "priority", "start", "resolve"],
    "assigned": ["hold_requester", "hold_requester", "hold_vendor", "start", "priority", "reply", "note"],
    "in_progress": ["hold_requester", "hold_vendor", "resolve", "priority", "priority", "comment", "note"],
    "on_hold": ["reply", "resume", "priority", "note"],
    "resolved": ["reopen", "reply"],
}


def perform(action, record, moment, *, requester, agent, rng):
    hold = {"hold_requester": Incident.HoldReason.REQUESTER, "hold_vendor": Incident.HoldReason.VENDOR}
    comment = services.incident_comment
    if action in ("comment", "note"):
        run_at(moment, comment, record=record, actor=agent, body="Looking.", is_public=action == "comment")
    elif action == "reply":
        run_at(moment, comment, record=record, actor=requester, body="Any news?")
    elif action == "assign":
        transition_at(moment, record, agent, "assigned", assignee=agent)
    elif action in ("start", "resume", "reopen"):
        transition_at(moment, record, agent, "in_progress", reason="Again.")
    elif action in hold:
        transition_at(moment, record, agent, "on_hold", hold_reason=hold[action])
    elif action == "resolve":
        transition_at(moment, record, agent, "resolved", resolution_code="solved", resolution_notes="Done.")
    elif action == "priority":
        impact, urgency = rng.choice([1, 2, 3]), rng.choice([1, 2, 3])
        run_at(moment, services.incident_update, record=record, actor=agent, impact=impact, urgency=urgency)
    record.refresh_from_db()
    return record


def assert_clocks_follow(record, reference, moment, *, swept):
    """Each clock agrees with the reference at `moment`: consumption, state and due time always; the
    breach once a sweep looked (before, a running clock may not be stamped yet), with its ledger point."""
    clocks = clocks_of(record)
    for metric, expected in reference.clocks.items():
        clock = clocks[metric]
        schedule = Context.create(moment).schedule(clock)
        label = f"{metric} at {moment:%a %d %H:%M}"
        assert consumed_at(clock, schedule, moment) == pytest.approx(60 * expected.consumed), label
        assert clock.state == expected.state, label
        assert clock.due_at == expected.due_at, label
        if swept or clock.state != State.RUNNING:
            assert clock.breached_at == expected.breached_at, label
        else:
            assert clock.breached_at in (None, expected.breached_at), label
        points = breach_points(clock)
        if clock.breached_at is not None:
            assert points, label
            assert points[-1] == clock.breached_at, label
        assert set(breach_events(record, metric)) <= set(points), label  # announced breaches happened
        assert len(breach_events(record, metric)) <= 1, label  # once per cycle
        assert_ledger_explains(clock, moment)
    dues = [clock.due_at for clock in clocks.values() if clock.state == State.RUNNING]
    record.refresh_from_db()
    assert record.sla_due_at == min(dues, default=None)


@pytest.mark.parametrize("lifecycle_policy", ["24x7", "office"], indirect=True)
@pytest.mark.parametrize("seed", [2, 4])  # walks that pause past a due time, breach twice, re-target
def test_random_lifecycles_agree_with_a_minute_by_minute_reference(
    lifecycle_policy, requester, agent, service, seed
):
    rng = random.Random(seed)
    moment = at(2026, 3, 23, 8, 30)  # a Monday; London moves to summer time on Sunday
    record = file_at(moment, requester, service)
    reference = Reference(lifecycle_policy, record, moment)
    for _step in range(30):
        moment += timedelta(minutes=rng.choice([4, 15, 40, 90, 240, 900]))
        reference.advance(moment)
        record = perform(
            rng.choice(LIFECYCLE_ACTIONS[record.status]),
            record,
            moment,
            requester=requester,
            agent=agent,
            rng=rng,
        )
        reference.observe(record, moment)
        assert_clocks_follow(record, reference, moment, swept=False)
        if rng.random() < 0.6:
            moment += timedelta(minutes=rng.choice([0, 10, 60]))
            reference.advance(moment)
            sweep_at(moment)
            assert_clocks_follow(record, reference, moment, swept=True)
