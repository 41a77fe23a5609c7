"""Housekeeping of the Idempotency-Key store (the keys themselves are written by servicedesk.api)."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from servicedesk.models import IdempotencyKey


def idempotency_keys_purge(*, now=None, batch_size: int = 1000) -> int:
    """Delete the keys older than ITSM_IDEMPOTENCY_TTL_HOURS, `batch_size` rows per statement.

    Returns how many were deleted. Short transactions: a large backlog never holds locks for long.
    """
    cutoff = (now or timezone.now()) - timedelta(hours=settings.ITSM_IDEMPOTENCY_TTL_HOURS)
    deleted = 0
    while True:
        ids = list(
            IdempotencyKey.objects.filter(created_at__lt=cutoff)
            .order_by("created_at", "id")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return deleted
        deleted += IdempotencyKey.objects.filter(pk__in=ids).delete()[0]
        if len(ids) < batch_size:
            return deleted
