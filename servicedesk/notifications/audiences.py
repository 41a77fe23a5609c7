"""Who is told of what happens to a record: the generic audiences every kind of record has.

Each function takes (record, actor, entry, data) and answers the users and plain addresses to tell;
`notify` still drops the actor, people who turned the event off and, for agents' events, whoever does
not work the record. Who works a record, and so may read its work notes, is one answer: the record's
kind's policy (`reads_internal`).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from servicedesk.kinds import kind_of
from servicedesk.selectors import support_group_agents

_GROUP_AGENTS: ContextVar[dict | None] = ContextVar("group_agents", default=None)


@contextmanager
def audiences_memo() -> Iterator[None]:
    """Inside this block, a group's agents are read once (and are the same people each time): for work on
    many records at once (the SLA sweep's batch), where who is in a group does not change."""
    token = _GROUP_AGENTS.set({})
    try:
        yield
    finally:
        _GROUP_AGENTS.reset(token)


def _group_agents(group) -> list:
    memo = _GROUP_AGENTS.get()
    if memo is None:
        return list(support_group_agents(group=group))
    if group.pk not in memo:
        memo[group.pk] = list(support_group_agents(group=group))
    return list(memo[group.pk])


def group_agents(group) -> list:
    """The group's members who are agents (read once inside `audiences_memo`)."""
    return _group_agents(group)


def reads_internal(user, record) -> bool:
    """May `user` read the record's internal work notes (and hear of its agents' events)? The record
    kind's policy (`RecordKind.can_see_internal`) alone answers; a kind that does not say, or a record of
    no registered kind, shows them to nobody."""
    if user is None:
        return False
    try:
        can_see_internal = kind_of(record).can_see_internal
    except LookupError:
        return False
    return can_see_internal is not None and bool(can_see_internal(user, record))


def requester(record, actor=None, entry=None, data=None) -> list:
    """The person who filed the record."""
    return [record.requester] if getattr(record, "requester_id", None) else []


def workers(record, actor=None, entry=None, data=None) -> list:
    """Who works the record: its assignee, or its group when nobody has it yet (the group's address, or
    its members who are agents: a member who is not an agent never reads other people's records)."""
    if record.assignee_id is not None:
        return [record.assignee]
    group = record.support_group
    if group is None:
        return []
    if group.email:
        return [group.email]
    return _group_agents(group)


def group_manager(record, actor=None, entry=None, data=None) -> list:
    """The manager of the record's group, when they work records of its kind (told of breaches)."""
    manager = record.support_group.manager if record.support_group_id else None
    return [manager] if manager is not None and reads_internal(manager, record) else []


def workers_and_group_manager(record, actor=None, entry=None, data=None) -> list:
    return [*workers(record), *group_manager(record)]


def conversation(record, actor=None, entry=None, data=None) -> list:
    """The other side of a public reply: the requester hears from whoever works the record; the workers
    hear from the requester (and from anyone else, such as an e-mail from a colleague). Watchers hear
    of public updates through their own event (`servicedesk.notifications.watchers`)."""
    if actor is not None and actor.pk != record.requester_id and reads_internal(actor, record):
        return requester(record)
    return workers(record)
