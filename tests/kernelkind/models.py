from django.db import models

from servicedesk.models import Ticket
from servicedesk.records.fields import StatusField

from . import workflow as wf


class Chore(Ticket):
    """A small piece of work: open, being done, done (with a note) or dropped."""

    class Status(models.TextChoices):
        OPEN = wf.OPEN, "Open"
        DOING = wf.DOING, "Doing"
        DONE = wf.DONE, "Done"
        DROPPED = wf.DROPPED, "Dropped"

    status = StatusField("status", max_length=20, choices=Status.choices, default=Status.OPEN)
    outcome = models.TextField("outcome", blank=True)
    checked = models.BooleanField("checked", default=False)
    sla_due_at = models.DateTimeField("SLA due at", null=True, blank=True)  # kept by the SLA clocks

    class Meta:
        permissions = [("work_chore", "Can work chores")]
