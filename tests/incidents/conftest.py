import pytest

from incidents import services

from .factories import BusinessServiceFactory, CategoryFactory, RequestTypeFactory


@pytest.fixture(autouse=True)
def _attachment_root(settings, tmp_path):
    settings.ITSM_ATTACHMENT_ROOT = tmp_path / "attachments"


@pytest.fixture
def service(db, support_group):
    return BusinessServiceFactory(name="E-mail", support_group=support_group)


@pytest.fixture
def category(db):
    return CategoryFactory(name="Software")


@pytest.fixture
def subcategory(db, category):
    return CategoryFactory(name="E-mail client", parent=category)


@pytest.fixture
def request_type(db, service):
    return RequestTypeFactory(name="New mailbox", service=service)


@pytest.fixture
def incident(db, requester, service):
    """An incident the requester filed from the portal (routed to the service's group)."""
    return services.incident_create(
        actor=requester, title="Outlook does not start", description="It crashes at once.", service=service
    )


@pytest.fixture
def service_request(db, requester, request_type):
    return services.incident_create(
        actor=requester, kind="request", title="A mailbox for the team", request_type=request_type
    )
