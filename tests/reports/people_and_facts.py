"""Hand-built facts for the export, saved-report and schedule tests: a manager's group with two
records, another group with one, times in UTC."""

from datetime import UTC, datetime
from itertools import count

from django.contrib.contenttypes.models import ContentType

from servicedesk import roles
from servicedesk.models import RecordFact, SupportGroup
from servicedesk.reporting.rollups import rollup_rebuild

from ..factories import SupportGroupFactory, UserFactory

_ids = count(1)


def at(day: int, hour: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def fact(*, group: SupportGroup, assignee=None, opened_at, resolved_at=None, wall=None, business=None):
    number = next(_ids)
    return RecordFact.objects.create(
        content_type=ContentType.objects.get_for_model(SupportGroup),
        object_id=number,
        kind="incident",
        number=f"INC{number:07}",
        status="resolved" if resolved_at else "new",
        is_open=resolved_at is None,
        opened_at=opened_at,
        resolved_at=resolved_at,
        ended_at=resolved_at,
        support_group_id=group.pk,
        opened_group_id=group.pk,
        assignee_id=assignee.pk if assignee else None,
        priority=3,
        channel="portal",
        resolution_wall=wall,
        resolution_business=business,
        refreshed_at=at(10),
    )


def desk():
    """carol manages "Service Desk" (dave works in it); "Network" is erin's. Facts:
    - 2 March 10:00 UTC, Service Desk, dave, resolved 3 March 12:00 (26 h elapsed, 10 h business)
    - 2 March 15:00 UTC, Service Desk, unassigned, resolved 4 March 15:00 (48 h elapsed, 16 h business)
    - 3 March 09:00 UTC, Network, erin, open
    """
    carol = UserFactory(username="carol", roles=[roles.AGENT, roles.GROUP_MANAGER])
    dave = UserFactory(username="dave", roles=[roles.AGENT])
    erin = UserFactory(username="erin", roles=[roles.AGENT])
    service_desk = SupportGroupFactory(name="Service Desk", manager=carol, members=[carol, dave])
    network = SupportGroupFactory(name="Network", manager=erin, members=[erin])
    fact(
        group=service_desk,
        assignee=dave,
        opened_at=at(2, 10),
        resolved_at=at(3, 12),
        wall=93600,
        business=36000,
    )
    fact(group=service_desk, opened_at=at(2, 15), resolved_at=at(4, 15), wall=172800, business=57600)
    fact(group=network, assignee=erin, opened_at=at(3, 9))
    rollup_rebuild()  # facts written here directly: the whole desk's figures read the rollup
    return {"carol": carol, "dave": dave, "erin": erin, "service_desk": service_desk, "network": network}
