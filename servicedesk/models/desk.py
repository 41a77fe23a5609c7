"""What people keep about records beside the records themselves: who watches one, when a person last read
one, the in-app notifications they were sent, and the canned responses (macros) agents apply.

Records are addressed by content type and id, like the timeline and the links, so every kind has them.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from servicedesk.notifications.registry import CODE_MAX_LENGTH


class Watcher(models.Model):
    """A person (or an outside address, CC) told of a record's public updates without being its requester.

    Requesters follow a major incident instead of filing a duplicate; agents add colleagues or the
    requester's manager. A person watches a record at most once; so does an address.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="watching",
        verbose_name=_("person"),
    )
    email = models.EmailField(_("e-mail address"), blank=True, help_text=_("For someone without an account."))
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("watcher")
        verbose_name_plural = _("watchers")
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, email="") | Q(user__isnull=True) & ~Q(email=""),
                name="servicedesk_watcher_person_or_address",
            ),
            # Also the index of "the watchers of this record".
            models.UniqueConstraint(
                fields=["content_type", "object_id", "user"],
                condition=Q(user__isnull=False),
                name="servicedesk_watcher_user_unique",
            ),
            models.UniqueConstraint(
                fields=["content_type", "object_id", "email"],
                condition=Q(user__isnull=True),
                name="servicedesk_watcher_email_unique",
            ),
        ]
        indexes = [models.Index(fields=["user", "content_type"], name="watcher_user_idx")]

    def __str__(self):
        return f"{self.user or self.email} ⟶ {self.content_type_id}/{self.object_id}"


class RecordVisit(models.Model):
    """When a person last opened a record's page: the queue marks a record whose requester wrote since."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    seen_at = models.DateTimeField(_("seen at"))

    class Meta:
        verbose_name = _("record visit")
        verbose_name_plural = _("record visits")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "content_type", "object_id"], name="servicedesk_recordvisit_unique"
            ),
        ]

    def __str__(self):
        return f"{self.user_id} {self.content_type_id}/{self.object_id} {self.seen_at:%Y-%m-%d %H:%M}"


class InAppNotification(models.Model):
    """One line in a person's notification centre (the bell): an event about a record, for one person.

    Written beside the e-mails, for the same events, unless the person turned the in-app channel off for
    the event (`NotificationOptOut` with channel "in_app"). `read_at` is empty until they read it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="in_app_notifications"
    )
    event = models.CharField(_("event"), max_length=CODE_MAX_LENGTH)
    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    record = GenericForeignKey("content_type", "object_id")
    number = models.CharField(_("record"), max_length=20, blank=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    text = models.CharField(_("text"), max_length=500, blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    data = models.JSONField(_("data"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("in-app notification")
        verbose_name_plural = _("in-app notifications")
        indexes = [
            models.Index(fields=["user", "-created_at"], name="inapp_user_recent_idx"),
            # The bell's count: a person's unread ones only.
            models.Index(
                fields=["user", "-created_at"],
                condition=Q(read_at__isnull=True),
                name="inapp_user_unread_idx",
            ),
        ]

    def __str__(self):
        return f"{self.user_id} {self.event} {self.number}"


class Macro(models.Model):
    """A canned response: a Markdown text with placeholders (`{{ requester.first_name }}`, `{{ number }}`)
    added as a comment or a work note, plus optional field changes applied with it.

    Personal (an owner), shared with a group's members (a group), or for every agent (neither).
    `changes` maps field names to values (e.g. {"status": "on_hold", "priority": 3}); which fields a kind
    accepts is the kind's rule, checked when the macro is saved and again when it is applied.
    """

    name = models.CharField(_("name"), max_length=150)
    body = models.TextField(_("text"), blank=True, help_text=_("Markdown with placeholders."))
    is_public = models.BooleanField(
        _("public comment"), default=True, help_text=_("Off: the text is added as a work note.")
    )
    changes = models.JSONField(_("field changes"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    kinds = models.JSONField(_("record kinds"), default=list, blank=True, help_text=_("Empty: every kind."))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="macros",
        verbose_name=_("owner"),
        help_text=_("Personal macro of this person."),
    )
    group = models.ForeignKey(
        "servicedesk.SupportGroup",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="macros",
        verbose_name=_("support group"),
        help_text=_("Shared with this group's members."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        constraints = [
            models.CheckConstraint(
                condition=Q(owner__isnull=True) | Q(group__isnull=True),
                name="servicedesk_macro_personal_or_group",
                violation_error_message=_("A macro is personal or shared with a group, not both."),
            ),
        ]
        indexes = [
            models.Index(fields=["owner"], condition=Q(owner__isnull=False), name="macro_owner_idx"),
            models.Index(fields=["group"], condition=Q(group__isnull=False), name="macro_group_idx"),
        ]

    def __str__(self):
        return self.name
