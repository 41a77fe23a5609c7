"""The change advisory board through the kernel's approvals (issue 16, item 3)."""


def cab_request_open(*, change, actor, after_the_fact: bool = False):
    raise NotImplementedError


def cab_requests_cancel(*, change, actor, reason: str = "") -> None:
    raise NotImplementedError


def cab_settled(*, approval, actor) -> None:
    raise NotImplementedError
