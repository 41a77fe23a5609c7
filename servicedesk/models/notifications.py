from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from servicedesk.notifications.registry import CODE_MAX_LENGTH, notification_event_label

# The events are a registry (servicedesk.notifications.registry), not choices: an app adds its own
# without a migration. Services and the admin refuse a code that is not registered.


def _languages():
    return settings.LANGUAGES


class NotificationTemplate(models.Model):
    """An administrator's wording of one notification in one language; overrides the shipped default.

    Subject and bodies are Django templates rendered with the record and the event's context. The subject
    always gets the record's number as `[INC0000123]` in front, so e-mail intake recognises replies.
    """

    event = models.CharField(_("event"), max_length=CODE_MAX_LENGTH)
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

    def get_event_display(self) -> str:
        return notification_event_label(self.event)


class NotificationOptOut(models.Model):
    """A person does not want this event on one channel: e-mail, or the in-app notification centre."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        IN_APP = "in_app", _("In the app")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_opt_outs"
    )
    event = models.CharField(_("event"), max_length=CODE_MAX_LENGTH)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("notification opt-out")
        verbose_name_plural = _("notification opt-outs")
        constraints = [
            models.UniqueConstraint(fields=["user", "event", "channel"], name="notification_opt_out_unique"),
            models.CheckConstraint(
                condition=models.Q(channel__in=["email", "in_app"]), name="notification_opt_out_channel_valid"
            ),
        ]

    def __str__(self):
        return f"{self.user} ✕ {self.event} ({self.channel})"

    def get_event_display(self) -> str:
        return notification_event_label(self.event)
