import pytest

from incidents import services as incidents
from servicedesk import roles
from servicedesk.reporting.facts import facts_refresh_due
from tests.factories import SupportGroupFactory, UserFactory


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
def desk(db, administrator, requester, agent, group_manager, support_group, network, network_agent):
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
