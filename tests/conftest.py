import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from servicedesk import roles

from .factories import OrganisationFactory, SupportGroupFactory, UserFactory


def pytest_report_header(config):
    database = settings.DATABASES["default"]
    broker = settings.CELERY_BROKER_URL.split("://", 1)[0]
    return [
        f"database: {connection.vendor} ({database['ENGINE'].rsplit('.', 1)[-1]})",
        f"broker: {broker} ({'REDIS_URL set' if settings.REDIS_URL else 'in-memory, REDIS_URL not set'})",
    ]


@pytest.fixture(autouse=True)
def _clear_cache():
    # Transactional tests flush and re-create content types with new ids; forget the old ones.
    ContentType.objects.clear_cache()
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def organisation(db):
    return OrganisationFactory(name="Contoso Ltd")


@pytest.fixture
def requester(db, organisation):
    return UserFactory(username="requester", roles=[roles.REQUESTER], organisation=organisation)


@pytest.fixture
def other_requester(db):
    return UserFactory(username="other", roles=[roles.REQUESTER], organisation=OrganisationFactory())


@pytest.fixture
def agent(db, organisation):
    return UserFactory(username="agent", roles=[roles.AGENT], organisation=organisation)


@pytest.fixture
def group_manager(db, organisation):
    return UserFactory(
        username="manager", roles=[roles.AGENT, roles.GROUP_MANAGER], organisation=organisation
    )


@pytest.fixture
def change_manager(db, organisation):
    return UserFactory(
        username="changes", roles=[roles.AGENT, roles.CHANGE_MANAGER], organisation=organisation
    )


@pytest.fixture
def administrator(db, organisation):
    return UserFactory(
        username="administrator", roles=[roles.ADMINISTRATOR], organisation=organisation, is_staff=True
    )


@pytest.fixture
def support_group(db, agent, group_manager):
    return SupportGroupFactory(name="Service Desk", manager=group_manager, members=[agent, group_manager])


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def api_as(api_client):
    """`api_as(user)`: an API client authenticated as `user` (session-less, forced)."""

    def _login(user):
        api_client.force_authenticate(user)
        return api_client

    return _login


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker (in a thread) consuming from the configured broker: Redis in CI."""
    from celery.contrib.testing.worker import start_worker

    from itsm.celery import app

    app.conf.task_always_eager = False
    app.control.purge()
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as worker:
            yield worker
    finally:
        app.conf.task_always_eager = True
