"""Releases and what release management keeps around them (DESIGN.md §10, issue 17).

A `Release` is a record of the kernel (`REL` numbers) that bundles approved changes (the kernel's link
`release_change`, `links.py`: a change is in one release at most, and the release implements it) and
brings them into production as a tested package: its `Artifact`s are the definitive software library
(checksummed, immutable from the go/no-go on), its `Wave`s the rollout plan, each with a `DeploymentTask`
per target CI whose result a pipeline reports. A successful task updates its CI in the CMDB; the baseline
taken at approval is what a rollback restores.
"""

import uuid

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from cmdb.models import ConfigurationItem
from servicedesk.models import Ticket
from servicedesk.models.revisions import Revisioned
from servicedesk.records.fields import StatusField

from . import workflow as wf
from .storage import dsl_storage

SERVICE_CHOICES = {"ci_class__path__startswith": "/business_service/"}
SHA256_VALIDATOR = RegexValidator(r"^[0-9a-f]{64}$", _("A SHA-256 checksum is 64 lower-case hex digits."))


class ReleaseType(models.TextChoices):
    MAJOR = "major", _("Major")
    MINOR = "minor", _("Minor")
    EMERGENCY = "emergency", _("Emergency")


class Release(Ticket):
    """A release. Its title is the release's name; the assignee its release manager; the support group the
    group that builds and deploys it; the requester who raised it."""

    class Status(models.TextChoices):
        PLANNING = wf.PLANNING, _("Planning")
        BUILDING = wf.BUILDING, _("Building")
        TESTING = wf.TESTING, _("Testing")
        GO_NO_GO = wf.GO_NO_GO, _("Go/no-go")
        APPROVED = wf.APPROVED, _("Approved")
        DEPLOYING = wf.DEPLOYING, _("Deploying")
        DEPLOYED = wf.DEPLOYED, _("Deployed")
        FAILED = wf.FAILED, _("Failed")
        ROLLED_BACK = wf.ROLLED_BACK, _("Rolled back")
        CLOSED = wf.CLOSED, _("Closed")
        CANCELLED = wf.CANCELLED, _("Cancelled")

    class Outcome(models.TextChoices):
        """How it went, recorded at closing; the bundled changes close with it."""

        SUCCESSFUL = "successful", _("Successful")
        PARTIAL = "partial", _("Partially successful")
        FAILED = "failed", _("Failed")
        ROLLED_BACK = "rolled_back", _("Rolled back")

    class RollbackExtent(models.TextChoices):
        NONE = "", _("Not rolled back")
        PARTIAL = "partial", _("Partly rolled back")
        FULL = "full", _("Wholly rolled back")

    status = StatusField(_("status"), max_length=20, choices=Status.choices, default=Status.PLANNING)
    release_type = models.CharField(
        _("type"), max_length=10, choices=ReleaseType.choices, default=ReleaseType.MINOR
    )
    release_version = models.CharField(
        _("version"), max_length=64, help_text=_("The version this release brings, as its people call it.")
    )
    services = models.ManyToManyField(
        "cmdb.ConfigurationItem",
        blank=True,
        related_name="service_releases",
        limit_choices_to=SERVICE_CHOICES,
        verbose_name=_("target services"),
    )
    target_cis = models.ManyToManyField(
        "cmdb.ConfigurationItem", blank=True, related_name="releases", verbose_name=_("target CIs")
    )
    test_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("test lead"),
    )
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    planned_end = models.DateTimeField(_("planned end"), null=True, blank=True)
    backout_plan = models.TextField(_("back-out plan"), blank=True, help_text=_("Markdown."))

    # The go/no-go checklist: tests passed (with evidence among the artifacts), back-out plan, and the
    # communication sent to those the release affects.
    tests_passed_at = models.DateTimeField(_("tests passed at"), null=True, blank=True)
    tests_passed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("tests passed according to"),
    )
    test_summary = models.TextField(_("test summary"), blank=True, help_text=_("Markdown."))
    communication_sent_at = models.DateTimeField(_("communication sent at"), null=True, blank=True)
    communication_sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("communication sent by"),
    )
    communication_note = models.TextField(
        _("communication"), blank=True, help_text=_("Who was told what, and how. Markdown.")
    )

    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    baseline = models.ForeignKey(
        "cmdb.Baseline",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("baseline"),
        help_text=_("The target CIs as they were at approval: what a rollback restores."),
    )
    actual_start = models.DateTimeField(_("deployment started"), null=True, blank=True)
    actual_end = models.DateTimeField(_("deployment ended"), null=True, blank=True)
    failure_reason = models.TextField(_("why it failed"), blank=True)
    rollback_reason = models.TextField(_("why it was rolled back"), blank=True)
    rollback_extent = models.CharField(
        _("rollback"), max_length=10, choices=RollbackExtent.choices, blank=True, default=""
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    outcome_notes = models.TextField(_("lessons learned"), blank=True, help_text=_("Markdown."))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        permissions = [
            ("work_release", _("Can work releases (build, artifacts, waves, deployment results)")),
            (
                "manage_release",
                _("Can manage releases: go/no-go, deploy, pass gates, roll back, close, cancel"),
            ),
        ]
        indexes = [
            models.Index(
                fields=["planned_start", "planned_end"],
                condition=Q(status__in=wf.ON_SCHEDULE_STATUSES),
                name="releases_schedule_idx",
            ),
            models.Index(fields=["status", "-created_at"], name="releases_status_created_idx"),
            models.Index(fields=["support_group", "status"], name="releases_group_status_idx"),
            models.Index(fields=["assignee", "status"], name="releases_assignee_status_idx"),
            models.Index(fields=["requester", "-created_at"], name="releases_requester_idx"),
            models.Index(fields=["closed_at"], name="releases_closed_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=wf.STATUSES), name="releases_release_status_valid"),
            models.CheckConstraint(
                condition=Q(release_type__in=ReleaseType.values), name="releases_release_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(planned_start__isnull=True)
                | Q(planned_end__isnull=True)
                | Q(planned_end__gt=F("planned_start")),
                name="releases_planned_end_after_start",
            ),
        ]

    @property
    def artifacts_frozen(self) -> bool:
        """From the go/no-go on, what goes out is what was tested."""
        return self.status in wf.FROZEN_STATUSES or self.status == wf.CANCELLED


def artifact_path(instance, filename: str) -> str:
    return f"{instance.release_id}/{instance.key}"


class Artifact(models.Model):
    """One item of the definitive software library: a file stored here (streamed to disk, its SHA-256
    computed while writing) or a URI with the checksum its publisher gives. Never edited: a new version
    is a new artifact; none is added or removed once the release is at its go/no-go."""

    class Role(models.TextChoices):
        PACKAGE = "package", _("Package")
        TEST_EVIDENCE = "test_evidence", _("Test evidence")
        DOCUMENTATION = "documentation", _("Documentation")

    class Check(models.TextChoices):
        """What the last verification found."""

        UNCHECKED = "", _("Not verified")
        OK = "ok", _("Matches")
        DRIFT = "drift", _("Checksum differs")
        MISSING = "missing", _("File missing")
        EXTERNAL = "external", _("Stored elsewhere: not verifiable here")

    release = models.ForeignKey(
        Release, on_delete=models.CASCADE, related_name="artifacts", verbose_name=_("release")
    )
    key = models.UUIDField(_("key"), default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    artifact_version = models.CharField(_("version"), max_length=64)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.PACKAGE)
    sha256 = models.CharField(_("SHA-256"), max_length=64, validators=[SHA256_VALIDATOR])
    size = models.BigIntegerField(_("size (bytes)"), null=True, blank=True, validators=[MinValueValidator(0)])
    media_type = models.CharField(_("media type"), max_length=100, blank=True)
    file = models.FileField(
        _("file"), upload_to=artifact_path, storage=dsl_storage, blank=True, max_length=300
    )
    uri = models.URLField(_("URI"), max_length=1000, blank=True)
    manifest = models.JSONField(
        _("manifest"),
        default=dict,
        blank=True,
        help_text=_("What a successful deployment sets on the CI: its version and attributes."),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    check_result = models.CharField(
        _("verification"), max_length=10, choices=Check.choices, blank=True, default=""
    )
    found_sha256 = models.CharField(_("checksum found"), max_length=64, blank=True)

    class Meta:
        ordering = ["role", "name", "id"]
        verbose_name = _("artifact")
        verbose_name_plural = _("artifacts")
        constraints = [
            models.UniqueConstraint(
                fields=["release", "name", "artifact_version"], name="releases_artifact_unique_version"
            ),
            models.CheckConstraint(
                condition=(Q(file="") & ~Q(uri="")) | (~Q(file="") & Q(uri="")),
                name="releases_artifact_file_or_uri",
            ),
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="releases_artifact_sha256_hex"
            ),
        ]

    def __str__(self):
        return f"{self.name} {self.artifact_version}"

    @property
    def is_stored(self) -> bool:
        return bool(self.file)


class Wave(Revisioned, models.Model):
    """One stage of the rollout: its target CIs (one task each) in an environment, its window, and the
    gate that starts it once the wave before has succeeded (automatic, or by the release manager)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        ROLLED_BACK = "rolled_back", _("Rolled back")

    class Gate(models.TextChoices):
        AUTOMATIC = "automatic", _("Automatic, when the wave before succeeded")
        MANUAL = "manual", _("Manual, by the release manager")

    release = models.ForeignKey(
        Release, on_delete=models.CASCADE, related_name="waves", verbose_name=_("release")
    )
    position = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("name"), max_length=200)
    environment = models.CharField(
        _("environment"),
        max_length=20,
        choices=ConfigurationItem.Environment.choices,
        blank=True,
        help_text=_("Empty: the CIs named; otherwise every target CI of this environment."),
    )
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    planned_end = models.DateTimeField(_("planned end"), null=True, blank=True)
    gate = models.CharField(_("gate"), max_length=10, choices=Gate.choices, default=Gate.MANUAL)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    override_reason = models.TextField(_("why it runs despite its window"), blank=True)
    rolled_back_at = models.DateTimeField(_("rolled back at"), null=True, blank=True)
    rolled_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rolled back by"),
    )
    # Task counts kept with each report, so the progress board reads one row per wave.
    total_tasks = models.PositiveIntegerField(_("tasks"), default=0)
    succeeded_tasks = models.PositiveIntegerField(_("succeeded"), default=0)
    failed_tasks = models.PositiveIntegerField(_("failed"), default=0)

    class Meta:
        ordering = ["release", "position", "id"]
        verbose_name = _("wave")
        verbose_name_plural = _("waves")
        indexes = [models.Index(fields=["status", "planned_start"], name="releases_wave_status_idx")]
        constraints = [
            models.UniqueConstraint(fields=["release", "position"], name="releases_wave_unique_position"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "running", "succeeded", "failed", "rolled_back"]),
                name="releases_wave_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(gate__in=["automatic", "manual"]), name="releases_wave_gate_valid"
            ),
            models.CheckConstraint(
                condition=Q(planned_start__isnull=True)
                | Q(planned_end__isnull=True)
                | Q(planned_end__gt=F("planned_start")),
                name="releases_wave_end_after_start",
            ),
        ]

    def __str__(self):
        return self.name


class DeploymentTask(models.Model):
    """Deploying the release on one CI in one wave: its status and log as the pipeline reports them, and
    what happened to the CI in the CMDB (updated on success, restored on rollback)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")
        ROLLED_BACK = "rolled_back", _("Rolled back")

    release = models.ForeignKey(
        Release, on_delete=models.CASCADE, related_name="deployment_tasks", verbose_name=_("release")
    )
    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("wave"))
    ci = models.ForeignKey(
        "cmdb.ConfigurationItem",
        on_delete=models.PROTECT,
        related_name="deployment_tasks",
        verbose_name=_("CI"),
    )
    artifact = models.ForeignKey(
        Artifact,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("artifact"),
        help_text=_("What is deployed on the CI; its manifest is what the CMDB records on success."),
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    log = models.TextField(_("log"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    reported_at = models.DateTimeField(_("last reported at"), null=True, blank=True)
    external_ref = models.CharField(
        _("pipeline reference"), max_length=200, blank=True, help_text=_("The pipeline's run or job.")
    )
    cmdb_updated_at = models.DateTimeField(_("CMDB updated at"), null=True, blank=True)
    restored_at = models.DateTimeField(_("restored at"), null=True, blank=True)

    class Meta:
        ordering = ["wave", "id"]
        verbose_name = _("deployment task")
        verbose_name_plural = _("deployment tasks")
        indexes = [
            models.Index(fields=["wave", "status"], name="releases_task_wave_status_idx"),
            models.Index(fields=["ci", "status"], name="releases_task_ci_status_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["release", "ci"], name="releases_task_one_per_ci"),
            models.CheckConstraint(
                condition=Q(
                    status__in=["pending", "running", "succeeded", "failed", "skipped", "rolled_back"]
                ),
                name="releases_task_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.wave_id}: {self.ci_id}"
