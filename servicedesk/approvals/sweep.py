"""The sweep: remind the deciders of approvals pending too long, and expire those past their due time.

It reads only pending requests whose `next_check_at` (their next reminder or their expiry) has passed, from a
partial index, batch after batch, each batch one transaction with SKIP LOCKED; their records are locked with
SKIP LOCKED too, so it never waits on a person's write. Safe to run twice, or on several workers.
"""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.approvals.events import APPROVAL_REMINDER
from servicedesk.models import ApprovalRequest

from .selectors import approval_queryset
from .services import SYSTEM, Status, _next_check, _notify_deciders, _settle


def approvals_sweep(*, now: datetime | None = None, batch_size: int | None = None) -> int:
    """Remind the deciders of requests pending longer than ITSM_APPROVAL_REMINDER_HOURS (at most
    ITSM_APPROVAL_MAX_REMINDERS times) and expire those past their due time. Reads only requests whose
    `next_check_at` has passed (a partial index), batch after batch, each batch one transaction with SKIP
    LOCKED: safe to run twice or on several workers. Returns how many requests it handled."""
    now = now or timezone.now()
    batch_size = batch_size or settings.ITSM_APPROVAL_SWEEP_BATCH
    handled = 0
    skipped: set[int] = set()
    while True:
        with transaction.atomic():
            taken = list(
                ApprovalRequest.objects.select_for_update(skip_locked=True)
                .filter(status=Status.PENDING, next_check_at__lte=now)
                .exclude(pk__in=skipped)
                .order_by("next_check_at", "pk")[:batch_size]
            )
            for approval in taken:
                if _sweep_one(approval, now):
                    handled += 1
                else:
                    skipped.add(approval.pk)
        if len(taken) < batch_size:
            return handled


def _sweep_one(approval: ApprovalRequest, now: datetime) -> bool:
    """Expire or remind one locked request; False when its record is being changed (next sweep)."""
    model = approval.content_type.model_class()
    record = model._default_manager.select_for_update(skip_locked=True).filter(pk=approval.object_id).first()
    if record is None and model._default_manager.filter(pk=approval.object_id).exists():
        return False
    approval = approval_queryset().get(pk=approval.pk)
    if approval.due_at is not None and approval.due_at <= now:
        _settle(approval, record, Status.EXPIRED, SYSTEM, note=_("Nobody decided in time."))
        return True
    if record is not None:
        _notify_deciders(approval, record, APPROVAL_REMINDER, SYSTEM)
    approval.reminder_count += 1
    approval.reminded_at = now
    approval.next_check_at = _next_check(approval)
    approval.save(update_fields=["reminder_count", "reminded_at", "next_check_at", "updated_at"])
    return True
