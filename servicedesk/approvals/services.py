"""Every write to approvals: open, decide, cancel, delegate (the sweep's reminders and expiry: `sweep`).

Lock order: a record, then its approval requests (as the record's own services do).
A request that settles (approved, rejected, expired) calls its record kind's `on_approval(approval, actor)`
inside the same transaction: the owning app decides what happens to its record. Opening a request and
settling it re-sync the record's SLA clocks (`sla_sync`, for any kind with an SLA adapter): a kind's
adapter may pause them while the record awaits approval.
"""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.approvals.events import APPROVAL_DECIDED, APPROVAL_DELEGATED, APPROVAL_REQUESTED
from servicedesk.errors import Conflict, PermissionDenied
from servicedesk.kinds import kind_of
from servicedesk.models import (
    ApprovalDecision,
    ApprovalDelegation,
    ApprovalRequest,
    SupportGroup,
    TimelineEntry,
    User,
)
from servicedesk.services.audit import audit_record
from servicedesk.services.notifications import notify
from servicedesk.services.timeline import timeline_add
from servicedesk.sla.clocks import sla_sync

from .links import approval_link_url
from .outcome import Tally, outcome
from .selectors import (
    Standing,
    approval_deciders,
    approval_pending_known,
    approval_queryset,
    handed_over,
    may_cancel_approvals,
    may_delegate,
    vote_for,
)

logger = logging.getLogger(__name__)

Status = ApprovalRequest.Status
SYSTEM = None


def _is_person(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


# Opening -----------------------------------------------------------------------------------------------


@transaction.atomic
def approval_request_open(
    *,
    record,
    actor: User | None,
    approvers: Iterable[User] = (),
    groups: Iterable[SupportGroup] = (),
    rule: str = ApprovalRequest.Rule.ANY,
    required: Iterable[User] = (),
    due_at: datetime | None = None,
    reason: str = "",
    after_the_fact: bool = False,
    title: str = "",
) -> ApprovalRequest:
    """Ask `approvers` (people) and `groups` (any active member decides for the group) to approve
    `record`, by `rule`; `required` people are approvers whose approval every rule needs and whose
    rejection rejects. `after_the_fact`: the work is already done (an emergency): the record is not held,
    only flagged until the request settles. The deciders are told by e-mail, each with their own link.

    Called by the owning kind's services, which decide who may ask (`actor`, None for the system).
    Raises ValidationError for no voter, an inactive approver or group, an unknown rule or a due time in
    the past.
    """
    kind_of(record)  # a record of a registered kind only: its kind is called back when it settles
    required = list(dict.fromkeys(required))
    approvers = list(dict.fromkeys([*approvers, *required]))
    groups = list(dict.fromkeys(groups))
    errors = {}
    if not approvers and not groups:
        errors["approvers"] = _("Name at least one approver or approver group.")
    inactive = [str(a) for a in approvers if not a.is_active]
    if inactive:
        errors["approvers"] = _("These people's accounts are inactive: %(names)s.") % {
            "names": ", ".join(inactive)
        }
    if any(not g.is_active for g in groups):
        errors["groups"] = _("Choose active groups.")
    if rule not in ApprovalRequest.Rule.values:
        errors["rule"] = _("Choose any, all or majority.")
    if due_at is not None and due_at <= timezone.now():
        errors["due_at"] = _("The due time must be in the future.")
    if errors:
        raise ValidationError(errors)
    approval = ApprovalRequest.objects.create(
        record=record,
        title=(title or _("Approval of %(number)s") % {"number": record.number}).strip()[:200],
        reason=reason.strip(),
        rule=rule,
        after_the_fact=after_the_fact,
        due_at=due_at,
        created_by=actor if _is_person(actor) else None,
    )
    approval.approvers.set(approvers)
    approval.groups.set(groups)
    approval.required_approvers.set(required)
    approval.next_check_at = _next_check(approval)
    approval.save(update_fields=["next_check_at"])
    data = {
        "approval": approval.pk,
        "title": approval.title,
        "rule": rule,
        "after_the_fact": after_the_fact,
        "approvers": [str(a) for a in approvers],
        "required": [str(a) for a in required],
        "groups": [g.name for g in groups],
        "due_at": due_at,
    }
    timeline_add(
        record=record,
        kind=TimelineEntry.Kind.SYSTEM,
        author=actor,
        body=approval.reason,
        is_public=True,
        data={"event": "approval_requested", **data},
    )
    audit_record(
        actor=actor, action="approval.requested", target=approval, data={"record": record.number, **data}
    )
    if not after_the_fact:
        approval_pending_known(record, None)
        sla_sync(record=record)  # its kind may pause the clocks while the record awaits approval
    approval = approval_queryset().get(pk=approval.pk)
    _notify_deciders(approval, record, APPROVAL_REQUESTED, actor)
    return approval


# Deciding ----------------------------------------------------------------------------------------------


def _involved(approval: ApprovalRequest, standing: Standing) -> bool:
    user = standing.user
    approver_ids = {a.pk for a in approval.approvers.all()}
    handed = handed_over(approval)  # a vote handed to one delegate is no longer a period delegate's
    return (
        user.pk in approver_ids
        or bool((approver_ids - set(handed)) & standing.delegator_ids)
        or any(d.delegate_id == user.pk for d in handed.values())
        or any(g.pk in standing.group_ids for g in approval.groups.all())
    )


def approval_decide(
    *, approval: ApprovalRequest, actor: User, decision: str, comment: str = ""
) -> ApprovalRequest:
    """`actor` approves or rejects: for themself, for an approver who delegated to them, or for one of
    their groups (in that order, one vote each). Records the decision on the record's timeline and in the
    audit; when the rule is met, or cannot be any more, the request settles and the record's kind is told.

    Raises PermissionDenied for someone who is not asked, Conflict when the request is no longer pending
    or the actor (or the vote they could cast) has already answered, ValidationError for an unknown
    decision or a rejection without a comment.
    """
    if decision not in ApprovalDecision.Decision.values:
        raise ValidationError({"decision": _("Choose approve or reject.")})
    comment = (comment or "").strip()
    if decision == ApprovalDecision.Decision.REJECT and not comment:
        raise ValidationError({"comment": _("Say why you reject it.")})
    with transaction.atomic():
        record = _lock_record(approval)
        approval = _lock(approval)
        standing = Standing.of(actor)
        if not _is_person(actor) or not _involved(approval, standing):
            raise PermissionDenied(_("You are not asked to decide this approval."))
        if approval.status != Status.PENDING:
            raise Conflict(
                _("This approval is already %(status)s.") % {"status": approval.get_status_display().lower()},
                code="approval_not_pending",
            )
        vote = vote_for(approval, standing)
        if vote is None and actor.pk in handed_over(approval):
            raise Conflict(
                _("You delegated this decision to %(name)s.")
                % {"name": handed_over(approval)[actor.pk].delegate},
                code="approval_delegated",
            )
        if vote is None:
            raise Conflict(_("You have already decided this approval."), code="approval_already_decided")
        ApprovalDecision.objects.create(
            request=approval,
            approver=actor,
            on_behalf_of=vote.on_behalf_of,
            group=vote.group,
            decision=decision,
            comment=comment,
        )
        data = {
            "approval": approval.pk,
            "decision": decision,
            "on_behalf_of": str(vote.on_behalf_of) if vote.on_behalf_of else "",
            "group": vote.group.name if vote.group else "",
        }
        if record is not None:
            timeline_add(
                record=record,
                kind=TimelineEntry.Kind.SYSTEM,
                author=actor,
                body=comment,
                is_public=True,
                data={"event": "approval_decided", **data},
            )
        audit_record(actor=actor, action="approval.decided", target=approval, data=data)
        approval = _lock(approval)  # the decisions again, with this one
        result = outcome(approval.rule, _tally(approval))
        if result != Status.PENDING:
            _settle(approval, record, result, actor, note=comment)
        return approval


def _tally(approval: ApprovalRequest) -> Tally:
    decisions = list(approval.decisions.all())
    required = {a.pk for a in approval.required_approvers.all()}
    by_voter = {d.voter_id: d.decision for d in decisions if d.voter_id}
    approve, reject = ApprovalDecision.Decision.APPROVE, ApprovalDecision.Decision.REJECT
    return Tally(
        voters=len(approval.approvers.all()) + len(approval.groups.all()),
        approvals=sum(d.decision == approve for d in decisions),
        rejections=sum(d.decision == reject for d in decisions),
        required=len(required),
        required_approvals=sum(by_voter.get(pk) == approve for pk in required),
        required_rejections=sum(by_voter.get(pk) == reject for pk in required),
    )


def _settle(
    approval: ApprovalRequest, record, status: str, actor, *, note: str = "", sync: bool = True
) -> None:
    """Close the request as `status`, record it, tell who asked, call back the record's kind, and re-sync
    the record's SLA clocks (unless `sync` is False: the caller's own change of the record syncs them)."""
    now = timezone.now()
    approval.status = status
    approval.settled_at = now
    approval.next_check_at = None
    approval.outcome_note = note
    approval.save(update_fields=["status", "settled_at", "next_check_at", "outcome_note", "updated_at"])
    data = {"approval": approval.pk, "status": status}
    if record is not None:
        timeline_add(
            record=record,
            kind=TimelineEntry.Kind.SYSTEM,
            author=actor,
            body=note,
            is_public=True,
            data={"event": "approval_settled", **data},
        )
    audit_record(actor=actor, action=f"approval.{status}", target=approval, data={**data, "note": note})
    if record is None:
        return
    approval_pending_known(record, None)
    if status == Status.CANCELLED:
        if sync and not approval.after_the_fact:
            sla_sync(record=record)
        return
    recipients = [u for u in (getattr(record, "requester", None), approval.created_by) if u is not None]
    notify(
        event=APPROVAL_DECIDED,
        record=record,
        recipients=recipients,
        actor=actor,
        context={
            "data": {
                "approval_title": approval.title,
                # Lazy: each recipient reads it in their own language.
                "outcome": Status(status).label,
                "approved": status == Status.APPROVED,
                "reason": note,
            }
        },
    )
    hook = kind_of(record).on_approval
    if hook is not None:
        hook(approval, actor)
    if sync and not approval.after_the_fact:
        # Read again: the kind's call back may have changed the record (a rejection withdraws a request).
        sla_sync(record=type(record)._default_manager.get(pk=record.pk))


# Cancelling --------------------------------------------------------------------------------------------


def approval_cancel(*, approval: ApprovalRequest, actor: User | None, reason: str = "") -> ApprovalRequest:
    """Withdraw a pending request (the question no longer stands). The system (`actor=None`) and people
    allowed to cancel approvals (`servicedesk.cancel_approval`: group and change managers,
    administrators) may; the record's kind is not called back (nothing was decided), its clocks re-synced.

    Raises PermissionDenied for anyone else, Conflict when it is no longer pending.
    """
    if actor is not SYSTEM and not may_cancel_approvals(actor):
        raise PermissionDenied(_("You may not cancel approvals."))
    with transaction.atomic():
        record = _lock_record(approval)
        approval = _lock(approval)
        if approval.status != Status.PENDING:
            raise Conflict(
                _("This approval is already %(status)s.") % {"status": approval.get_status_display().lower()},
                code="approval_not_pending",
            )
        _settle(approval, record, Status.CANCELLED, actor, note=(reason or "").strip())
        return approval


def approvals_cancel_for_record(*, record, reason: str = "") -> int:
    """Cancel (as the system) every pending request on `record`, which its kind no longer needs decided (a
    request withdrawn or fulfilled). Call inside the transaction that holds the record's lock, from the
    change of the record that syncs its SLA clocks (they are not synced here)."""
    from django.contrib.contenttypes.models import ContentType

    pending = ApprovalRequest.objects.select_for_update().filter(
        content_type=ContentType.objects.get_for_model(record), object_id=record.pk, status=Status.PENDING
    )
    count = 0
    for approval in pending:
        _settle(approval, record, Status.CANCELLED, SYSTEM, note=reason.strip(), sync=False)
        count += 1
    return count


# Delegating --------------------------------------------------------------------------------------------


@transaction.atomic
def approval_delegate(
    *,
    actor: User,
    delegate: User,
    starts_at: datetime | None = None,
    ends_at: datetime,
    delegator: User | None = None,
) -> ApprovalDelegation:
    """`delegator` (the actor themself by default) hands their approvals to `delegate` from `starts_at`
    (now) to `ends_at`: the delegate decides on their behalf meanwhile. Only an administrator (who may add
    delegations) delegates for someone else.

    Raises PermissionDenied for that, ValidationError for a delegate who is inactive or the delegator
    themself, or a period that is empty or already over.
    """
    delegator = delegator or actor
    if not _is_person(actor):
        raise PermissionDenied()
    if delegator.pk != actor.pk and not actor.has_perm("servicedesk.add_approvaldelegation"):
        raise PermissionDenied(_("You may delegate only your own approvals."))
    starts_at = starts_at or timezone.now()
    errors = {}
    if delegate.pk == delegator.pk:
        errors["delegate"] = _("Choose someone else.")
    elif not delegate.is_active:
        errors["delegate"] = _("This person's account is inactive.")
    if ends_at <= starts_at or ends_at <= timezone.now():
        errors["ends_at"] = _("The end must be after the start, and in the future.")
    if errors:
        raise ValidationError(errors)
    delegation = ApprovalDelegation.objects.create(
        delegator=delegator, delegate=delegate, starts_at=starts_at, ends_at=ends_at, created_by=actor
    )
    audit_record(
        actor=actor,
        action="approval.delegated",
        target=delegator,
        data={"delegate": delegate.pk, "starts_at": starts_at, "ends_at": ends_at},
    )
    return delegation


def approval_request_delegate(
    *, approval: ApprovalRequest, actor: User, delegate: User, comment: str = ""
) -> ApprovalRequest:
    """`actor`, an approver of `approval` whose vote is pending, hands that vote to `delegate`, who then
    decides in their place ("on behalf of" them); the actor no longer may. Recorded on the record's
    timeline and in the audit; the delegate is told by e-mail with their own link.

    Raises PermissionDenied for someone who is not an approver of the request, Conflict when the request
    is no longer pending or the actor's vote is already cast or delegated, ValidationError for a delegate
    who is the actor, inactive, an approver of the request, or who already answered it or holds another
    vote on it.
    """
    comment = (comment or "").strip()
    with transaction.atomic():
        record = _lock_record(approval)
        approval = _lock(approval)
        if not _is_person(actor) or actor.pk not in {a.pk for a in approval.approvers.all()}:
            raise PermissionDenied(_("Only an approver of this request may delegate their decision."))
        if approval.status != Status.PENDING:
            raise Conflict(
                _("This approval is already %(status)s.") % {"status": approval.get_status_display().lower()},
                code="approval_not_pending",
            )
        if not may_delegate(approval, actor):
            raise Conflict(
                _("Your decision on this approval is already given or delegated."),
                code="approval_already_decided",
            )
        _check_delegate(approval, actor, delegate)
        ApprovalDelegation.objects.create(
            request=approval, delegator=actor, delegate=delegate, starts_at=timezone.now(), created_by=actor
        )
        data = {"approval": approval.pk, "delegator": str(actor), "delegate": str(delegate)}
        if record is not None:
            timeline_add(
                record=record,
                kind=TimelineEntry.Kind.SYSTEM,
                author=actor,
                body=comment,
                is_public=True,
                data={"event": "approval_delegated", **data},
            )
        audit_record(
            actor=actor,
            action="approval.delegated",
            target=approval,
            data={**data, "delegate_id": delegate.pk, "comment": comment},
        )
        approval = approval_queryset().get(pk=approval.pk)
        if record is not None:
            notify(
                event=APPROVAL_DELEGATED,
                record=record,
                recipients=[delegate],
                actor=actor,
                context={
                    "data": {
                        "approval_url": approval_link_url(approval_id=approval.pk, user_id=delegate.pk),
                        "approval_title": approval.title,
                        "delegator": actor.get_full_name() or str(actor),
                        "reason": comment or approval.reason,
                        "due_at": approval.due_at,
                    }
                },
            )
        return approval


def _check_delegate(approval: ApprovalRequest, actor: User, delegate: User) -> None:
    """The delegate must be another active person, not asked already and with no answer or vote of
    their own on this request (a person answers a request once)."""
    message = None
    if delegate.pk == actor.pk:
        message = _("Choose someone else.")
    elif not delegate.is_active:
        message = _("This person's account is inactive.")
    elif delegate.pk in {a.pk for a in approval.approvers.all()}:
        message = _("This person is already an approver of this request.")
    elif any(d.approver_id == delegate.pk for d in approval.decisions.all()):
        message = _("This person has already decided this approval.")
    elif any(d.delegate_id == delegate.pk for d in approval.delegations.all()):
        message = _("This person already decides this approval for someone else.")
    if message:
        raise ValidationError({"delegate": message})


# When the sweep looks next (servicedesk.approvals.sweep) ---------------------------------------------


def _next_check(approval: ApprovalRequest) -> datetime | None:
    """When the sweep must look at a pending request next: its next reminder or its expiry."""
    candidates = []
    if approval.due_at is not None:
        candidates.append(approval.due_at)
    if approval.reminder_count < settings.ITSM_APPROVAL_MAX_REMINDERS:
        since = approval.reminded_at or approval.created_at
        candidates.append(since + timedelta(hours=settings.ITSM_APPROVAL_REMINDER_HOURS))
    return min(candidates) if candidates else None


# Helpers -----------------------------------------------------------------------------------------------


def _lock(approval: ApprovalRequest) -> ApprovalRequest:
    """The request's row locked for this transaction, read again with its voters and decisions."""
    ApprovalRequest.objects.select_for_update().filter(pk=approval.pk).values_list("pk").get()
    return approval_queryset().get(pk=approval.pk)


def _lock_record(approval: ApprovalRequest):
    """The request's record, locked (before the request: the record's own services lock in that order)."""
    model = approval.content_type.model_class()
    return model._default_manager.select_for_update().filter(pk=approval.object_id).first()


def _notify_deciders(approval: ApprovalRequest, record, event: str, actor) -> None:
    """E-mail everyone who may still decide, each with a link that names them."""
    for person in approval_deciders(approval):
        notify(
            event=event,
            record=record,
            recipients=[person],
            actor=actor,
            context={
                "data": {
                    "approval_url": approval_link_url(approval_id=approval.pk, user_id=person.pk),
                    "approval_title": approval.title,
                    "reason": approval.reason,
                    "due_at": approval.due_at,
                    "after_the_fact": approval.after_the_fact,
                }
            },
        )
