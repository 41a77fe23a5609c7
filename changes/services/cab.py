"""The change advisory board through the kernel's approvals (issue 16, item 3).

Sending a change to the CAB opens one approval request (`servicedesk.approvals`) by the `ApprovalRule` of
the change's type and risk: the active members of the rule's board, the owners of the impacted services and
the change's manager approve, by the rule's count (any, all, majority) with its required approvers. The
change's requester never approves their own change. Each decision is on the change's timeline with its
comment (the kernel's); when the request settles the kernel calls `cab_settled`, which fires the internal
"approve" or "reject" transition, or, for an emergency implemented first, records the approval after the
fact on the change (flagged until then).
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.approvals.services import approval_request_open, approvals_cancel_for_record
from servicedesk.models import ApprovalRequest, TimelineEntry, User
from servicedesk.records.services import record_save
from servicedesk.records.transitions import transition_fire_named
from servicedesk.services import audit_record
from servicedesk.services.timeline import timeline_add

from .. import workflow as wf
from ..models import ApprovalRule, Change, RiskLevel
from .assessment import change_impact

# An emergency implemented before anyone assessed it is approved as a high-risk one.
UNASSESSED_EMERGENCY_RISK = RiskLevel.HIGH
Status = ApprovalRequest.Status
RETRO = {
    Status.APPROVED: Change.RetroApproval.APPROVED,
    Status.REJECTED: Change.RetroApproval.REJECTED,
    Status.EXPIRED: Change.RetroApproval.EXPIRED,
}


def cab_boards_assign(*, cab=None, ecab=None) -> int:
    """Name the boards on the approval rules: `cab` approves normal changes above low risk, `ecab` every
    emergency (a site's setup, the demo's); how many rules changed. Low-risk normal changes keep theirs."""
    changed = 0
    if cab is not None:
        changed += (
            ApprovalRule.objects.filter(change_type=wf.NORMAL)
            .exclude(risk_level=RiskLevel.LOW)
            .update(board=cab)
        )
    if ecab is not None:
        changed += ApprovalRule.objects.filter(change_type=wf.EMERGENCY).update(board=ecab)
    return changed


def cab_rule_for(change: Change) -> ApprovalRule:
    """The approval rule of the change's type and risk (an unassessed emergency: the emergency rule of
    "high"). ValidationError when there is none (a standard change, or a rule an administrator removed)."""
    risk = change.risk_level
    if change.change_type == wf.EMERGENCY and not risk:
        risk = UNASSESSED_EMERGENCY_RISK
    rule = ApprovalRule.objects.select_related("board").filter(
        change_type=change.change_type, risk_level=risk
    )
    found = rule.first() if change.change_type in (wf.NORMAL, wf.EMERGENCY) and risk else None
    if found is None:
        raise ValidationError({"risk_level": _("No approval rule applies to this change's type and risk.")})
    return found


def cab_approvers(change: Change, rule: ApprovalRule) -> tuple[list[User], list[User]]:
    """(approvers, required approvers) by `rule`: the board's active members, the owners of the impacted
    services and the change manager as the rule says; never the change's requester."""
    people: dict[int, User] = {}
    if rule.board is not None and rule.board.is_active:
        for member in rule.board.members.filter(is_active=True).order_by("pk"):
            people.setdefault(member.pk, member)
    owners = change_impact(change).service_owners if rule.include_service_owners else []
    manager = change.assignee if rule.include_change_manager and change.assignee_id else None
    for person in [*owners, *([manager] if manager else [])]:
        if person.is_active:
            people.setdefault(person.pk, person)
    people.pop(change.requester_id, None)
    approvers = list(people.values())
    if rule.required == ApprovalRule.Required.EVERYONE:
        required = approvers
    elif rule.required == ApprovalRule.Required.OWNERS:
        wanted = {p.pk for p in owners} | ({manager.pk} if manager else set())
        required = [p for p in approvers if p.pk in wanted]
    else:
        required = []
    return approvers, required


def _reason(change: Change) -> str:
    if not change.risk_level:
        return _("Not assessed: approved as a high-risk emergency.")
    lines = [
        _("Risk: %(level)s (questionnaire %(score)s of 100).")
        % {"level": change.get_risk_level_display(), "score": change.risk_score or 0}
    ]
    lines += [f"- {reason}" for reason in change.risk_reasons or []]
    return "\n".join(lines)


def cab_request_open(*, change: Change, actor, after_the_fact: bool = False) -> ApprovalRequest:
    """Ask the CAB (the ECAB for an emergency) to approve `change` by its rule, due in the rule's hours;
    `after_the_fact`: an emergency already being implemented, due within ITSM_ECAB_AFTER_THE_FACT_HOURS
    and flagged on the change (`retro_approval` pending) until it settles. Called by the transitions that
    send a change to approval, inside their transaction (the change locked).

    Raises ValidationError when no rule applies or nobody but the requester could approve."""
    rule = cab_rule_for(change)
    approvers, required = cab_approvers(change, rule)
    if not approvers:
        raise ValidationError(
            {
                "assignee": _(
                    "Nobody may approve this change: name a change manager other than its requester, "
                    "or put members on the board."
                )
            }
        )
    now = timezone.now()
    if after_the_fact:
        due_at = now + timedelta(hours=settings.ITSM_ECAB_AFTER_THE_FACT_HOURS)
    else:
        due_at = now + timedelta(hours=rule.due_hours) if rule.due_hours else None
    board = _("Emergency CAB") if change.change_type == wf.EMERGENCY else _("CAB")
    title = _("%(board)s approval of %(number)s") % {"board": board, "number": change.number}
    if after_the_fact:
        title = _("%(board)s approval after the fact of %(number)s") % {
            "board": board,
            "number": change.number,
        }
    approval = approval_request_open(
        record=change,
        actor=actor,
        approvers=approvers,
        rule=rule.rule,
        required=required,
        due_at=due_at,
        reason=_reason(change),
        after_the_fact=after_the_fact,
        title=title,
    )
    if after_the_fact:
        change.retro_approval = Change.RetroApproval.PENDING
        change.retro_approval_due_at = due_at
        record_save(change, ["retro_approval", "retro_approval_due_at"])
    return approval


def cab_requests_cancel(*, change: Change, actor, reason: str = "") -> None:
    """Withdraw (as the system) the change's pending approval requests: it was withdrawn from the CAB or
    cancelled. Inside the caller's transaction, the change locked."""
    approvals_cancel_for_record(record=change, reason=reason or "")


def cab_settled(*, approval: ApprovalRequest, actor) -> None:
    """The kernel's call when a request on a change settles (the change locked by it): an approval after
    the fact is recorded on the change (approved, rejected, expired: on the timeline and in the audit);
    otherwise the change is approved or rejected (an expired request rejects it, saying so). A request
    that no longer matches the change's status (a late answer) changes nothing."""
    change = Change.objects.get(pk=approval.object_id)
    if approval.after_the_fact:
        _retro_settled(change, approval, actor)
        return
    if change.status != wf.AWAITING_APPROVAL:
        return
    if approval.status == Status.APPROVED:
        transition_fire_named(record=change, actor=None, name="approve", inputs={"approval": approval.pk})
        return
    if approval.status == Status.EXPIRED:
        reason = _("Nobody decided in time: the approval expired.")
    else:
        reason = approval.outcome_note or _("Rejected by the CAB.")
    transition_fire_named(record=change, actor=None, name="reject", inputs={"reason": reason})


def _retro_settled(change: Change, approval: ApprovalRequest, actor) -> None:
    from .lifecycle import change_publish

    value = RETRO.get(approval.status)
    if value is None or change.retro_approval == value:
        return
    before = change.retro_approval
    change.retro_approval = value
    record_save(change, ["retro_approval"])
    data = {"event": "retro_approval", "from": before, "to": value, "approval": approval.pk}
    timeline_add(
        record=change,
        kind=TimelineEntry.Kind.SYSTEM,
        author=actor,
        body=approval.outcome_note,
        is_public=True,
        data=data,
    )
    audit_record(actor=actor, action="change.retro_approval", target=change, data=data)
    change_publish(record=change, event="retro_approval", actor=actor, data={"retro_approval": value})
