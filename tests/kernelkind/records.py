from servicedesk.errors import NotFound
from servicedesk.kinds import RecordKind
from servicedesk.records.events import record_publish

from .intake import ChoreMailIntake
from .notifications import NOTIFICATION_RULES
from .policy import ChorePolicy
from .sla import CHORE_SLA
from .workflow import WORKFLOW

PUBLISHED = []  # (number, event, data) of every event, for the tests
SETTLED = []  # (approval status, actor) of every approval request settled on a chore, for the tests


def _get_for_user(*, user, number):
    record = ChorePolicy.visible_to(user).filter(number=number).first()
    if record is None:
        raise NotFound()
    return record


def _publish(*, record, event, actor, data=None, entry=None):
    """The kernel's publishing, noted for the tests."""
    PUBLISHED.append((record.number, event, data or {}))
    record_publish(record=record, event=event, actor=actor, entry=entry, data=data)


CHORE_KIND = RecordKind(
    code="chore",
    prefix="TST",
    label="Chore",
    model="kernelkind.Chore",
    get_for_user=_get_for_user,
    api_path="chores",
    api_viewset="tests.kernelkind.api.ChoreViewSet",
    represent=lambda record: {"number": record.number, "title": record.title, "status": record.status},
    events=("created", *dict.fromkeys(t.event for t in WORKFLOW if t.event), "sla_warning", "sla_breached"),
    policy=ChorePolicy,
    workflow=WORKFLOW,
    publish=_publish,
    on_approval=lambda approval, actor: SETTLED.append((approval.status, actor)),
    mail=ChoreMailIntake(),
    sla=CHORE_SLA,
    sla_metrics=("resolution",),  # no response clock: the kind's metrics are the ones that run
    notifications=NOTIFICATION_RULES,
)
