"""The approvals kernel service: rules, required approvers, groups, delegation, refusals, the guard, the
sweep (reminders and expiry), the e-mails and the call back to the record's kind."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from servicedesk import roles
from servicedesk.approvals.links import approval_link_read
from servicedesk.approvals.outcome import Tally, outcome
from servicedesk.approvals.selectors import (
    approval_pending,
    approval_settled,
    approvals_for_record,
    approvals_pending_for_user,
    is_approved,
)
from servicedesk.approvals.services import (
    approval_cancel,
    approval_decide,
    approval_delegate,
    approval_request_open,
    approvals_cancel_for_record,
)
from servicedesk.approvals.sweep import approvals_sweep
from servicedesk.errors import Conflict, PermissionDenied
from servicedesk.models import (
    ApprovalDecision,
    ApprovalDelegation,
    ApprovalRequest,
    AuditEvent,
    OutboxMessage,
    TimelineEntry,
)
from tests.kernelkind.services import chore_create

from ..factories import SupportGroupFactory, UserFactory

APPROVE, REJECT = "approve", "reject"


@pytest.fixture
def record(db, worker, requester, support_group, settled):
    created = chore_create(actor=requester, title="Firewall rule for the payroll server")
    OutboxMessage.objects.all().delete()
    return created


@pytest.fixture
def people(db):
    return [UserFactory(username=f"approver{i}", roles=[roles.REQUESTER]) for i in range(3)]


def _open(record, approvers=(), **kwargs):
    return approval_request_open(record=record, actor=None, approvers=approvers, **kwargs)


def _status(approval):
    approval.refresh_from_db()
    return approval.status


# The rules, counted without the database


@pytest.mark.parametrize(
    ("rule", "tally", "expected"),
    [
        ("any", Tally(3, 1, 0), "approved"),
        ("any", Tally(3, 0, 2), "pending"),
        ("any", Tally(3, 0, 3), "rejected"),
        ("all", Tally(3, 2, 0), "pending"),
        ("all", Tally(3, 3, 0), "approved"),
        ("all", Tally(3, 2, 1), "rejected"),
        ("majority", Tally(3, 1, 1), "pending"),
        ("majority", Tally(3, 2, 0), "approved"),
        ("majority", Tally(3, 0, 2), "rejected"),
        ("majority", Tally(4, 2, 0), "pending"),
        ("majority", Tally(4, 2, 2), "rejected"),
        ("any", Tally(2, 1, 0, required=1, required_approvals=0), "pending"),
        ("any", Tally(2, 2, 0, required=1, required_approvals=1), "approved"),
        ("all", Tally(2, 1, 0, required=1, required_rejections=1), "rejected"),
    ],
)
def test_outcome_counts_votes_by_the_rule(rule, tally, expected):
    assert outcome(rule, tally) == expected


# Each rule, through the service


def test_any_one_approval_approves_and_calls_back_the_kind(record, people, settled):
    approval = _open(record, people, rule="any")

    approval_decide(approval=approval, actor=people[1], decision=APPROVE, comment="Fine by me.")

    assert _status(approval) == "approved"
    assert settled == [("approved", people[1])]
    approval.refresh_from_db()
    assert approval.settled_at is not None
    assert approval.next_check_at is None


def test_any_is_rejected_only_when_everyone_rejected(record, people):
    approval = _open(record, people[:2], rule="any")

    approval_decide(approval=approval, actor=people[0], decision=REJECT, comment="No budget.")
    assert _status(approval) == "pending"
    approval_decide(approval=approval, actor=people[1], decision=REJECT, comment="Agreed, no.")
    assert _status(approval) == "rejected"
    approval.refresh_from_db()
    assert approval.outcome_note == "Agreed, no."


def test_all_needs_every_approval_and_the_first_rejection_rejects(record, people, settled):
    approval = _open(record, people, rule="all")
    approval_decide(approval=approval, actor=people[0], decision=APPROVE)
    approval_decide(approval=approval, actor=people[1], decision=APPROVE)
    assert _status(approval) == "pending"
    approval_decide(approval=approval, actor=people[2], decision=APPROVE)
    assert _status(approval) == "approved"

    second = _open(record, people, rule="all")
    approval_decide(approval=second, actor=people[0], decision=REJECT, comment="Too risky.")
    assert _status(second) == "rejected"
    assert settled == [("approved", people[2]), ("rejected", people[0])]


def test_majority_needs_more_than_half(record, people):
    approval = _open(record, people, rule="majority")
    approval_decide(approval=approval, actor=people[0], decision=APPROVE)
    approval_decide(approval=approval, actor=people[1], decision=REJECT, comment="Not now.")
    assert _status(approval) == "pending"
    approval_decide(approval=approval, actor=people[2], decision=APPROVE)
    assert _status(approval) == "approved"


def test_majority_is_rejected_once_it_cannot_be_reached(record, people):
    approval = _open(record, people, rule="majority")
    approval_decide(approval=approval, actor=people[0], decision=REJECT, comment="No.")
    approval_decide(approval=approval, actor=people[1], decision=REJECT, comment="No.")
    assert _status(approval) == "rejected"


def test_a_required_approvers_rejection_rejects_under_any_rule(record, people):
    approval = _open(record, people[:2], rule="any", required=[people[2]])
    assert set(approval.approvers.all()) == set(people)  # a required approver is an approver

    approval_decide(approval=approval, actor=people[2], decision=REJECT, comment="Not on my watch.")

    assert _status(approval) == "rejected"


def test_a_required_approvers_approval_is_needed_under_any_rule(record, people):
    approval = _open(record, people[:2], rule="any", required=[people[2]])

    approval_decide(approval=approval, actor=people[0], decision=APPROVE)
    assert _status(approval) == "pending"
    approval_decide(approval=approval, actor=people[2], decision=APPROVE)
    assert _status(approval) == "approved"


# Groups and delegation


def test_any_active_member_decides_for_a_group_once(record, people):
    cab = SupportGroupFactory(name="CAB", members=people[:2])
    approval = _open(record, groups=[cab], rule="all")

    approval_decide(approval=approval, actor=people[0], decision=APPROVE)

    assert _status(approval) == "approved"
    decision = ApprovalDecision.objects.get(request=approval)
    assert decision.group == cab
    assert decision.on_behalf_of is None


def test_a_group_that_has_decided_takes_no_second_answer(record, people):
    cab = SupportGroupFactory(name="CAB", members=people[:2])
    approval = _open(record, [people[2]], groups=[cab], rule="all")
    approval_decide(approval=approval, actor=people[0], decision=APPROVE)

    with pytest.raises(Conflict) as refused:
        approval_decide(approval=approval, actor=people[1], decision=APPROVE)
    assert refused.value.code == "approval_already_decided"


def test_a_delegate_decides_on_behalf_of_the_approver(record, people, audit_log):
    holiday_cover = people[2]
    approval_delegate(actor=people[0], delegate=holiday_cover, ends_at=timezone.now() + timedelta(days=7))
    approval = _open(record, [people[0], people[1]], rule="all")

    assert approval in approvals_pending_for_user(user=holiday_cover)
    approval_decide(approval=approval, actor=holiday_cover, decision=APPROVE, comment="For Ann.")

    decision = ApprovalDecision.objects.get(request=approval)
    assert (decision.approver, decision.on_behalf_of) == (holiday_cover, people[0])
    with pytest.raises(Conflict):  # the delegator's vote is cast
        approval_decide(approval=approval, actor=people[0], decision=APPROVE)
    assert _status(approval) == "pending"
    assert "approval.delegated" in [e.action for e in AuditEvent.objects.all()]


def test_a_delegation_that_ended_gives_no_right(record, people):
    approval_delegate(
        actor=people[0],
        delegate=people[2],
        starts_at=timezone.now() - timedelta(days=3),
        ends_at=timezone.now() + timedelta(seconds=1),
    )
    approval = _open(record, [people[0]])
    ApprovalDelegation.objects.update(ends_at=timezone.now() - timedelta(minutes=1))

    with pytest.raises(PermissionDenied):
        approval_decide(approval=approval, actor=people[2], decision=APPROVE)
    assert approval not in approvals_pending_for_user(user=people[2])


def test_delegating_is_for_ones_own_approvals_and_to_someone_else(people, superuser):
    later = timezone.now() + timedelta(days=1)
    with pytest.raises(PermissionDenied):
        approval_delegate(actor=people[0], delegator=people[1], delegate=people[2], ends_at=later)
    with pytest.raises(ValidationError) as refused:
        approval_delegate(actor=people[0], delegate=people[0], ends_at=later)
    assert "delegate" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        approval_delegate(actor=people[0], delegate=people[1], ends_at=timezone.now() - timedelta(hours=1))
    assert "ends_at" in refused.value.message_dict
    delegation = approval_delegate(actor=superuser, delegator=people[1], delegate=people[2], ends_at=later)
    assert delegation.created_by == superuser


# Refusals


def test_someone_not_asked_is_refused(record, people, worker):
    approval = _open(record, people[:1])
    with pytest.raises(PermissionDenied):
        approval_decide(approval=approval, actor=worker, decision=APPROVE)
    assert not ApprovalDecision.objects.exists()


def test_a_second_decision_and_a_decided_request_are_conflicts(record, people):
    approval = _open(record, people[:2], rule="all")
    approval_decide(approval=approval, actor=people[0], decision=APPROVE)
    with pytest.raises(Conflict) as twice:
        approval_decide(approval=approval, actor=people[0], decision=REJECT, comment="Changed my mind.")
    assert twice.value.code == "approval_already_decided"

    approval_decide(approval=approval, actor=people[1], decision=APPROVE)
    with pytest.raises(Conflict) as settled:
        approval_decide(approval=approval, actor=people[1], decision=APPROVE)
    assert settled.value.code == "approval_not_pending"


def test_a_rejection_needs_a_comment_and_the_decision_must_be_known(record, people):
    approval = _open(record, people[:1])
    with pytest.raises(ValidationError) as refused:
        approval_decide(approval=approval, actor=people[0], decision=REJECT, comment="  ")
    assert "comment" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        approval_decide(approval=approval, actor=people[0], decision="maybe")
    assert "decision" in refused.value.message_dict


def test_the_database_keeps_one_decision_per_approver(record, people):
    approval = _open(record, people[:2], rule="all")
    ApprovalDecision.objects.create(request=approval, approver=people[0], decision=APPROVE)
    with pytest.raises(IntegrityError), transaction.atomic():
        ApprovalDecision.objects.create(request=approval, approver=people[0], decision=REJECT)
    # A delegate's answer fills the delegator's vote: the delegator cannot answer again.
    ApprovalDecision.objects.create(
        request=approval, approver=people[2], on_behalf_of=people[1], decision=APPROVE
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ApprovalDecision.objects.create(request=approval, approver=people[1], decision=APPROVE)


def test_opening_needs_a_voter_active_people_and_a_future_due_time(record, people):
    people[1].is_active = False
    people[1].save()
    with pytest.raises(ValidationError) as refused:
        _open(record, [])
    assert "approvers" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        _open(record, [people[1]])
    assert "approvers" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        _open(record, [people[0]], due_at=timezone.now() - timedelta(minutes=1), rule="most")
    assert set(refused.value.message_dict) == {"due_at", "rule"}


# The record: timeline, audit, guard


def test_each_step_is_on_the_records_timeline_and_in_the_audit(record, people):
    approval = _open(record, people[:1], reason="Opens port 443 to the internet.")
    approval_decide(approval=approval, actor=people[0], decision=REJECT, comment="Use the proxy.")

    events = [
        (e.data["event"], e.body, e.is_public)
        for e in TimelineEntry.objects.filter(
            object_id=record.pk, kind="system", data__event__startswith="approval"
        )
    ]
    assert events == [
        ("approval_requested", "Opens port 443 to the internet.", True),
        ("approval_decided", "Use the proxy.", True),
        ("approval_settled", "Use the proxy.", True),
    ]
    actions = list(AuditEvent.objects.filter(action__startswith="approval.").values_list("action", flat=True))
    assert sorted(actions) == ["approval.decided", "approval.rejected", "approval.requested"]


def test_the_guard_holds_the_record_while_an_approval_is_pending(record, people):
    assert approval_settled(record)
    assert not is_approved(record)
    approval = _open(record, people[:1])
    assert approval_pending(record)
    assert not approval_settled(record)

    approval_decide(approval=approval, actor=people[0], decision=APPROVE)

    assert approval_settled(record)
    assert is_approved(record)


def test_an_approval_after_the_fact_flags_the_record_without_holding_it(record, people):
    approval = _open(record, people[:1], after_the_fact=True)

    assert approval.is_pending
    assert approval_settled(record)
    assert approvals_for_record(record=record)[0].after_the_fact


def test_cancelling_is_for_the_system_or_who_may_cancel_approvals(record, people, settled, superuser):
    approval = _open(record, people[:1])
    with pytest.raises(PermissionDenied):
        approval_cancel(approval=approval, actor=people[0], reason="Not needed.")
    approval_cancel(approval=approval, actor=superuser, reason="Not needed.")
    assert _status(approval) == "cancelled"
    with pytest.raises(Conflict):
        approval_cancel(approval=approval, actor=None)
    assert settled == []  # nothing was decided: the kind is not called back

    other = _open(record, people[:1])
    with transaction.atomic():
        assert approvals_cancel_for_record(record=record, reason="Withdrawn.") == 1
    assert _status(other) == "cancelled"


# What each person may decide


def test_the_pending_list_holds_direct_group_and_delegated_requests_in_constant_queries(
    record, people, django_assert_max_num_queries
):
    me = people[0]
    cab = SupportGroupFactory(name="CAB", members=[me])
    approval_delegate(actor=people[1], delegate=me, ends_at=timezone.now() + timedelta(days=2))
    direct = _open(record, [me])
    by_group = _open(record, groups=[cab])
    delegated = _open(record, [people[1]])
    _open(record, [people[2]])  # not mine
    decided = _open(record, [me, people[2]], rule="all")
    approval_decide(approval=decided, actor=me, decision=APPROVE)
    for _i in range(5):
        _open(record, [me], groups=[cab])

    with django_assert_max_num_queries(10):
        rows = list(approvals_pending_for_user(user=me))
        for row in rows:
            list(row.decisions.all())
            list(row.approvers.all())
    assert {direct, by_group, delegated} <= set(rows)
    assert decided not in rows
    assert len(rows) == 8


# E-mail


def test_each_decider_gets_an_email_with_their_own_signed_link(record, people):
    cab = SupportGroupFactory(name="CAB", members=[people[1], people[2]])
    approval = _open(record, [people[0]], groups=[cab], reason="Port 443.")

    messages = OutboxMessage.objects.filter(event="notification.approval_requested").order_by("recipient")
    assert [m.recipient for m in messages] == [p.email for p in people]
    for person, message in zip(people, messages, strict=True):
        assert "Approval needed" in message.payload["subject"]
        assert record.number in message.payload["subject"]
        url = next(word for word in message.payload["text"].split() if "/approvals/link/" in word)
        token = url.rstrip("/").rsplit("/", 1)[1]
        assert approval_link_read(token) == (approval.pk, person.pk)
        assert f'href="{url}"' in message.payload["html"]


def test_the_requester_is_told_of_the_outcome(record, people, requester):
    approval = _open(record, people[:1])
    approval_decide(approval=approval, actor=people[0], decision=REJECT, comment="Use the proxy.")

    [message] = OutboxMessage.objects.filter(event="notification.approval_decided")
    assert message.recipient == requester.email
    assert message.payload["subject"].startswith(f"[{record.number}] Rejected:")
    assert "Use the proxy." in message.payload["text"]


def test_the_outcome_reaches_a_chinese_requester_in_chinese_whoever_decided(record, people, requester):
    requester.language = "zh-hans"
    requester.save(update_fields=["language"])
    approval = _open(record, people[:1])
    with translation.override("en"):
        approval_decide(approval=approval, actor=people[0], decision=REJECT, comment="Use the proxy.")

    [message] = OutboxMessage.objects.filter(event="notification.approval_decided")
    assert message.payload["subject"].startswith(f"[{record.number}] 已拒绝")
    assert "Rejected" not in message.payload["subject"] + message.payload["text"]


# The sweep


def test_the_sweep_reminds_the_undecided_after_the_configured_time(record, people, settings):
    settings.ITSM_APPROVAL_REMINDER_HOURS = 4
    settings.ITSM_APPROVAL_MAX_REMINDERS = 2
    approval = _open(record, people[:2], rule="all")
    approval_decide(approval=approval, actor=people[0], decision=APPROVE)
    start = approval.created_at

    assert approvals_sweep(now=start + timedelta(hours=3)) == 0
    assert approvals_sweep(now=start + timedelta(hours=4, minutes=1)) == 1
    assert approvals_sweep(now=start + timedelta(hours=4, minutes=2)) == 0  # nothing due again yet
    reminders = OutboxMessage.objects.filter(event="notification.approval_reminder")
    assert [m.recipient for m in reminders] == [people[1].email]

    assert approvals_sweep(now=start + timedelta(hours=9)) == 1
    assert approvals_sweep(now=start + timedelta(days=30)) == 0  # at most two reminders
    approval.refresh_from_db()
    assert (approval.reminder_count, approval.next_check_at) == (2, None)
    assert OutboxMessage.objects.filter(event="notification.approval_reminder").count() == 2


def test_the_sweep_expires_what_is_past_its_due_time_once(record, people, settled):
    due = timezone.now() + timedelta(hours=2)
    approval = _open(record, people[:1], due_at=due)

    assert approvals_sweep(now=due - timedelta(minutes=1)) == 0
    assert approvals_sweep(now=due + timedelta(minutes=1)) == 1
    assert approvals_sweep(now=due + timedelta(minutes=2)) == 0

    assert _status(approval) == "expired"
    assert settled == [("expired", None)]
    with pytest.raises(Conflict):
        approval_decide(approval=approval, actor=people[0], decision=APPROVE)


def test_the_sweep_task_runs_the_sweep(record, people):
    from servicedesk.tasks import approvals_sweep_task

    approval = _open(record, people[:1], due_at=timezone.now() + timedelta(seconds=1))
    ApprovalRequest.objects.filter(pk=approval.pk).update(
        due_at=timezone.now() - timedelta(seconds=1), next_check_at=timezone.now() - timedelta(seconds=1)
    )

    assert approvals_sweep_task.delay().get() == 1
    assert _status(approval) == "expired"


def test_the_sweep_is_on_the_beat_schedule():
    from itsm.settings import base

    assert base.CELERY_BEAT_SCHEDULE["servicedesk.approvals_sweep"]["task"] == "servicedesk.approvals_sweep"
