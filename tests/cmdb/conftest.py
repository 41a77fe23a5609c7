import pytest

from servicedesk import roles

from ..factories import UserFactory


@pytest.fixture
def configuration_manager(db, organisation):
    return UserFactory(
        username="cmdb", roles=[roles.AGENT, roles.CONFIGURATION_MANAGER], organisation=organisation
    )
