from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationEvent(models.TextChoices):
    """What a person may be told by e-mail; each can be turned off per person (`NotificationOptOut`)."""

    CREATED = "created", _("A record I filed was received")
    ASSIGNED = "assigned", _("A record was assigned to me or my group")
    COMMENTED = "commented", _("A new reply on a record I follow")
    WAITING = "waiting", _("A record is waiting for my answer")
    RESOLVED = "resolved", _("A record I filed was resolved")
    REOPENED = "reopened", _("A record I work on was reopened")
    CLOSED = "closed", _("A record I filed was closed")
    SLA_WARNING = "sla_warning", _("A record is close to its SLA target")
    SLA_BREACHED = "sla_breached", _("A record breached its SLA target")
    ESCALATED = "escalated", _("A record was escalated to me")
    APPROVAL_REQUESTED = "approval_requested", _("My approval is asked for")
    APPROVAL_REMINDER = "approval_reminder", _("An approval I was asked for is still waiting")
    APPROVAL_DECIDED = "approval_decided", _("An approval I asked for was decided")


def _languages():
    return settings.LANGUAGES


class NotificationTemplate(models.Model):
    """An administrator's wording of one notification in one language; overrides the shipped default.

    Subject and bodies are Django templates rendered with the record and the event's context. The subject
    always gets the record's number as `[INC0000123]` in front, so e-mail intake recognises replies.
    """

    event = models.CharField(_("event"), max_length=20, choices=NotificationEvent.choices)
    language = models.CharField(_("language"), max_length=10, choices=_languages)
    subject = models.CharField(_("subject"), max_length=200)
    body_text = models.TextField(_("plain text body"))
    body_html = models.TextField(_("HTML body"), blank=True, help_text=_("Empty: the plain text only."))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["event", "language"]
        verbose_name = _("notification template")
        verbose_name_plural = _("notification templates")
        constraints = [
            models.UniqueConstraint(fields=["event", "language"], name="notification_template_unique"),
        ]

    def __str__(self):
        return f"{self.get_event_display()} ({self.language})"


class NotificationOptOut(models.Model):
    """A person does not want e-mail for this event."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_opt_outs"
    )
    event = models.CharField(_("event"), max_length=20, choices=NotificationEvent.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("notification opt-out")
        verbose_name_plural = _("notification opt-outs")
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="notification_opt_out_unique"),
        ]

    def __str__(self):
        return f"{self.user} ✕ {self.event}"
