"""Periodic work on records: closing resolved records nobody answered."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from servicedesk.records.transitions import SYSTEM, transition_fire

from .. import workflow as wf
from ..models import Incident


def incidents_close_resolved(*, now=None, batch_size: int = 200) -> int:
    """Close records resolved more than ITSM_AUTO_CLOSE_DAYS ago; returns how many were closed.

    Takes only due rows (partial index on resolved records), in batches locked with SKIP LOCKED, so
    several workers may run it at once and a record being reopened is not closed under the requester.
    """
    cutoff = (now or timezone.now()) - timedelta(days=settings.ITSM_AUTO_CLOSE_DAYS)
    closed = 0
    while True:
        with transaction.atomic():
            batch = list(
                Incident.objects.select_for_update(skip_locked=True)
                .filter(status=wf.RESOLVED, resolved_at__lte=cutoff)
                .order_by("resolved_at", "id")[:batch_size]
            )
            for record in batch:
                transition_fire(record=record, actor=SYSTEM, to=wf.CLOSED, inputs={})
            closed += len(batch)
        if len(batch) < batch_size:
            return closed
