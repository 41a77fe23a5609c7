"""E-mail notifications: one outbox message per recipient, in the recipient's language.

`notify` is called by the process apps' services inside the transaction of the change it reports
(incidents: `incidents.services.events`). Filled in by issue 5 part 2.
"""

from collections.abc import Iterable

from servicedesk.models import OutboxMessage, User


def notify(
    *,
    event: str,
    record,
    recipients: Iterable[User | str],
    actor: User | None = None,
    context: dict | None = None,
) -> list[OutboxMessage]:
    """E-mail `recipients` (users, or plain addresses such as a group's list) about `event`
    (a `NotificationEvent`) on `record`. Skips the actor, inactive people, people without an address
    and people who turned this event off; renders each message in the recipient's language."""
    return []
