"""The record kernel: what incidents, requests, problems, changes and releases share.

`Ticket` is abstract; each process app declares its concrete model with its own status machine. The
timeline and attachments are shared tables keyed by content type, so one activity stream serves every kind.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from servicedesk.records.fields import StatusProtected
from servicedesk.records.search import search_document_field
from servicedesk.storage import attachment_storage

PRIORITIES = [1, 2, 3, 4, 5]


class Priority(models.IntegerChoices):
    P1 = 1, _("P1 critical")
    P2 = 2, _("P2 high")
    P3 = 3, _("P3 moderate")
    P4 = 4, _("P4 low")
    P5 = 5, _("P5 planning")


class Impact(models.IntegerChoices):
    ENTERPRISE = 1, _("Enterprise")
    DEPARTMENT = 2, _("Department")
    USER = 3, _("User")


class Urgency(models.IntegerChoices):
    HIGH = 1, _("High")
    MEDIUM = 2, _("Medium")
    LOW = 3, _("Low")


class NumberSequence(models.Model):
    """The last number handed out for a prefix. Locked by the allocating transaction: no gaps, no doubles."""

    prefix = models.CharField(_("prefix"), max_length=8, primary_key=True)
    last_value = models.PositiveBigIntegerField(_("last value"), default=0)

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")

    def __str__(self):
        return f"{self.prefix} {self.last_value}"


class Ticket(StatusProtected, models.Model):
    """A record worked by people. Concrete models add `status` (the field their kind's
    transition table moves, `servicedesk.records.workflow`) and their own fields.

    `version` increases with every write through a service; it is the ETag and the If-Match value
    (`servicedesk.concurrency`).
    """

    concurrency_field = "version"

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requester"),
    )
    support_group = models.ForeignKey(
        "servicedesk.SupportGroup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("support group"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assignee"),
    )
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.P4)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    # Word search (servicedesk.records.search): the text of the public comments, appended by the comment
    # service, and the weighted tsvector PostgreSQL keeps of the title, description and that text. The
    # column has a database default: bulk loads (COPY, set-based SQL in the benchmark) need not name it.
    search_comments = models.TextField(
        _("text of the public comments"), blank=True, default="", db_default="", editable=False
    )
    search_document = search_document_field()

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def etag(self) -> str:
        return f'"{self.pk}-{self.version}"'


class TimelineEntry(models.Model):
    """One line of a record's activity stream: a comment, a work note, a change, an attachment, a link.

    Public entries are shown to the requester; work notes and most system entries are for agents only.
    Never updated or deleted by the application.
    """

    class Kind(models.TextChoices):
        COMMENT = "comment", _("Comment")
        WORK_NOTE = "work_note", _("Work note")
        TRANSITION = "transition", _("Status change")
        FIELD_CHANGE = "field_change", _("Field change")
        ATTACHMENT = "attachment", _("Attachment")
        LINK = "link", _("Link")
        SYSTEM = "system", _("System")

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    is_public = models.BooleanField(_("public"), default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
        help_text=_("Empty for the system."),
    )
    body = models.TextField(_("text"), blank=True, help_text=_("Markdown."))
    data = models.JSONField(_("data"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        indexes = [
            models.Index(fields=["content_type", "object_id", "created_at"], name="timeline_record_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    kind__in=[
                        "comment",
                        "work_note",
                        "transition",
                        "field_change",
                        "attachment",
                        "link",
                        "system",
                    ]
                ),
                name="servicedesk_timeline_kind_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="work_note", is_public=True),
                name="servicedesk_timeline_work_note_private",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"


class Attachment(models.Model):
    """A file that came with a timeline entry; visible to whoever may see that entry.

    Stored outside MEDIA_ROOT and served only by a view that checks who may see the record.
    """

    entry = models.ForeignKey(
        TimelineEntry, on_delete=models.PROTECT, related_name="attachments", verbose_name=_("timeline entry")
    )
    file = models.FileField(_("file"), storage=attachment_storage, upload_to="%Y/%m/", max_length=300)
    name = models.CharField(_("file name"), max_length=255)
    media_type = models.CharField(_("media type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.name


class PriorityRule(models.Model):
    """One cell of the priority matrix: impact x urgency -> priority. Editable by administrators."""

    impact = models.PositiveSmallIntegerField(_("impact"), choices=Impact.choices)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency.choices)
    priority = models.PositiveSmallIntegerField(
        _("priority"),
        choices=Priority.choices,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )

    class Meta:
        ordering = ["impact", "urgency"]
        verbose_name = _("priority rule")
        verbose_name_plural = _("priority matrix")
        constraints = [
            models.UniqueConstraint(fields=["impact", "urgency"], name="servicedesk_priorityrule_unique"),
            models.CheckConstraint(
                condition=models.Q(impact__in=[1, 2, 3], urgency__in=[1, 2, 3], priority__in=PRIORITIES),
                name="servicedesk_priorityrule_values_valid",
            ),
        ]

    def __str__(self):
        return f"{self.get_impact_display()} × {self.get_urgency_display()} → P{self.priority}"


class SavedView(models.Model):
    """A person's named queue filter (a query string) for one list, such as the incident queue."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_views",
        verbose_name=_("owner"),
    )
    scope = models.CharField(_("list"), max_length=50)
    name = models.CharField(_("name"), max_length=100)
    query = models.CharField(_("filters"), max_length=2000, blank=True)
    columns = models.JSONField(
        _("columns"),
        default=list,
        blank=True,
        help_text=_("The list's columns in order; empty: its default."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [
            models.UniqueConstraint(fields=["owner", "scope", "name"], name="servicedesk_savedview_unique"),
        ]

    def __str__(self):
        return self.name


class IdempotencyKey(models.Model):
    """The first answer to a POST sent with an `Idempotency-Key`, replayed to its retries."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("key"), max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_digest = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True, encoder=DjangoJSONEncoder)
    response_headers = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="servicedesk_idempotencykey_unique"),
        ]

    def __str__(self):
        return self.key
