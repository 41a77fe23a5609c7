"""Management information's facts: one row per record of every kind, kept by a beat task.

A `RecordFact` holds what the measures read of a record, already worked out: the business and wall time
to the first response and to resolution on the record's SLA calendar, the outcome of each SLA clock, the
escalations and moves between groups, the requester's organisation and department, and what the record's
kind adds (channel, category, service, first-contact resolution, satisfaction). Reports aggregate these
rows in the database (`servicedesk.reporting`); nothing here is edited by people.

`FactMark` is how far each kind's facts are known to be current: the refresh takes the records, clocks
and timeline entries written since (`servicedesk.reporting.facts`).
"""

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RecordFact(models.Model):
    class SLAOutcome(models.TextChoices):
        NONE = "", _("No SLA")
        RUNNING = "running", _("Running")
        MET = "met", _("Met")
        BREACHED = "breached", _("Breached")

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    kind = models.CharField(_("kind"), max_length=20)
    number = models.CharField(_("number"), max_length=20)
    status = models.CharField(_("status"), max_length=20)
    is_open = models.BooleanField(_("open"))
    opened_at = models.DateTimeField(_("opened at"))
    responded_at = models.DateTimeField(_("first response at"), null=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True)
    # When the record last left the open statuses (resolved, or closed without resolving); empty while open.
    ended_at = models.DateTimeField(_("ended at"), null=True)
    opened_group_id = models.BigIntegerField(_("group at filing"), null=True)
    support_group_id = models.BigIntegerField(_("support group"), null=True)
    assignee_id = models.BigIntegerField(_("assignee"), null=True)
    requester_id = models.BigIntegerField(_("requester"), null=True)
    organisation_id = models.BigIntegerField(_("organisation"), null=True)
    department = models.CharField(_("department"), max_length=100, blank=True)
    service_id = models.BigIntegerField(_("business service"), null=True)
    category_id = models.BigIntegerField(_("category"), null=True)
    priority = models.PositiveSmallIntegerField(_("priority"))
    channel = models.CharField(_("channel"), max_length=20, blank=True)
    # A duplicate merged into another record: its work is counted there, so the measures leave it out.
    merged = models.BooleanField(_("merged into another record"), default=False)
    first_contact = models.BooleanField(_("resolved at first contact"), default=False)
    # A how-to question or an incident the first line could have resolved (the training-needs report).
    training_need = models.BooleanField(_("training need"), default=False)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    transfers = models.PositiveSmallIntegerField(_("moves between groups"), default=0)
    escalations_functional = models.PositiveSmallIntegerField(_("functional escalations"), default=0)
    escalations_hierarchical = models.PositiveSmallIntegerField(_("hierarchical escalations"), default=0)
    response_business = models.FloatField(_("business seconds to respond"), null=True)
    response_wall = models.FloatField(_("seconds to respond"), null=True)
    resolution_business = models.FloatField(_("business seconds to resolve"), null=True)
    resolution_wall = models.FloatField(_("seconds to resolve"), null=True)
    sla_policy_id = models.BigIntegerField(_("SLA policy"), null=True)
    response_sla = models.CharField(_("response SLA"), max_length=10, blank=True, choices=SLAOutcome.choices)
    resolution_sla = models.CharField(
        _("resolution SLA"), max_length=10, blank=True, choices=SLAOutcome.choices
    )
    # The earliest due time of the running clocks: "at risk now" reads it.
    sla_due_at = models.DateTimeField(_("SLA due at"), null=True)
    csat_score = models.PositiveSmallIntegerField(_("satisfaction"), null=True)
    csat_commented = models.BooleanField(_("satisfaction commented"), default=False)
    rated_at = models.DateTimeField(_("rated at"), null=True)
    refreshed_at = models.DateTimeField(_("refreshed at"))

    class Meta:
        verbose_name = _("record fact")
        verbose_name_plural = _("record facts")
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"], name="reporting_fact_record_unique"
            ),
        ]
        indexes = [
            # Periods by filing and by resolution, whole and per group, agent, service and organisation.
            models.Index(fields=["kind", "opened_at"], name="fact_kind_opened_idx"),
            models.Index(fields=["kind", "ended_at"], name="fact_kind_ended_idx"),
            models.Index(fields=["support_group_id", "opened_at"], name="fact_group_opened_idx"),
            models.Index(fields=["support_group_id", "resolved_at"], name="fact_group_resolved_idx"),
            models.Index(fields=["support_group_id", "ended_at"], name="fact_group_ended_idx"),
            models.Index(fields=["assignee_id", "resolved_at"], name="fact_assignee_resolved_idx"),
            models.Index(fields=["service_id", "opened_at"], name="fact_service_opened_idx"),
            models.Index(fields=["organisation_id", "opened_at"], name="fact_org_opened_idx"),
            models.Index(fields=["rated_at"], condition=Q(rated_at__isnull=False), name="fact_rated_idx"),
            models.Index(
                fields=["support_group_id", "opened_at"],
                condition=Q(is_open=True),
                name="fact_open_group_idx",
            ),
            models.Index(fields=["opened_at"], condition=Q(is_open=True), name="fact_open_idx"),
            # Times to respond and to resolve over long periods, read from the index alone (percentiles
            # sort every value of the period).
            models.Index(
                fields=["kind", "resolved_at"],
                include=[
                    "merged",
                    "resolution_business",
                    "resolution_wall",
                    "support_group_id",
                    "assignee_id",
                ],
                condition=Q(resolved_at__isnull=False),
                name="fact_resolution_times_idx",
            ),
            models.Index(
                fields=["kind", "responded_at"],
                include=["merged", "response_business", "response_wall", "support_group_id", "assignee_id"],
                condition=Q(responded_at__isnull=False),
                name="fact_response_times_idx",
            ),
        ]

    def __str__(self):
        return self.number


class FactMark(models.Model):
    """How far a kind's facts are current: records, clocks and timeline entries up to `until`."""

    kind = models.CharField(_("kind"), max_length=20, primary_key=True)
    until = models.DateTimeField(_("current until"))
    refreshed_at = models.DateTimeField(_("refreshed at"), auto_now=True)

    class Meta:
        verbose_name = _("fact mark")
        verbose_name_plural = _("fact marks")

    def __str__(self):
        return f"{self.kind} {self.until:%Y-%m-%d %H:%M}"


class FactRollup(models.Model):
    """Management information's facts added up: per hour for the whole desk, per day for each value of
    a dimension (a group, an agent, a service…), for each event a measure counts by (filed, resolved,
    first answered, rated, ended) and each kind. Additive figures only: counts and sums. Kept by the facts'
    refresh, which recomputes every day a refreshed record was in and is in (`servicedesk.reporting.rollups`);
    reports read it for the whole desk's long periods instead of a million facts."""

    # Signed: a refresh moves a row by a difference, and PostgreSQL checks a row's constraints before it
    # finds the row it updates instead.
    grain = models.CharField(_("grain"), max_length=4)  # "hour" (dim "") or "day"
    start = models.DateTimeField(_("from"))
    event = models.CharField(_("event"), max_length=10)
    kind = models.CharField(_("kind"), max_length=20)
    dim = models.CharField(_("dimension"), max_length=20, blank=True)
    value = models.CharField(_("value"), max_length=100, blank=True)
    n = models.IntegerField(default=0)
    first_contact = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)
    escalated = models.IntegerField(default=0)
    esc_functional = models.IntegerField(default=0)
    esc_hierarchical = models.IntegerField(default=0)
    training_need = models.IntegerField(default=0)
    response_met = models.IntegerField(default=0)
    response_breached = models.IntegerField(default=0)
    resolution_met = models.IntegerField(default=0)
    resolution_breached = models.IntegerField(default=0)
    csat_sum = models.IntegerField(default=0)
    commented = models.IntegerField(default=0)
    low = models.IntegerField(default=0)
    business_sum = models.FloatField(default=0)
    business_n = models.IntegerField(default=0)
    wall_sum = models.FloatField(default=0)
    wall_n = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("fact rollup")
        verbose_name_plural = _("fact rollups")
        constraints = [
            models.UniqueConstraint(
                fields=["grain", "event", "dim", "kind", "start", "value"], name="reporting_rollup_unique"
            ),
        ]

    def __str__(self):
        return f"{self.event} {self.kind} {self.dim}={self.value} {self.start:%Y-%m-%d %H:%M}"
