from django.db import models
from django.utils.translation import gettext_lazy as _

from servicedesk.models.revisions import Revisioned
from servicedesk.translations import TranslatedName


class CIClass(Revisioned, TranslatedName, models.Model):
    """A kind of configuration item, in a hierarchy; its attribute schema extends its parent's.

    `attribute_schema` holds this class's own JSON Schema fragment (`properties`, `required`); the
    schema a CI is validated against merges the fragments from the root down (cmdb.schemas).
    `path` is the materialised lineage of codes (`/hardware/server/`), so "a class and its
    subclasses" is one indexed prefix match.
    """

    code = models.SlugField(
        _("code"), max_length=64, unique=True, help_text=_("Stable key for imports and the API.")
    )
    name = models.CharField(_("name"), max_length=100, unique=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent class"),
    )
    path = models.CharField(_("lineage"), max_length=512, unique=True, editable=False)
    description = models.TextField(_("description"), blank=True)
    attribute_schema = models.JSONField(_("attribute schema"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("CI class")
        verbose_name_plural = _("CI classes")
        indexes = [
            models.Index(fields=["path"], name="cmdb_ciclass_path_idx", opclasses=["varchar_pattern_ops"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("pk")), name="cmdb_ciclass_not_own_parent"
            ),
        ]

    def __str__(self):
        return self.translated_name()

    @property
    def depth(self) -> int:
        return self.path.strip("/").count("/")
