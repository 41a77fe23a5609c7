"""Approvals: a record of any kind asks people (or a support group) to approve something about it.

An `ApprovalRequest` is keyed to its record as the timeline is (content type + object id). Its voters are
its `approvers` (each person one vote) and its `groups` (each group one vote, cast by any of its active
members). The `rule` says how many approvals it takes; a `required_approvers` person must approve under every
rule, and their rejection rejects at once. Written only by `servicedesk.approvals.services`.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _


class ApprovalRequest(models.Model):
    """One question put to approvers about one record; it settles once (approved, rejected, expired)."""

    class Rule(models.TextChoices):
        ANY = "any", _("Any one approver")
        ALL = "all", _("All approvers")
        MAJORITY = "majority", _("A majority of approvers")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    title = models.CharField(_("title"), max_length=200)
    reason = models.TextField(_("reason"), blank=True, help_text=_("Why the approval is asked for."))
    rule = models.CharField(_("rule"), max_length=10, choices=Rule.choices, default=Rule.ANY)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    approvers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="approval_requests", verbose_name=_("approvers")
    )
    groups = models.ManyToManyField(
        "servicedesk.SupportGroup",
        blank=True,
        related_name="approval_requests",
        verbose_name=_("approver groups"),
        help_text=_("Any active member of a group decides for it."),
    )
    required_approvers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        verbose_name=_("required approvers"),
        help_text=_("Their approval is needed under every rule; their rejection rejects."),
    )
    after_the_fact = models.BooleanField(
        _("after the fact"),
        default=False,
        help_text=_("The work was already done (an emergency); the approval is recorded afterwards."),
    )
    due_at = models.DateTimeField(
        _("due at"), null=True, blank=True, help_text=_("Expires when not decided by then.")
    )
    reminder_count = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    reminded_at = models.DateTimeField(_("last reminded at"), null=True, blank=True)
    # When the sweep looks at it next (a reminder or the expiry); empty once settled.
    next_check_at = models.DateTimeField(_("next check at"), null=True, blank=True, editable=False)
    outcome_note = models.TextField(
        _("outcome"), blank=True, help_text=_("The comment that settled it, or why it was cancelled.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("asked by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("approval request")
        verbose_name_plural = _("approval requests")
        permissions = [("cancel_approval", _("Can cancel approval requests on any record"))]
        indexes = [
            models.Index(fields=["content_type", "object_id", "status"], name="approval_record_idx"),
            models.Index(
                fields=["next_check_at"], condition=Q(status="pending"), name="approval_due_check_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "rejected", "cancelled", "expired"]),
                name="servicedesk_approval_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(rule__in=["any", "all", "majority"]), name="servicedesk_approval_rule_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(settled_at__isnull=False, next_check_at__isnull=True),
                name="servicedesk_approval_settled_stamped",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING


class ApprovalDecision(models.Model):
    """One approver's answer. A person answers a request once: for themself, for the person who
    delegated to them (`on_behalf_of`), or for one of their groups (`group`)."""

    class Decision(models.TextChoices):
        APPROVE = "approve", _("Approve")
        REJECT = "reject", _("Reject")

    request = models.ForeignKey(
        ApprovalRequest,
        on_delete=models.CASCADE,
        related_name="decisions",
        verbose_name=_("approval request"),
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approver"),
        help_text=_("Who decided."),
    )
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("on behalf of"),
        help_text=_("The approver who delegated to them."),
    )
    group = models.ForeignKey(
        "servicedesk.SupportGroup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("for the group"),
    )
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    comment = models.TextField(_("comment"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), auto_now_add=True)

    class Meta:
        ordering = ["decided_at", "id"]
        verbose_name = _("approval decision")
        verbose_name_plural = _("approval decisions")
        constraints = [
            models.UniqueConstraint(
                fields=["request", "approver"], name="approval_decision_one_per_approver"
            ),
            # One answer per personal vote, whether the approver or their delegate gave it.
            models.UniqueConstraint(
                Coalesce("on_behalf_of", "approver"),
                "request",
                condition=Q(group__isnull=True),
                name="approval_decision_one_per_vote",
            ),
            models.UniqueConstraint(
                fields=["request", "group"],
                condition=Q(group__isnull=False),
                name="approval_decision_one_per_group",
            ),
            models.CheckConstraint(
                condition=Q(decision__in=["approve", "reject"]), name="approval_decision_value_valid"
            ),
            models.CheckConstraint(
                condition=Q(on_behalf_of__isnull=True) | Q(group__isnull=True),
                name="approval_decision_delegate_or_group",
            ),
            models.CheckConstraint(
                condition=~Q(on_behalf_of=models.F("approver")), name="approval_decision_not_own_delegate"
            ),
        ]

    def __str__(self):
        return f"{self.approver} {self.decision}"

    @property
    def voter_id(self):
        """The personal vote this decision fills (None for a group's)."""
        return None if self.group_id else (self.on_behalf_of_id or self.approver_id)


class ApprovalDelegation(models.Model):
    """A person's approvals go to another person, the delegate, who decides "on behalf of" them.

    Without `request`: every approval of the delegator for a period (a holiday); the delegator may still
    decide themself, one answer counts per vote. With `request`: the delegator's pending vote on that one
    request, handed over for good (no end): the delegate decides in their place, the delegator no longer.
    """

    delegator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="approval_delegations",
        verbose_name=_("delegator"),
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("delegate")
    )
    request = models.ForeignKey(
        ApprovalRequest,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="delegations",
        verbose_name=_("approval request"),
        help_text=_("Only this request's vote is delegated; empty: every approval for the period."),
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("approval delegation")
        verbose_name_plural = _("approval delegations")
        indexes = [models.Index(fields=["delegate", "ends_at"], name="approval_delegate_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(delegate=models.F("delegator")), name="approval_delegation_not_to_self"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at"))
                | Q(ends_at__isnull=True, request__isnull=False),
                name="approval_delegation_period_or_request",
            ),
            # One request's vote is handed over once, and a person holds at most one vote of a request.
            models.UniqueConstraint(
                fields=["request", "delegator"],
                condition=Q(request__isnull=False),
                name="approval_delegation_one_per_vote",
            ),
            models.UniqueConstraint(
                fields=["request", "delegate"],
                condition=Q(request__isnull=False),
                name="approval_delegation_one_per_delegate",
            ),
        ]

    def __str__(self):
        return f"{self.delegator} → {self.delegate}"
