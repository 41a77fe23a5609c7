from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from servicedesk.models.revisions import Revisioned


class Baseline(Revisioned, models.Model):
    """A named snapshot of a set of CIs (by class, by service or listed) with attributes and relationships."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    scope = models.JSONField(
        _("scope"), default=dict, blank=True, help_text=_("What was included: classes, a service, or CIs.")
    )
    taken_at = models.DateTimeField(_("taken at"), auto_now_add=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("taken by"),
    )

    class Meta:
        ordering = ["-taken_at", "-id"]
        verbose_name = _("baseline")
        verbose_name_plural = _("baselines")

    def __str__(self):
        return self.name


class BaselineItem(models.Model):
    """One CI as it was when the baseline was taken. `ci_key` keeps its id should the CI be deleted."""

    baseline = models.ForeignKey(
        Baseline, on_delete=models.CASCADE, related_name="items", verbose_name=_("baseline")
    )
    ci = models.ForeignKey(
        "cmdb.ConfigurationItem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="baseline_items",
        verbose_name=_("configuration item"),
    )
    ci_key = models.BigIntegerField(_("CI id"))
    name = models.CharField(_("name"), max_length=200)
    fields = models.JSONField(_("fields"), default=dict)
    attributes = models.JSONField(_("attributes"), default=dict)
    relationships = models.JSONField(_("relationships"), default=list)

    class Meta:
        ordering = ["name", "ci_key"]
        verbose_name = _("baseline item")
        verbose_name_plural = _("baseline items")
        constraints = [
            models.UniqueConstraint(fields=["baseline", "ci_key"], name="cmdb_baselineitem_unique_ci")
        ]

    def __str__(self):
        return self.name
