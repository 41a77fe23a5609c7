"""The chore's one service of its own: filing. Everything else it does is the kernel's."""

from django.db import transaction

from servicedesk.kinds import record_kind
from servicedesk.models import TimelineEntry
from servicedesk.services.audit import audit_record
from servicedesk.services.numbering import number_allocate
from servicedesk.services.timeline import timeline_add
from servicedesk.sla.clocks import sla_sync

from .models import Chore


def chore_create(*, actor, title: str, description: str = "", requester=None, uploads=()) -> Chore:
    kind = record_kind("chore")
    with transaction.atomic():
        (number,) = number_allocate(prefix=kind.prefix)
        chore = Chore.objects.create(
            number=number,
            title=title,
            description=description,
            requester=requester or actor,
            created_by=actor,
        )
        if uploads:
            timeline_add(
                record=chore,
                kind=TimelineEntry.Kind.ATTACHMENT,
                author=actor,
                is_public=True,
                uploads=uploads,
            )
        sla_sync(record=chore, rematch=True)
        audit_record(actor=actor, action="chore.created", target=chore, data={})
        kind.publish(record=chore, event="created", actor=actor, data={})
    return chore
