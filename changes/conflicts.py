"""Conflict detection (issue 16, item 5)."""


def schedule_check(firing) -> None:
    raise NotImplementedError


def reschedule_check(*, record, actor, override_reason: str = "") -> None:
    raise NotImplementedError
