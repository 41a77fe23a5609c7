import uuid

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """One e-mail or webhook delivery, written in the same transaction as the change that caused it.

    A task delivers it after the commit; a periodic sweep retries what failed or was never picked up,
    with back-off, until it is delivered or dead. Delivery locks the row, so it happens once.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        WEBHOOK = "webhook", _("Webhook")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        DEAD = "dead", _("Dead")

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    event = models.CharField(
        _("event"), max_length=100, help_text=_("What happened, e.g. incident.resolved.")
    )
    event_id = models.UUIDField(
        _("event id"), default=uuid.uuid4, help_text=_("Shared by every delivery of one event.")
    )
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    recipient = models.CharField(_("recipient"), max_length=2000, help_text=_("An e-mail address or a URL."))
    payload = models.JSONField(_("payload"), default=dict, encoder=DjangoJSONEncoder)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(state="pending"), name="outbox_due_idx"),
            models.Index(fields=["content_type", "object_id", "created_at"], name="outbox_record_idx"),
            models.Index(fields=["event_id"], name="outbox_event_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel__in=["email", "webhook"]), name="outbox_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "delivered", "dead"]), name="outbox_state_valid"
            ),
            models.CheckConstraint(
                condition=~Q(state="delivered") | Q(delivered_at__isnull=False),
                name="outbox_delivered_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.event} → {self.recipient}"
