"""Incidents and service requests: one table, `kind` tells them apart (DESIGN.md §6)."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from servicedesk.models import ApprovalRequest, Impact, Ticket, Urgency
from servicedesk.records.fields import StatusField
from servicedesk.translations import TranslatedName

from . import workflow as wf
from .request_forms import form_schema_errors

SERVICE_CHOICES = {"ci_class__path__startswith": "/business_service/"}


class Category(TranslatedName, models.Model):
    """A category, or a subcategory when it has a parent; optionally tied to one business service."""

    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subcategories",
        verbose_name=_("parent category"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(
                fields=["name"], condition=Q(parent__isnull=True), name="incidents_category_top_unique"
            ),
            models.UniqueConstraint(fields=["parent", "name"], name="incidents_category_sub_unique"),
            models.CheckConstraint(
                condition=~Q(parent=models.F("pk")), name="incidents_category_not_own_parent"
            ),
        ]

    def __str__(self):
        return self.translated_name()


class RequestType(TranslatedName, models.Model):
    """Something a requester may ask for from a business service: an account, a laptop, access.

    A type may need approval before the request is worked: by the requester's manager, or by a group.
    """

    class Approval(models.TextChoices):
        NONE = "none", _("No approval")
        MANAGER = "manager", _("The requester's manager")
        GROUP = "group", _("An approver group")

    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    service = models.ForeignKey(
        "cmdb.ConfigurationItem",
        on_delete=models.PROTECT,
        related_name="request_types",
        limit_choices_to=SERVICE_CHOICES,
        verbose_name=_("business service"),
    )
    support_group = models.ForeignKey(
        "servicedesk.SupportGroup",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("fulfilment group"),
        help_text=_("Empty: the service's support group."),
    )
    urgency = models.PositiveSmallIntegerField(
        _("default urgency"), choices=Urgency.choices, default=Urgency.LOW
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_email_default = models.BooleanField(
        _("default for e-mail"),
        default=False,
        help_text=_("Requests that arrive at a request mailbox get this type; an agent can change it."),
    )
    approval = models.CharField(
        _("approval"),
        max_length=10,
        choices=Approval.choices,
        default=Approval.NONE,
        help_text=_("Who approves a request of this type before it is worked."),
    )
    approval_group = models.ForeignKey(
        "servicedesk.SupportGroup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approver group"),
        help_text=_("Approves requests of this type (and those of requesters without a manager)."),
    )
    approval_rule = models.CharField(
        _("approval rule"),
        max_length=10,
        choices=ApprovalRequest.Rule.choices,
        default=ApprovalRequest.Rule.ANY,
        help_text=_("With a group: any member decides for it; the rule counts the group as one vote."),
    )
    form_schema = models.JSONField(
        _("form"),
        default=dict,
        blank=True,
        help_text=_(
            "The fields a requester fills in: a JSON Schema object (the subset described in "
            "docs/catalogue-forms.md). Empty: no fields of its own."
        ),
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("request type")
        verbose_name_plural = _("request types")
        constraints = [
            models.UniqueConstraint(fields=["service", "name"], name="incidents_requesttype_unique"),
            models.UniqueConstraint(
                fields=["is_email_default"],
                condition=Q(is_email_default=True),
                name="incidents_requesttype_one_email_default",
            ),
            models.CheckConstraint(
                condition=Q(approval__in=["none", "manager", "group"]),
                name="incidents_requesttype_approval_valid",
            ),
            models.CheckConstraint(
                condition=~Q(approval="group") | Q(approval_group__isnull=False),
                name="incidents_requesttype_approval_group_named",
                violation_error_message=_("Name the approver group."),
            ),
        ]

    def __str__(self):
        return self.translated_name()

    def clean(self):
        super().clean()
        errors = form_schema_errors(self.form_schema)
        if errors:
            raise ValidationError(errors)


class Incident(Ticket):
    """An incident (something is broken) or a service request (something is wanted).

    Status changes only through the transitions of `workflow.WORKFLOW`, fired by the kernel's engine,
    which also checks what each transition needs, saves and records it.
    """

    class Kind(models.TextChoices):
        INCIDENT = "incident", _("Incident")
        REQUEST = "request", _("Service request")

    class Status(models.TextChoices):
        NEW = wf.NEW, _("New")
        ASSIGNED = wf.ASSIGNED, _("Assigned")
        IN_PROGRESS = wf.IN_PROGRESS, _("In progress")
        ON_HOLD = wf.ON_HOLD, _("On hold")
        RESOLVED = wf.RESOLVED, _("Resolved")
        CLOSED = wf.CLOSED, _("Closed")
        CANCELLED = wf.CANCELLED, _("Cancelled")

    class Channel(models.TextChoices):
        PORTAL = "portal", _("Portal")
        EMAIL = "email", _("E-mail")
        PHONE = "phone", _("Phone")
        API = "api", _("API")
        MONITORING = "monitoring", _("Monitoring")

    class HoldReason(models.TextChoices):
        REQUESTER = "requester", _("Waiting for the requester")
        VENDOR = "vendor", _("Waiting for a vendor")
        CHANGE = "change", _("Waiting for a change")

    class ResolutionCode(models.TextChoices):
        SOLVED = "solved", _("Solved (permanently)")
        WORKAROUND = "workaround", _("Solved by a workaround")
        FULFILLED = "fulfilled", _("Request fulfilled")
        ADVICE = "advice", _("Advice given")
        NOT_REPRODUCIBLE = "not_reproducible", _("Not reproducible")
        DUPLICATE = "duplicate", _("Duplicate")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.INCIDENT)
    status = StatusField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.PORTAL)
    request_type = models.ForeignKey(
        RequestType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="records",
        verbose_name=_("request type"),
    )
    service = models.ForeignKey(
        "cmdb.ConfigurationItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_records",
        limit_choices_to=SERVICE_CHOICES,
        verbose_name=_("business service"),
    )
    affected_cis = models.ManyToManyField(
        "cmdb.ConfigurationItem", blank=True, related_name="records", verbose_name=_("affected CIs")
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category"),
    )
    subcategory = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("subcategory"),
    )
    impact = models.PositiveSmallIntegerField(_("impact"), choices=Impact.choices, default=Impact.USER)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency.choices, default=Urgency.MEDIUM)
    is_major = models.BooleanField(_("major incident"), default=False)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
        help_text=_("The master record; this one resolves with it."),
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("merged into"),
    )
    hold_reason = models.CharField(_("hold reason"), max_length=20, choices=HoldReason.choices, blank=True)
    resolution_code = models.CharField(
        _("resolution code"), max_length=20, choices=ResolutionCode.choices, blank=True
    )
    resolution_notes = models.TextField(_("resolution notes"), blank=True, help_text=_("Markdown."))
    first_contact_resolution = models.BooleanField(_("resolved at first contact"), default=False)
    responded_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    sla_due_at = models.DateTimeField(
        _("SLA due at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("The earliest due time of the record's running SLA clocks; the queue sorts by it."),
    )
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    csat_score = models.PositiveSmallIntegerField(
        _("satisfaction"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    csat_comment = models.TextField(_("satisfaction comment"), blank=True)
    form_data = models.JSONField(
        _("form answers"),
        default=dict,
        blank=True,
        editable=False,
        help_text=_("The answers to the request type's form, checked against it when the request was filed."),
    )
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)

    class Meta:
        ordering = ["priority", "created_at", "id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        permissions = [
            ("work_incident", _("Can work incidents and requests (assign, start, hold, work notes)")),
            ("resolve_incident", _("Can resolve incidents and requests")),
            ("close_incident", _("Can close resolved incidents and requests")),
            ("cancel_incident", _("Can cancel incidents and requests")),
            ("reopen_incident", _("Can reopen incidents and requests at any time")),
            ("merge_incident", _("Can link and merge incidents and requests")),
            ("declare_major_incident", _("Can declare a major incident")),
        ]
        indexes = [
            models.Index(
                fields=["priority", "created_at", "id"],
                condition=Q(status__in=wf.OPEN_STATUSES),
                name="incidents_open_queue_idx",
            ),
            # The queue's default order: the most urgent SLA first, records without a running clock last.
            # (An ascending b-tree keeps NULLs last on PostgreSQL, as the queue's ORDER BY asks.)
            models.Index(
                fields=["sla_due_at", "priority", "created_at", "id"],
                condition=Q(status__in=wf.OPEN_STATUSES),
                name="incidents_open_sla_idx",
            ),
            # Lists of every status (the API, the "all" tab) in the same order, read by a LIMIT.
            models.Index(fields=["priority", "created_at", "id"], name="incidents_priority_age_idx"),
            models.Index(fields=["support_group", "status", "priority"], name="incidents_group_status_idx"),
            models.Index(fields=["assignee", "status", "priority"], name="incidents_assignee_status_idx"),
            models.Index(fields=["requester", "-created_at"], name="incidents_requester_idx"),
            models.Index(fields=["kind", "status", "priority"], name="incidents_kind_status_idx"),
            models.Index(fields=["service", "status"], name="incidents_service_status_idx"),
            models.Index(fields=["created_at"], name="incidents_created_idx"),
            # What changed since the management-information facts were last refreshed.
            models.Index(fields=["updated_at"], name="incidents_updated_idx"),
            models.Index(
                fields=["resolved_at"], condition=Q(status=wf.RESOLVED), name="incidents_resolved_due_idx"
            ),
            # The queue's tabs and the API's usual questions, each read in its order by a LIMIT rather than
            # sorting every matching row (issue 14; decisions: "Indexes for each queue tab").
            # The queue page, the most urgent SLA first: "all", "mine", "unassigned", one group's open.
            models.Index(fields=["sla_due_at", "priority", "created_at", "id"], name="incidents_all_sla_idx"),
            models.Index(
                fields=["assignee", "sla_due_at", "priority", "created_at", "id"],
                condition=Q(status__in=wf.ACTIVE_STATUSES),
                name="incidents_mine_sla_idx",
            ),
            models.Index(
                fields=["sla_due_at", "priority", "created_at", "id"],
                condition=Q(status__in=wf.OPEN_STATUSES, assignee__isnull=True),
                name="incidents_unassigned_sla_idx",
            ),
            models.Index(
                fields=["support_group", "sla_due_at", "priority", "created_at", "id"],
                condition=Q(status__in=wf.OPEN_STATUSES),
                name="incidents_group_open_sla_idx",
            ),
            # The API, by priority then age: one group's open records, mine, the unassigned ones.
            models.Index(
                fields=["support_group", "priority", "created_at", "id"],
                condition=Q(status__in=wf.OPEN_STATUSES),
                name="incidents_group_open_idx",
            ),
            models.Index(
                fields=["assignee", "priority", "created_at", "id"],
                condition=Q(status__in=wf.OPEN_STATUSES),
                name="incidents_assignee_open_idx",
            ),
            models.Index(
                fields=["priority", "created_at", "id"],
                condition=Q(status__in=wf.OPEN_STATUSES, assignee__isnull=True),
                name="incidents_unassigned_open_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=wf.STATUSES), name="incidents_status_valid"),
            models.CheckConstraint(
                condition=Q(kind__in=["incident", "request"]), name="incidents_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind="incident", request_type__isnull=True)
                | Q(kind="request", request_type__isnull=False),
                name="incidents_request_type_for_requests_only",
            ),
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=5), name="incidents_priority_valid"
            ),
            models.CheckConstraint(
                condition=Q(impact__in=[1, 2, 3], urgency__in=[1, 2, 3]),
                name="incidents_impact_urgency_valid",
            ),
            models.CheckConstraint(
                condition=Q(csat_score__isnull=True) | Q(csat_score__gte=1, csat_score__lte=5),
                name="incidents_csat_range",
            ),
            models.CheckConstraint(
                condition=~Q(status=wf.ON_HOLD) | ~Q(hold_reason=""), name="incidents_hold_needs_reason"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[wf.RESOLVED, wf.CLOSED]) | ~Q(resolution_code=""),
                name="incidents_resolution_code_when_resolved",
            ),
            models.CheckConstraint(condition=~Q(parent=models.F("pk")), name="incidents_not_own_parent"),
            models.CheckConstraint(
                condition=~Q(merged_into=models.F("pk")), name="incidents_not_merged_into_self"
            ),
        ]

    @property
    def is_open(self) -> bool:
        return self.status in wf.OPEN_STATUSES

    @property
    def is_request(self) -> bool:
        return self.kind == self.Kind.REQUEST


# The fulfilment checklist's models live beside these (importing them here registers them).
from .models_fulfilment import FulfilmentTask, TaskTemplate  # noqa: E402, F401
