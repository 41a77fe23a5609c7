import pytest
import structlog
from django.contrib.auth.models import Group, Permission

from servicedesk.models import AuditEvent, User
from tests.kernelkind import workflow as chore_workflow
from tests.kernelkind.records import PUBLISHED, SETTLED
from tests.kernelkind.services import chore_create

from ..factories import UserFactory

# The nine roles the desk starts with, spelled out rather than read from servicedesk.roles.
ALL_ROLES = [
    "Requester",
    "Agent",
    "Group manager",
    "Problem manager",
    "Change manager",
    "CAB member",
    "Release manager",
    "Configuration manager",
    "Administrator",
]


class AuditLog:
    """The audit events written since the fixture started, oldest first."""

    def __init__(self):
        self.start = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def events(self, **filters):
        return list(AuditEvent.objects.filter(pk__gt=self.start, **filters).order_by("pk"))

    def actions(self):
        return [event.action for event in self.events()]

    def mark(self):
        """Forget what was written so far (the setup of a test)."""
        self.__init__()


@pytest.fixture
def audit_log(db):
    return AuditLog()


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture(autouse=True)
def _no_correlation_id():
    """A test starts outside any request: no request id bound."""
    structlog.contextvars.clear_contextvars()
    yield
    structlog.contextvars.clear_contextvars()


def role_names_of(user):
    return set(Group.objects.filter(user=user).values_list("name", flat=True))


@pytest.fixture
def worker(agent):
    """The agent, allowed to work chores (the test-only record kind)."""
    agent.user_permissions.add(*Permission.objects.filter(codename__in=["work_chore", "view_chore"]))
    return User.objects.get(pk=agent.pk)  # a fresh permission cache


@pytest.fixture
def chore(requester):
    """A chore the requester filed, with what the kind notes for the tests forgotten."""
    PUBLISHED.clear()
    chore_workflow.AFTER_CALLS.clear()
    return chore_create(actor=requester, title="Water the plants")


@pytest.fixture
def settled():
    """What the chore kind's approval call back heard: [(approval status, actor)], from now on."""
    SETTLED.clear()
    return SETTLED
