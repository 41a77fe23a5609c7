from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from servicedesk.crypto import EncryptedTextField


def default_mail_kind() -> str:
    """ITSM_MAIL_DEFAULT_KIND: what a new mailbox files unless told otherwise."""
    return settings.ITSM_MAIL_DEFAULT_KIND


class Mailbox(models.Model):
    """A desk mailbox polled over IMAP: every new message becomes a record or a reply on one."""

    class Security(models.TextChoices):
        SSL = "ssl", _("SSL/TLS")
        STARTTLS = "starttls", _("STARTTLS")
        NONE = "none", _("None (trusted network only)")

    name = models.CharField(_("name"), max_length=100, unique=True)
    address = models.EmailField(
        _("address"), help_text=_("The address people write to; mail from it is never taken in.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    host = models.CharField(_("IMAP host"), max_length=255)
    port = models.PositiveIntegerField(_("IMAP port"), default=993)
    security = models.CharField(_("security"), max_length=10, choices=Security.choices, default=Security.SSL)
    username = models.CharField(_("user name"), max_length=255)
    password = EncryptedTextField(_("password"), blank=True)
    folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    processed_folder = models.CharField(
        _("move processed mail to"),
        max_length=255,
        blank=True,
        help_text=_("Empty: processed messages stay in the folder, marked as seen."),
    )
    record_kind = models.CharField(
        _("new messages become"),
        max_length=20,
        default=default_mail_kind,
        help_text=_("The kind of record a new message files (a registered kind's code)."),
    )
    last_polled_at = models.DateTimeField(_("last polled at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self):
        return f"{self.name} <{self.address}>"


class InboundEmail(models.Model):
    """Every message taken in, by its Message-ID: what became of it (duplicates are not taken twice)."""

    class Result(models.TextChoices):
        CREATED = "created", _("Filed a new record")
        COMMENTED = "commented", _("Added a reply to a record")
        FOLLOW_UP = "follow_up", _("Filed a follow-up of a closed record")
        NOTED = "noted", _("Kept as an internal note (staff sender not verified)")
        IGNORED = "ignored", _("Ignored (auto-reply, bounce or loop)")
        REJECTED = "rejected", _("Rejected")

    class Authentication(models.TextChoices):
        REPLY_TOKEN = "reply_token", _("Reply to a notification sent to them")
        DMARC = "dmarc", _("DMARC pass, from the trusted mail server")
        DKIM = "dkim", _("DKIM signature of the sender's domain, from the trusted mail server")

    message_id = models.CharField(_("Message-ID"), max_length=998, unique=True)
    mailbox = models.ForeignKey(
        Mailbox, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    sender = models.CharField(_("sender"), max_length=320, blank=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    result = models.CharField(_("result"), max_length=10, choices=Result.choices)
    authenticated_by = models.CharField(
        _("sender verified by"),
        max_length=20,
        choices=Authentication.choices,
        blank=True,
        help_text=_("Empty: nothing proved that the sender's address is theirs."),
    )
    detail = models.TextField(_("detail"), blank=True)
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("inbound e-mail")
        verbose_name_plural = _("inbound e-mails")
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="inbound_email_record_idx"),
        ]

    def __str__(self):
        return f"{self.message_id} ({self.result})"
