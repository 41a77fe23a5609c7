import pytest

from incidents import services as incident_services
from servicedesk import roles

from ..factories import UserFactory
from ..incidents.factories import BusinessServiceFactory


@pytest.fixture
def problem_manager(db, organisation):
    return UserFactory(
        username="pm",
        full_name="Pat Problem",
        roles=[roles.AGENT, roles.PROBLEM_MANAGER],
        organisation=organisation,
    )


@pytest.fixture
def service(db, support_group):
    return BusinessServiceFactory(name="VPN", support_group=support_group)


@pytest.fixture
def incident(db, requester, service):
    return incident_services.incident_create(actor=requester, title="VPN drops every hour", service=service)


@pytest.fixture
def problem(db, agent, service, incident):
    from problems.services import problem_create

    return problem_create(actor=agent, title="VPN drops", service=service, incidents=[incident])
