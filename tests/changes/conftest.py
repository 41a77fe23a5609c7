"""Fixtures of the change tests: a business service that depends on a database server (so the server's
impact reaches the service), its owner, a CAB of two members, a change manager and an implementer."""

import pytest

from changes import workflow as wf
from changes.models import StandardChange
from servicedesk import roles

from ..cmdb.factories import CIFactory, CIRelationshipFactory, relationship_type
from ..factories import UserFactory
from ..incidents.factories import BusinessServiceFactory
from .boards import make_board


@pytest.fixture
def service_owner(db, organisation):
    return UserFactory(
        username="owner", full_name="Olga Owner", roles=[roles.AGENT], organisation=organisation
    )


@pytest.fixture
def cab_members(db, organisation):
    return [
        UserFactory(username=f"cab{n}", full_name=f"Cab Member {n}", roles=[roles.CAB_MEMBER, roles.AGENT])
        for n in (1, 2)
    ]


@pytest.fixture
def cab(db, cab_members):
    """The change advisory board: two members."""
    return make_board("Change Advisory Board", cab_members)


@pytest.fixture
def ecab(db, cab_members):
    return make_board("Emergency CAB", cab_members[:1], emergency=True)


@pytest.fixture
def service(db, support_group, service_owner):
    return BusinessServiceFactory(name="Payroll", support_group=support_group, owner=service_owner)


@pytest.fixture
def server(db, service):
    """A production database server the Payroll service depends on."""
    ci = CIFactory(name="db-payroll-01", status="in_production")
    CIRelationshipFactory(source=service, target=ci, type=relationship_type("depends_on"))
    return ci


@pytest.fixture
def plans() -> dict:
    return {
        "implementation_plan": "1. Stop the service. 2. Patch. 3. Start it.",
        "test_plan": "Log in and run a payslip.",
        "backout_plan": "Restore last night's snapshot.",
    }


@pytest.fixture
def change(db, agent, change_manager, service, server, plans):
    """A normal change, drafted by an agent, on the Payroll database server."""
    from changes.services import change_create

    return change_create(
        actor=agent,
        title="Patch the payroll database",
        reason="Security fix CVE-2026-0001",
        services=[service],
        affected_cis=[server],
        **plans,
    )


@pytest.fixture
def standard(db, support_group, service, plans):
    standard = StandardChange.objects.create(
        name="Restart the payroll web tier", support_group=support_group, duration_minutes=30, **plans
    )
    standard.services.set([service])
    return standard


__all__ = ["wf"]
