from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from servicedesk.models.revisions import Revisioned
from servicedesk.records.fields import StatusField, StatusProtected
from servicedesk.translations import TranslatedName

IDENTIFIER_FIELDS = ("serial_number", "asset_tag", "hostname", "external_id")
STATUSES = ["planned", "ordered", "in_stock", "in_production", "in_maintenance", "retired"]
ENVIRONMENTS = ["production", "staging", "test", "development"]


class ConfigurationItem(StatusProtected, Revisioned, TranslatedName, models.Model):
    """Anything the desk manages: hardware, software, a business service, a location, a document.

    Status changes only through the transitions of `cmdb.workflow.WORKFLOW` (fired by cmdb.services).
    The identifiers are unique where present and match import rows to CIs (serial number, asset tag,
    hostname, external id).
    """

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        ORDERED = "ordered", _("Ordered")
        IN_STOCK = "in_stock", _("In stock")
        IN_PRODUCTION = "in_production", _("In production")
        IN_MAINTENANCE = "in_maintenance", _("In maintenance")
        RETIRED = "retired", _("Retired")

    class Environment(models.TextChoices):
        PRODUCTION = "production", _("Production")
        STAGING = "staging", _("Staging")
        TEST = "test", _("Test")
        DEVELOPMENT = "development", _("Development")

    name = models.CharField(_("name"), max_length=200)
    ci_class = models.ForeignKey(
        "cmdb.CIClass", on_delete=models.PROTECT, related_name="items", verbose_name=_("class")
    )
    status = StatusField(_("status"), max_length=20, choices=Status.choices, default=Status.PLANNED)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_cis",
        verbose_name=_("owner"),
    )
    support_group = models.ForeignKey(
        "servicedesk.SupportGroup",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cis",
        verbose_name=_("support group"),
    )
    sla_policy = models.ForeignKey(
        "servicedesk.SLAPolicy",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="services",
        verbose_name=_("SLA policy"),
        help_text=_("Business services only: the policy for the records filed against this service."),
    )
    location = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="located_items",
        verbose_name=_("location"),
        help_text=_("A CI of class location."),
    )
    environment = models.CharField(_("environment"), max_length=20, choices=Environment.choices, blank=True)
    version = models.CharField(_("version"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    serial_number = models.CharField(_("serial number"), max_length=100, blank=True)
    asset_tag = models.CharField(_("asset tag"), max_length=100, blank=True)
    hostname = models.CharField(_("host name"), max_length=253, blank=True)
    external_id = models.CharField(_("external id"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(
        excluded_fields=["updated_at", "revision"], history_change_reason_field=models.TextField(null=True)
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("configuration item")
        verbose_name_plural = _("configuration items")
        permissions = [("import_configurationitem", _("Can import configuration items"))]
        indexes = [
            models.Index(fields=["ci_class", "status"], name="cmdb_ci_class_status_idx"),
            models.Index(fields=["support_group", "status"], name="cmdb_ci_group_status_idx"),
            models.Index(fields=["environment"], name="cmdb_ci_environment_idx"),
            models.Index(Lower("name"), name="cmdb_ci_name_lower_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=STATUSES),
                name="cmdb_ci_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(environment__in=["", *ENVIRONMENTS]),
                name="cmdb_ci_environment_valid",
            ),
            models.UniqueConstraint(
                fields=["serial_number"], condition=~models.Q(serial_number=""), name="cmdb_ci_serial_unique"
            ),
            models.UniqueConstraint(
                fields=["asset_tag"], condition=~models.Q(asset_tag=""), name="cmdb_ci_asset_tag_unique"
            ),
            models.UniqueConstraint(
                Lower("hostname"), condition=~models.Q(hostname=""), name="cmdb_ci_hostname_unique_ci"
            ),
            models.UniqueConstraint(
                fields=["external_id"], condition=~models.Q(external_id=""), name="cmdb_ci_external_id_unique"
            ),
        ]

    def __str__(self):
        return self.translated_name()
