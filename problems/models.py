"""Problems, the known error database and problem candidates (DESIGN.md §7, issue 15).

A `Problem` is a record of the kernel (`PRB` numbers): its incidents are kernel links (`links.py`); its
root-cause analysis is structured fields on it. A `KnownError` is the KEDB's article about one problem's
error: symptoms, root cause and workaround, published to agents or also to the portal. A
`WorkaroundApplication` is one use of a workaround on an incident; a `Deflection` one suggestion the portal
showed a requester. A `ProblemCandidate` is a group of recurring incidents the trend task proposes.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from servicedesk.models import Impact, Ticket, Urgency
from servicedesk.records.fields import StatusField
from servicedesk.records.search import RecordSearch, search_document_field

from . import workflow as wf

SERVICE_CHOICES = {"ci_class__path__startswith": "/business_service/"}

# The KEDB's word search: the title before the symptoms before the workaround (issue 15, item 5).
KNOWN_ERROR_SEARCH = RecordSearch(
    fields=(("title", "A"), ("symptoms", "B"), ("workaround", "C"), ("root_cause", "D")),
    trigram_field="title",
)


class Problem(Ticket):
    """The unknown cause of one or more incidents, investigated until it is known and removed. The
    assignee is the problem's manager, the support group the team that investigates it."""

    class Status(models.TextChoices):
        NEW = wf.NEW, _("New")
        INVESTIGATING = wf.INVESTIGATING, _("Investigating")
        KNOWN_ERROR = wf.KNOWN_ERROR, _("Known error")
        RESOLVED = wf.RESOLVED, _("Resolved")
        CLOSED = wf.CLOSED, _("Closed")
        CANCELLED = wf.CANCELLED, _("Cancelled")

    class Method(models.TextChoices):
        FIVE_WHYS = "five_whys", _("5 whys")
        FISHBONE = "fishbone", _("Fishbone (cause and effect)")
        FAULT_TREE = "fault_tree", _("Fault tree")
        OTHER = "other", _("Other")

    status = StatusField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    service = models.ForeignKey(
        "cmdb.ConfigurationItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_problems",
        limit_choices_to=SERVICE_CHOICES,
        verbose_name=_("business service"),
    )
    affected_cis = models.ManyToManyField(
        "cmdb.ConfigurationItem", blank=True, related_name="problems", verbose_name=_("affected CIs")
    )
    category = models.ForeignKey(
        "incidents.Category",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category"),
    )
    impact = models.PositiveSmallIntegerField(_("impact"), choices=Impact.choices, default=Impact.USER)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency.choices, default=Urgency.MEDIUM)

    # Root-cause analysis (problem control).
    symptoms = models.TextField(_("symptoms"), blank=True, help_text=_("What users see. Markdown."))
    root_cause = models.TextField(_("root cause"), blank=True, help_text=_("Markdown."))
    method = models.CharField(_("analysis method"), max_length=20, choices=Method.choices, blank=True)
    worksheet = models.TextField(
        _("analysis worksheet"),
        blank=True,
        help_text=_(
            "The method's worksheet: the whys in turn, the causes by category, or the tree. Markdown."
        ),
    )
    contributing_cis = models.ManyToManyField(
        "cmdb.ConfigurationItem",
        blank=True,
        related_name="contributed_problems",
        verbose_name=_("contributing CIs"),
    )
    time_spent_minutes = models.PositiveIntegerField(_("time spent (minutes)"), default=0)

    # Error control.
    workaround = models.TextField(_("workaround"), blank=True, help_text=_("Markdown."))
    no_workaround = models.BooleanField(_("no workaround"), default=False)
    fix = models.TextField(_("fix"), blank=True, help_text=_("How the cause was removed. Markdown."))

    class Meta:
        ordering = ["priority", "created_at", "id"]
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        permissions = [
            ("work_problem", _("Can work problems")),
            (
                "manage_problem",
                _("Can manage problems: close, cancel, publish known errors, decide candidates"),
            ),
        ]
        indexes = [
            models.Index(
                fields=["priority", "created_at", "id"],
                condition=Q(status__in=wf.OPEN_STATUSES),
                name="problems_open_queue_idx",
            ),
            models.Index(fields=["support_group", "status", "priority"], name="problems_group_status_idx"),
            models.Index(fields=["assignee", "status", "priority"], name="problems_assignee_status_idx"),
            models.Index(fields=["service", "status"], name="problems_service_status_idx"),
            models.Index(fields=["created_at"], name="problems_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[*wf.OPEN_STATUSES, wf.RESOLVED, *wf.FINAL_STATUSES]),
                name="problems_problem_status_valid",
            ),
        ]


class KnownError(models.Model):
    """The KEDB's entry for one problem's error: what users see, why, and how to work around it.

    Drafts are for problem managers; published entries are found by agents (from an incident), and those
    also published to the portal by requesters typing a new incident. Retired entries stay for history."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        AGENTS = "agents", _("Published to agents")
        PORTAL = "portal", _("Published to the portal")
        RETIRED = "retired", _("Retired")

    concurrency_field = "version"  # servicedesk.concurrency: the ETag and If-Match value

    problem = models.OneToOneField(
        Problem, on_delete=models.PROTECT, related_name="known_error", verbose_name=_("problem")
    )
    title = models.CharField(_("title"), max_length=200)
    symptoms = models.TextField(_("symptoms"), blank=True, help_text=_("Markdown."))
    root_cause = models.TextField(_("root cause"), blank=True, help_text=_("Markdown."))
    workaround = models.TextField(
        _("workaround"), blank=True, help_text=_("Markdown. Empty: there is no workaround.")
    )
    services = models.ManyToManyField(
        "cmdb.ConfigurationItem",
        blank=True,
        related_name="known_errors_of_service",
        limit_choices_to=SERVICE_CHOICES,
        verbose_name=_("affected services"),
    )
    cis = models.ManyToManyField(
        "cmdb.ConfigurationItem", blank=True, related_name="known_errors", verbose_name=_("affected CIs")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    search_document = search_document_field(KNOWN_ERROR_SEARCH)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("known error")
        verbose_name_plural = _("known errors")
        indexes = [
            models.Index(fields=["status", "-updated_at"], name="problems_ke_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "agents", "portal", "retired"]),
                name="problems_knownerror_status_valid",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def etag(self) -> str:
        return f'"{self.pk}-{self.version}"'

    @property
    def has_workaround(self) -> bool:
        return bool(self.workaround.strip())


class WorkaroundApplication(models.Model):
    """A known error's workaround applied to an incident: counted on the known error, with whether the
    incident was reopened afterwards (the incident's own count tells)."""

    known_error = models.ForeignKey(
        KnownError, on_delete=models.PROTECT, related_name="applications", verbose_name=_("known error")
    )
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="+", verbose_name=_("incident")
    )
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("applied by"),
    )
    applied_at = models.DateTimeField(_("applied at"), auto_now_add=True)
    reopen_count_then = models.PositiveSmallIntegerField(
        _("times the incident was reopened before"), default=0
    )

    class Meta:
        ordering = ["-applied_at", "-id"]
        verbose_name = _("workaround application")
        verbose_name_plural = _("workaround applications")
        constraints = [
            models.UniqueConstraint(fields=["known_error", "incident"], name="problems_application_once"),
        ]

    def __str__(self):
        return f"{self.known_error_id} → {self.incident_id}"


class Deflection(models.Model):
    """What the portal suggested while a requester typed a new incident, and what came of it."""

    class Outcome(models.TextChoices):
        SHOWN = "shown", _("Shown")
        ACCEPTED = "accepted", _("Solved it: nothing filed")
        FILED = "filed", _("Filed anyway")

    known_error = models.ForeignKey(
        KnownError,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deflections",
        verbose_name=_("known error"),
    )
    major_incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("major incident"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("user"),
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("deflection")
        verbose_name_plural = _("deflections")
        indexes = [models.Index(fields=["known_error", "outcome"], name="problems_deflection_idx")]

    def __str__(self):
        return f"{self.outcome} {self.known_error_id or self.major_incident_id}"


class ProblemCandidate(models.Model):
    """Recurring incidents that share a CI, a service or a category, not linked to a problem, proposed by
    the trend task for a problem manager to accept (a problem is created with them) or dismiss (not
    proposed again for that group unless it grows)."""

    class Basis(models.TextChoices):
        CI = "ci", _("Same CI")
        SERVICE = "service", _("Same service")
        CATEGORY = "category", _("Same category")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        ACCEPTED = "accepted", _("Accepted")
        DISMISSED = "dismissed", _("Dismissed")

    basis = models.CharField(_("basis"), max_length=10, choices=Basis.choices)
    key = models.PositiveBigIntegerField(_("key"), help_text=_("The id of the CI, service or category."))
    label = models.CharField(_("label"), max_length=300)
    incidents = models.ManyToManyField("incidents.Incident", related_name="+", verbose_name=_("incidents"))
    incident_count = models.PositiveIntegerField(_("incidents"), default=0)
    window_start = models.DateTimeField(_("window start"))
    window_end = models.DateTimeField(_("window end"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    problem = models.ForeignKey(
        Problem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("problem")
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-incident_count", "-created_at", "-id"]
        verbose_name = _("problem candidate")
        verbose_name_plural = _("problem candidates")
        constraints = [
            # One proposal at a time per group of incidents; decided ones stay as history.
            models.UniqueConstraint(
                fields=["basis", "key"],
                condition=Q(status="proposed"),
                name="problems_candidate_one_proposed",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["proposed", "accepted", "dismissed"]),
                name="problems_candidate_status_valid",
            ),
        ]

    def __str__(self):
        return self.label
