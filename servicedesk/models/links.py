"""Links between records of any kinds (a problem and its incidents, a change and its release), typed by the
link types apps register (`servicedesk.records.links`). Written only by `servicedesk.records.linking`."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class RecordLink(models.Model):
    """One link of a registered type from a source record to a target record.

    The type is a code, not a choice: apps register their types, so a new one needs no migration. How many
    links a record may have on each side is the type's rule, checked by the service under a lock on both
    records; the database keeps what holds for every type: no link twice, no record linked to itself.
    """

    link_type = models.CharField(_("link type"), max_length=50)
    # The composite index and constraint below lead with the content types: no index of their own.
    source_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+", db_index=False)
    source_id = models.PositiveBigIntegerField()
    source = GenericForeignKey("source_type", "source_id")
    target_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+", db_index=False)
    target_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("target_type", "target_id")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("linked by"),
    )
    created_at = models.DateTimeField(_("linked at"), auto_now_add=True)

    class Meta:
        verbose_name = _("record link")
        verbose_name_plural = _("record links")
        constraints = [
            # Also the index of the lookups from the source: its links, of one type or all.
            models.UniqueConstraint(
                fields=["source_type", "source_id", "link_type", "target_type", "target_id"],
                name="record_link_unique",
            ),
            models.CheckConstraint(
                condition=~Q(source_type=F("target_type"), source_id=F("target_id")),
                name="record_link_not_to_itself",
            ),
        ]
        indexes = [
            # The lookups from the target: its links, of one type or all ("incidents with no problem").
            models.Index(fields=["target_type", "target_id", "link_type"], name="record_link_target_idx"),
        ]

    def __str__(self):
        source, target = f"{self.source_type_id}/{self.source_id}", f"{self.target_type_id}/{self.target_id}"
        return f"{self.link_type}: {source} → {target}"
