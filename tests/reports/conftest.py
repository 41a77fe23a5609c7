"""Reporting fixtures: an office calendar (Monday to Friday 09:00-17:00 UTC), a policy on it, agents in
groups of each tier, and helpers to act at a moment and to ask a measure."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Permission

from incidents import services
from incidents import services as incidents
from servicedesk import roles
from servicedesk.models import BusinessCalendar, SLAPolicy, SLATarget, SupportGroup
from servicedesk.reporting.facts import facts_refresh, facts_refresh_due
from servicedesk.reporting.measures import Query, Scope, measure
from servicedesk.sla.calendars import calendar_set_hours

from ..factories import SupportGroupFactory, UserFactory
from ..incidents.conftest import _attachment_root, request_type, service  # noqa: F401 (fixtures)

UTC = ZoneInfo("UTC")
HOURS = timedelta(hours=1)
EVERYTHING = Scope(everything=True)


def at(year, month, day, hour=0, minute=0, zone=UTC) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def run_at(moment, function, /, **kwargs):
    """Call a service as if it were `moment`."""
    with time_machine.travel(moment, tick=False):
        return function(**kwargs)


def ask(key, start, end, *, time_zone="UTC", scope=EVERYTHING, **fields):
    """The measure `key`'s answer to a query over [start, end)."""
    return measure(key).compute(Query(start=start, end=end, time_zone=time_zone, scope=scope, **fields))


def refresh(*records) -> None:
    """The facts of `records` (incidents and requests) recomputed now."""
    by_kind = {}
    for record in records:
        by_kind.setdefault(record.kind, []).append(record.pk)
    for kind, ids in by_kind.items():
        facts_refresh(kind, ids)


def rows_by_key(result) -> dict:
    return {row.key: row.values for row in result.rows}


@pytest.fixture
def office(db):
    calendar = BusinessCalendar.objects.create(name="Office", time_zone="UTC")
    return calendar_set_hours(calendar=calendar, actor=None, weekly={day: [(540, 1020)] for day in range(5)})


@pytest.fixture
def policy(office):
    """On the office calendar: respond in 1 business hour, resolve in 8."""
    policy = SLAPolicy.objects.create(name="Office hours", order=100, calendar=office)
    for priority in range(1, 6):
        SLATarget.objects.create(policy=policy, metric="response", priority=priority, target=HOURS)
        SLATarget.objects.create(policy=policy, metric="resolution", priority=priority, target=8 * HOURS)
    return policy


@pytest.fixture
def first_line(db, agent, group_manager):
    return SupportGroupFactory(
        name="First line", tier=SupportGroup.Tier.TIER1, manager=group_manager, members=[agent, group_manager]
    )


@pytest.fixture
def second_line(db, agent):
    specialist = UserFactory(username="specialist", roles=[roles.AGENT])
    return SupportGroupFactory(name="Second line", tier=SupportGroup.Tier.TIER2, members=[agent, specialist])


@pytest.fixture
def desk(agent, requester, first_line):
    """File, work, resolve and reopen incidents as the agent, at given moments."""
    agent.user_permissions.add(
        *Permission.objects.filter(codename__in=["resolve_incident", "reopen_incident"])
    )

    class Desk:
        def file(self, moment, *, group=first_line, **fields):
            fields.setdefault("requester", requester)
            return run_at(
                moment,
                services.incident_create,
                actor=agent,
                title="Printer jam",
                support_group=group,
                **fields,
            )

        def start(self, moment, record):
            return run_at(moment, services.incident_transition, record=record, actor=agent, to="in_progress")

        def resolve(self, moment, record, *, code="solved", first_contact=False):
            return run_at(
                moment,
                services.incident_transition,
                record=record,
                actor=agent,
                to="resolved",
                resolution_code=code,
                resolution_notes="Fixed.",
                first_contact_resolution=first_contact,
            )

        def reopen(self, moment, record):
            return run_at(
                moment,
                services.incident_transition,
                record=record,
                actor=agent,
                to="in_progress",
                reason="It came back.",
            )

        def move(self, moment, record, group, assignee=services.UNSET):
            return run_at(
                moment,
                services.incident_assign,
                record=record,
                actor=agent,
                support_group=group,
                assignee=assignee,
            )

        def rate(self, moment, record, score, comment=""):
            return run_at(
                moment,
                services.incident_rate,
                record=record,
                actor=record.requester,
                score=score,
                comment=comment,
            )

        def merge(self, moment, duplicate, target):
            return run_at(moment, services.incident_merge, duplicate=duplicate, target=target, actor=agent)

    return Desk()


@pytest.fixture
def network_manager(db, organisation):
    return UserFactory(
        username="netmanager", roles=[roles.AGENT, roles.GROUP_MANAGER], organisation=organisation
    )


@pytest.fixture
def network_agent(db, organisation):
    return UserFactory(username="netagent", roles=[roles.AGENT], organisation=organisation)


@pytest.fixture
def network(db, network_manager, network_agent):
    return SupportGroupFactory(
        name="Network", manager=network_manager, members=[network_agent, network_manager]
    )


def file_records(*, actor, requester, group, assignees) -> list:
    """One incident per entry of `assignees` (None: left in the group's queue), filed now."""
    return [
        incidents.incident_create(
            actor=actor,
            requester=requester,
            title=f"Report record {index}",
            support_group=group,
            assignee=assignee,
        )
        for index, assignee in enumerate(assignees)
    ]


@pytest.fixture
def two_groups(db, administrator, requester, agent, group_manager, support_group, network, network_agent):
    """The manager's group ("Service Desk": two records for `agent`, one unassigned) and another group
    ("Network": two records for its own agent) that the manager must not count; facts refreshed."""
    ours = file_records(
        actor=administrator, requester=requester, group=support_group, assignees=[agent, agent, None]
    )
    theirs = file_records(
        actor=administrator, requester=requester, group=network, assignees=[network_agent, network_agent]
    )
    facts_refresh_due()
    return {"ours": ours, "theirs": theirs, "mine": ours[:2]}
