"""Fulfilment tasks: created when a request may be worked, ready stage by stage, done by their group, the
request resolved when all are done; reopened only while the request is not closed."""

import pytest
from django.core.exceptions import ValidationError

from incidents import services
from incidents.models import FulfilmentTask, Incident, RequestType
from incidents.services.fulfilment import fulfilment_task_complete, fulfilment_task_reopen
from servicedesk import roles
from servicedesk.approvals.services import approval_decide
from servicedesk.errors import Conflict, PermissionDenied, StaleWrite
from servicedesk.models import ApprovalRequest, AuditEvent, OutboxMessage, TimelineEntry

from ..factories import SupportGroupFactory, UserFactory
from .fulfilment import file_laptop, laptop_type


@pytest.fixture
def buyer(db):
    return UserFactory(username="buyer", full_name="Bea Buyer", roles=[roles.AGENT])


@pytest.fixture
def procurement(db, buyer):
    return SupportGroupFactory(name="IT procurement", members=[buyer], email="")


@pytest.fixture
def fitter(db):
    return UserFactory(username="fitter", full_name="Fred Fitter", roles=[roles.AGENT])


@pytest.fixture
def desktop(db, fitter):
    return SupportGroupFactory(name="Desktop support", members=[fitter], email="")


def _tasks(record):
    return list(FulfilmentTask.objects.filter(record=record).order_by("position"))


def _reload(record):
    return Incident.objects.get(pk=record.pk)


def _statuses(record):
    return [task.status for task in _tasks(record)]


def test_a_request_without_approval_gets_its_tasks_at_once_and_the_first_group_is_told(
    requester, service, procurement, desktop, buyer
):
    record = file_laptop(requester, laptop_type(service, groups=[procurement, desktop]))

    assert _statuses(record) == ["ready", "pending"]
    assert [t.stage for t in _tasks(record)] == [0, 1]
    [mail] = OutboxMessage.objects.filter(event="notification.fulfilment_task_ready")
    assert mail.recipient == buyer.email
    assert "Step 1" in mail.payload["subject"]


def test_tasks_in_sequence_become_ready_one_after_another_and_the_last_resolves_the_request(
    requester, service, procurement, desktop, buyer, fitter
):
    record = file_laptop(requester, laptop_type(service, groups=[procurement, desktop]))
    first, second = _tasks(record)

    fulfilment_task_complete(task=first, actor=buyer, expected_version=first.revision)
    assert _statuses(record) == ["done", "ready"]
    assert _reload(record).status == "new"
    told = OutboxMessage.objects.filter(event="notification.fulfilment_task_ready", recipient=fitter.email)
    assert told.count() == 1

    fulfilment_task_complete(task=second, actor=fitter)
    record = _reload(record)
    assert record.status == "resolved"
    assert record.resolution_code == "fulfilled"
    assert "Step 1, Step 2" in record.resolution_notes
    events = list(
        TimelineEntry.objects.filter(object_id=record.pk, kind="system").values_list("data__event", flat=True)
    )
    assert events == ["tasks_created", "task_completed", "task_completed", "tasks_done"]
    assert AuditEvent.objects.filter(action="incident.task_completed").count() == 2


def test_parallel_tasks_become_ready_together(requester, service, procurement, desktop, buyer, fitter):
    record = file_laptop(requester, laptop_type(service, groups=[procurement, desktop], parallel=True))
    assert _statuses(record) == ["ready", "ready"]
    first, second = _tasks(record)
    fulfilment_task_complete(task=second, actor=fitter)
    assert _reload(record).status == "new"
    fulfilment_task_complete(task=first, actor=buyer)
    assert _reload(record).status == "resolved"


def test_a_pending_task_cannot_be_done_yet_and_a_done_one_not_again(
    requester, service, procurement, desktop, buyer
):
    record = file_laptop(requester, laptop_type(service, groups=[procurement, desktop]))
    first, second = _tasks(record)
    with pytest.raises(Conflict) as refused:
        fulfilment_task_complete(task=second, actor=buyer)
    assert refused.value.code == "task_not_ready"
    fulfilment_task_complete(task=first, actor=buyer)
    with pytest.raises(Conflict):
        fulfilment_task_complete(task=FulfilmentTask.objects.get(pk=first.pk), actor=buyer)


def test_a_stale_version_is_refused(requester, service, procurement, buyer):
    record = file_laptop(requester, laptop_type(service, groups=[procurement]))
    [task] = _tasks(record)
    with pytest.raises(StaleWrite):
        fulfilment_task_complete(task=task, actor=buyer, expected_version=task.revision - 1)
    assert _statuses(record) == ["ready"]


def test_only_the_groups_members_or_incident_agents_do_a_task(
    requester, service, procurement, fitter, agent, buyer
):
    fitter_without_work_right = fitter
    fitter_without_work_right.user_permissions.clear()
    record = file_laptop(requester, laptop_type(service, groups=[procurement]))
    [task] = _tasks(record)
    with pytest.raises(PermissionDenied):
        fulfilment_task_complete(task=task, actor=requester)
    # An agent of incidents (the desk) may do any task; so may a member of the group.
    fulfilment_task_complete(task=task, actor=agent)
    assert _statuses(record) == ["done"]


def test_a_member_of_the_group_without_the_incident_right_does_the_groups_task_only(
    requester, service, procurement, desktop
):
    member = UserFactory(username="storeman", roles=[roles.AGENT])
    member.groups.clear()
    member.user_permissions.add(*_workspace_only())
    procurement.members.add(member)
    record = file_laptop(requester, laptop_type(service, groups=[procurement, desktop], parallel=True))
    first, second = _tasks(record)
    with pytest.raises(PermissionDenied):
        fulfilment_task_complete(task=second, actor=member)
    fulfilment_task_complete(task=first, actor=member)
    assert _statuses(record) == ["done", "ready"]


def _workspace_only():
    from django.contrib.auth.models import Permission

    return list(Permission.objects.filter(codename="access_workspace"))


def test_tasks_wait_for_the_approval_and_come_with_it(requester, service, procurement, desktop):
    boss = UserFactory(username="boss", roles=[roles.REQUESTER])
    requester.manager = boss
    requester.save(update_fields=["manager"])
    laptop = laptop_type(service, groups=[procurement, desktop], approval=RequestType.Approval.MANAGER)
    record = file_laptop(requester, laptop)
    assert _tasks(record) == []

    approval_decide(
        approval=ApprovalRequest.objects.get(object_id=record.pk),
        actor=boss,
        decision="approve",
        comment="Yes.",
    )
    assert _statuses(record) == ["ready", "pending"]


def test_a_rejected_request_gets_no_tasks(requester, service, procurement):
    boss = UserFactory(username="boss", roles=[roles.REQUESTER])
    requester.manager = boss
    requester.save(update_fields=["manager"])
    laptop = laptop_type(service, groups=[procurement], approval=RequestType.Approval.MANAGER)
    record = file_laptop(requester, laptop)
    approval_decide(
        approval=ApprovalRequest.objects.get(object_id=record.pk),
        actor=boss,
        decision="reject",
        comment="No.",
    )
    assert _reload(record).status == "cancelled"
    assert _tasks(record) == []


def test_reopening_a_task_of_a_resolved_request_reopens_it_and_later_tasks_wait_again(
    requester, service, procurement, desktop, buyer, fitter
):
    record = file_laptop(requester, laptop_type(service, groups=[procurement, desktop]))
    first, second = _tasks(record)
    fulfilment_task_complete(task=first, actor=buyer)
    with pytest.raises(ValidationError):
        fulfilment_task_reopen(task=first, actor=buyer, reason=" ")
    fulfilment_task_reopen(task=first, actor=buyer, reason="Wrong model ordered.")
    assert _statuses(record) == ["ready", "pending"]

    fulfilment_task_complete(task=first, actor=buyer)
    fulfilment_task_complete(task=second, actor=fitter)
    assert _reload(record).status == "resolved"
    fulfilment_task_reopen(task=second, actor=fitter, reason="The dock is missing.")
    record = _reload(record)
    assert record.status == "in_progress"
    assert _statuses(record) == ["done", "ready"]
    with pytest.raises(Conflict) as refused:
        fulfilment_task_reopen(task=FulfilmentTask.objects.get(pk=second.pk), actor=fitter, reason="Again")
    assert refused.value.code == "task_not_done"


def test_a_task_of_a_closed_request_is_not_reopened_nor_done(requester, service, procurement, desktop, buyer):
    record = file_laptop(requester, laptop_type(service, groups=[procurement, desktop]))
    first, second = _tasks(record)
    fulfilment_task_complete(task=first, actor=buyer)
    services.incident_transition(
        record=_reload(record), actor=requester, to="cancelled", reason="Not needed."
    )
    with pytest.raises(Conflict) as refused:
        fulfilment_task_reopen(task=first, actor=buyer, reason="Oops")
    assert refused.value.code == "request_closed"
    with pytest.raises(Conflict) as refused:
        fulfilment_task_complete(task=second, actor=buyer)
    assert refused.value.code == "request_not_open"


def test_an_incident_and_a_type_without_tasks_get_none(requester, service, request_type, procurement):
    record = services.incident_create(
        actor=requester, kind="request", title="Mailbox", request_type=request_type
    )
    assert _tasks(record) == []
    assert _reload(record).status == "new"
