"""Reads of approvals: a record's requests, what a person may decide, and the guard of transitions."""

import itertools
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from servicedesk.errors import NotFound
from servicedesk.models import ApprovalDecision, ApprovalDelegation, ApprovalRequest, SupportGroup, User

PENDING = ApprovalRequest.Status.PENDING
CANCEL_APPROVAL = "servicedesk.cancel_approval"


def _record_filter(record) -> dict:
    return {"content_type": ContentType.objects.get_for_model(record), "object_id": record.pk}


def approval_queryset() -> QuerySet[ApprovalRequest]:
    """Requests with everything a page or an answer shows of them, in a fixed number of queries."""
    decisions = ApprovalDecision.objects.select_related("approver", "on_behalf_of", "group")
    delegations = ApprovalDelegation.objects.select_related("delegator", "delegate", "created_by").order_by(
        "created_at", "id"
    )
    return ApprovalRequest.objects.select_related("created_by", "content_type").prefetch_related(
        "approvers",
        "required_approvers",
        Prefetch("groups", SupportGroup.objects.only("id", "name", "is_active")),
        Prefetch("decisions", decisions),
        Prefetch("delegations", delegations),
    )


def with_records(approvals) -> list[ApprovalRequest]:
    """`approvals` as a list, each with its record loaded (one query per kind of record)."""
    approvals = list(approvals)
    by_type: dict[int, set[int]] = {}
    for approval in approvals:
        by_type.setdefault(approval.content_type_id, set()).add(approval.object_id)
    records = {}
    for type_id, ids in by_type.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        for record in model._default_manager.filter(pk__in=ids):
            records[type_id, record.pk] = record
    for approval in approvals:
        approval.record = records.get((approval.content_type_id, approval.object_id))
    return approvals


def approvals_for_record(*, record) -> list[ApprovalRequest]:
    """Every request on `record`, newest first, with its voters and decisions (each with `record` set)."""
    rows = list(approval_queryset().filter(**_record_filter(record)))
    for row in rows:
        row.record = record
    return rows


# The guard -------------------------------------------------------------------------------------------


# Where `approval_pending` keeps its answer on the record instance: a request reads it once, however many
# guards, SLA syncs and serializers ask. Every approval opened or settled in this process moves
# `_approval_changes` on, which voids every answer kept before it (on any instance of any record).
PENDING_MEMO = "_approval_pending"
_approval_changes = itertools.count()
_last_change = [next(_approval_changes)]


def approval_pending(record) -> bool:
    """Does `record` wait for an approval? (A pending request not recorded after the fact.)"""
    memo = record.__dict__.get(PENDING_MEMO)
    if memo is None or memo[0] != _last_change[0]:
        pending = ApprovalRequest.objects.filter(
            **_record_filter(record), status=PENDING, after_the_fact=False
        ).exists()
        memo = record.__dict__[PENDING_MEMO] = (_last_change[0], pending)
    return memo[1]


def approval_pending_known(record, pending: bool | None) -> None:
    """Tell `approval_pending` the answer for this instance (False for a record just filed: nothing can
    await approval yet), or, with None, that an approval of `record` opened or settled: every answer
    kept so far is read again."""
    if pending is None:
        _last_change[0] = next(_approval_changes)
        record.__dict__.pop(PENDING_MEMO, None)
    else:
        record.__dict__[PENDING_MEMO] = (_last_change[0], pending)


def approval_settled(record) -> bool:
    """The guard "work may not start until approved" reads: nothing about the record awaits approval."""
    return not approval_pending(record)


def is_approved(record) -> bool:
    """Was the latest request on `record` (cancelled ones aside) approved?"""
    latest = (
        ApprovalRequest.objects.filter(**_record_filter(record))
        .exclude(status=ApprovalRequest.Status.CANCELLED)
        .order_by("-created_at", "-id")
        .values_list("status", flat=True)
        .first()
    )
    return latest == ApprovalRequest.Status.APPROVED


# Who may decide --------------------------------------------------------------------------------------


@dataclass
class Standing:
    """What one person may decide with: their active groups and whom they stand in for now."""

    user: User
    group_ids: set[int] = field(default_factory=set)
    delegator_ids: set[int] = field(default_factory=set)

    @classmethod
    def of(cls, user, now: datetime | None = None) -> "Standing":
        if user is None or not user.is_authenticated or not user.is_active:
            return cls(user=user)
        return cls(
            user=user,
            group_ids=set(
                SupportGroup.objects.filter(members=user, is_active=True).values_list("pk", flat=True)
            ),
            delegator_ids=set(
                active_delegations(delegate=user, now=now).values_list("delegator_id", flat=True)
            ),
        )


def active_delegations(*, delegate, now: datetime | None = None) -> QuerySet[ApprovalDelegation]:
    """The period delegations (a holiday) that make `delegate` stand in for someone now."""
    now = now or timezone.now()
    return ApprovalDelegation.objects.filter(
        delegate=delegate, request__isnull=True, starts_at__lte=now, ends_at__gt=now, revoked_at__isnull=True
    )


def handed_over(approval: ApprovalRequest) -> dict[int, ApprovalDelegation]:
    """The votes of `approval` its approvers delegated, by delegator id (reads the prefetched delegations:
    no query)."""
    return {d.delegator_id: d for d in approval.delegations.all()}


@dataclass(frozen=True)
class Vote:
    """The vote a decision fills: a person's (`on_behalf_of` when a delegate casts it) or a group's."""

    on_behalf_of: User | None = None
    group: SupportGroup | None = None


def vote_for(approval: ApprovalRequest, standing: Standing) -> Vote | None:
    """The vote `standing.user` may cast on `approval` now, or None: their own first, then one they stand
    in for, then one of their groups'. Reads the prefetched voters and decisions (no query)."""
    user = standing.user
    if approval.status != PENDING or user is None or not getattr(user, "is_active", False):
        return None
    decisions = list(approval.decisions.all())
    if any(d.approver_id == user.pk for d in decisions):
        return None
    cast = {d.voter_id for d in decisions if d.voter_id}
    cast_groups = {d.group_id for d in decisions if d.group_id}
    handed = handed_over(approval)
    approvers = sorted(approval.approvers.all(), key=lambda u: u.pk)
    if any(a.pk == user.pk for a in approvers) and user.pk not in cast and user.pk not in handed:
        return Vote()
    for approver in approvers:
        if approver.pk in cast:
            continue
        delegation = handed.get(approver.pk)  # one request's vote handed over: only its delegate casts it
        if (delegation.delegate_id == user.pk) if delegation else (approver.pk in standing.delegator_ids):
            return Vote(on_behalf_of=approver)
    for group in sorted(approval.groups.all(), key=lambda g: g.pk):
        if group.pk in standing.group_ids and group.pk not in cast_groups:
            return Vote(group=group)
    return None


def _pending_for_q(standing: Standing) -> Q:
    """Pending requests with a vote `standing.user` may still cast (the SQL of `vote_for`)."""
    user = standing.user
    undecided_person = ~Exists(
        ApprovalDecision.objects.filter(request=OuterRef("approvalrequest_id"), group__isnull=True)
        .annotate(voter=Coalesce("on_behalf_of", "approver"))
        .filter(voter=OuterRef("user_id"))
    )
    not_handed_over = ~Exists(
        ApprovalDelegation.objects.filter(
            request_id=OuterRef("approvalrequest_id"), delegator_id=OuterRef("user_id")
        )
    )
    personal = Exists(
        ApprovalRequest.approvers.through.objects.filter(
            approvalrequest_id=OuterRef("pk"), user_id__in=[user.pk, *standing.delegator_ids]
        ).filter(undecided_person, not_handed_over)
    )
    handed_to_me = Exists(
        ApprovalDelegation.objects.filter(request_id=OuterRef("pk"), delegate=user).filter(
            ~Exists(
                ApprovalDecision.objects.filter(request=OuterRef("request_id"), group__isnull=True)
                .annotate(voter=Coalesce("on_behalf_of", "approver"))
                .filter(voter=OuterRef("delegator_id"))
            )
        )
    )
    undecided_group = ~Exists(
        ApprovalDecision.objects.filter(
            request=OuterRef("approvalrequest_id"), group=OuterRef("supportgroup_id")
        )
    )
    grouped = Exists(
        ApprovalRequest.groups.through.objects.filter(
            approvalrequest_id=OuterRef("pk"), supportgroup_id__in=standing.group_ids
        ).filter(undecided_group)
    )
    decided = Exists(ApprovalDecision.objects.filter(request=OuterRef("pk"), approver=user))
    return Q(status=PENDING) & (personal | handed_to_me | grouped) & ~decided


def approvals_pending_for_user(*, user, standing: Standing | None = None) -> QuerySet[ApprovalRequest]:
    """The pending requests `user` may decide now: as an approver, for a group they belong to, or for
    someone who delegated to them (for a period, or that one request); oldest first. Constant queries
    whatever the number of rows."""
    standing = standing or Standing.of(user)
    if not standing.user or not standing.user.is_authenticated or not standing.user.is_active:
        return ApprovalRequest.objects.none()
    return approval_queryset().filter(_pending_for_q(standing)).order_by("id")


def _involved_q(user, standing: Standing) -> Q:
    approvers = ApprovalRequest.approvers.through.objects.filter(
        approvalrequest_id=OuterRef("pk"), user_id__in=[user.pk, *standing.delegator_ids]
    )
    groups = ApprovalRequest.groups.through.objects.filter(
        approvalrequest_id=OuterRef("pk"), supportgroup__members=user
    )
    decided = ApprovalDecision.objects.filter(request=OuterRef("pk"), approver=user)
    delegated = ApprovalDelegation.objects.filter(request_id=OuterRef("pk"), delegate=user)
    return Q(created_by=user) | Exists(approvers) | Exists(groups) | Exists(decided) | Exists(delegated)


def approval_list_for_user(*, user) -> QuerySet[ApprovalRequest]:
    """The requests `user` is involved in: asked (in person, through a group or a delegation), decided or
    opened; every request for who may cancel approvals. What the pages and the API show of one request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ApprovalRequest.objects.none()
    if may_cancel_approvals(user):
        return approval_queryset()
    return approval_queryset().filter(_involved_q(user, Standing.of(user)))


def may_cancel_approvals(user) -> bool:
    """May `user` withdraw pending approval requests (on any record)?"""
    return bool(user is not None and user.is_authenticated and user.is_active) and user.has_perm(
        CANCEL_APPROVAL
    )


def may_delegate(approval: ApprovalRequest, user) -> bool:
    """May `user` hand their vote on `approval` to someone else now? A pending approver only, whose own
    vote is neither cast nor already delegated (reads the prefetched rows: no query)."""
    if approval.status != PENDING or user is None or not getattr(user, "is_active", False):
        return False
    if not any(a.pk == user.pk for a in approval.approvers.all()) or user.pk in handed_over(approval):
        return False
    return not any(d.voter_id == user.pk for d in approval.decisions.all())


def approval_get_for_user(*, user, pk) -> ApprovalRequest:
    """The request with this id if `user` is involved in it (with its record loaded); NotFound otherwise."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    found = approval_list_for_user(user=user).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return with_records([found])[0]


def approval_deciders(approval: ApprovalRequest) -> list[User]:
    """Everyone who may still cast a vote on `approval`: the approvers who have not answered, their
    delegates of the moment, and the active members of the groups that have not answered."""
    now = timezone.now()
    decisions = list(approval.decisions.all())
    decided_people = {d.approver_id for d in decisions}
    cast = {d.voter_id for d in decisions if d.voter_id}
    cast_groups = {d.group_id for d in decisions if d.group_id}
    handed = handed_over(approval)
    open_votes = [a for a in approval.approvers.all() if a.pk not in cast]
    open_approvers = [a for a in open_votes if a.pk not in handed]
    people: dict[int, User] = {a.pk: a for a in open_approvers}
    for approver in open_votes:
        if approver.pk in handed:
            people.setdefault(handed[approver.pk].delegate_id, handed[approver.pk].delegate)
    if open_approvers:
        delegations = ApprovalDelegation.objects.filter(
            delegator__in=[a.pk for a in open_approvers],
            request__isnull=True,
            starts_at__lte=now,
            ends_at__gt=now,
            revoked_at__isnull=True,
        ).select_related("delegate")
        for delegation in delegations:
            people.setdefault(delegation.delegate_id, delegation.delegate)
    open_groups = [g.pk for g in approval.groups.all() if g.pk not in cast_groups and g.is_active]
    if open_groups:
        for member in User.objects.filter(support_groups__in=open_groups).distinct():
            people.setdefault(member.pk, member)
    return [p for pk, p in sorted(people.items()) if pk not in decided_people and p.is_active]


def record_approval_context(record) -> dict:
    """What a record's page shows of its approvals: the requests, and whether it awaits one."""
    approvals = approvals_for_record(record=record)
    return {
        "approvals": approvals,
        "awaiting_approval": any(a.is_pending and not a.after_the_fact for a in approvals),
    }
