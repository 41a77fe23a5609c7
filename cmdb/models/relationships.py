from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from servicedesk.models.revisions import Revisioned

from ..defaults import relationship_label


class RelationshipType(models.Model):
    """How two CIs relate, named in each direction (`depends on` / `used by`).

    `impact` says which way a failure travels: with `target_to_source`, a failing target hits the
    source (an application that runs on a server fails with the server).
    """

    class Impact(models.TextChoices):
        TARGET_TO_SOURCE = "target_to_source", _("A failing target hits the source")
        SOURCE_TO_TARGET = "source_to_target", _("A failing source hits the target")
        BOTH = "both", _("Both ways")
        NONE = "none", _("No impact")

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100, help_text=_("Read from the source: “depends on”."))
    reverse_name = models.CharField(
        _("reverse name"), max_length=100, help_text=_("Read from the target: “used by”.")
    )
    is_symmetric = models.BooleanField(_("symmetric"), default=False)
    impact = models.CharField(
        _("impact"), max_length=20, choices=Impact.choices, default=Impact.TARGET_TO_SOURCE
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("relationship type")
        verbose_name_plural = _("relationship types")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(impact__in=["target_to_source", "source_to_target", "both", "none"]),
                name="cmdb_relationshiptype_impact_valid",
            ),
        ]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        """The name in the reader's language (the shipped types' names are translated)."""
        return relationship_label(self.code, self.name)

    @property
    def reverse_label(self) -> str:
        return relationship_label(self.code, self.reverse_name)


class CIRelationship(Revisioned, models.Model):
    """A typed, directed edge between two CIs: `source` <type.name> `target`."""

    source = models.ForeignKey(
        "cmdb.ConfigurationItem", on_delete=models.CASCADE, related_name="outgoing", verbose_name=_("source")
    )
    target = models.ForeignKey(
        "cmdb.ConfigurationItem", on_delete=models.CASCADE, related_name="incoming", verbose_name=_("target")
    )
    type = models.ForeignKey(
        RelationshipType, on_delete=models.PROTECT, related_name="relationships", verbose_name=_("type")
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords(
        excluded_fields=["revision"], history_change_reason_field=models.TextField(null=True)
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("CI relationship")
        verbose_name_plural = _("CI relationships")
        indexes = [
            models.Index(fields=["source", "type"], name="cmdb_rel_source_type_idx"),
            models.Index(fields=["target", "type"], name="cmdb_rel_target_type_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "type"], name="cmdb_rel_unique"),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="cmdb_rel_no_self_loop"
            ),
        ]

    def __str__(self):
        return f"{self.source} {self.type.name} {self.target}"
