"""Fulfilment: the checklist a request type sets out (task templates), and each request's tasks.

A template that runs `parallel` joins the previous template's stage; any other starts a new stage after
it. A request's tasks keep their stage: a stage's tasks become ready together once every task of the
stages before it is done (`incidents.services.fulfilment`).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from servicedesk.models.revisions import Revisioned


class TaskTemplate(models.Model):
    """One step of a request type's fulfilment checklist."""

    request_type = models.ForeignKey(
        "incidents.RequestType",
        on_delete=models.CASCADE,
        related_name="task_templates",
        verbose_name=_("request type"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    support_group = models.ForeignKey(
        "servicedesk.SupportGroup",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("group"),
        help_text=_("Its members (or any agent) do the task."),
    )
    parallel = models.BooleanField(
        _("alongside the previous task"),
        default=False,
        help_text=_(
            "Ready at the same time as the previous task; otherwise it waits until that one is done."
        ),
    )

    class Meta:
        ordering = ["request_type", "position", "id"]
        verbose_name = _("fulfilment task template")
        verbose_name_plural = _("fulfilment tasks")

    def __str__(self):
        return self.name


class FulfilmentTask(Revisioned, models.Model):
    """A task of one service request, done by a member of its group (or an agent)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for an earlier task")
        READY = "ready", _("Ready")
        DONE = "done", _("Done")

    record = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.CASCADE,
        related_name="fulfilment_tasks",
        verbose_name=_("request"),
    )
    template = models.ForeignKey(
        TaskTemplate,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("template"),
    )
    position = models.PositiveSmallIntegerField(_("position"))
    stage = models.PositiveSmallIntegerField(_("stage"))
    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    support_group = models.ForeignKey(
        "servicedesk.SupportGroup", on_delete=models.PROTECT, related_name="+", verbose_name=_("group")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    ready_at = models.DateTimeField(_("ready at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("done at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )

    class Meta:
        ordering = ["record", "position", "id"]
        verbose_name = _("fulfilment task")
        verbose_name_plural = _("fulfilment tasks")
        indexes = [
            # A group's task list: its ready tasks, oldest first.
            models.Index(fields=["support_group", "status", "ready_at"], name="incidents_task_group_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "ready", "done"]), name="incidents_task_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(completed_at__isnull=False), name="incidents_task_done_at"
            ),
            models.UniqueConstraint(fields=["record", "position"], name="incidents_task_position_unique"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY

    @property
    def is_done(self) -> bool:
        return self.status == self.Status.DONE
