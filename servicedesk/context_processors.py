"""Template context every page gets."""

from .menus import Menu


def navigation(request) -> dict:
    """`menu`: the navigation of the signed-in user, computed only if the page shows it, once a request."""
    return {"menu": Menu(getattr(request, "user", None))}


class NotificationBell:
    """The bell's unread count, read only if the page shows it, and once a request."""

    def __init__(self, request):
        self._request = request

    @property
    def unread(self) -> int:
        cached = getattr(self._request, "_in_app_unread", None)
        if cached is None:
            from .notifications.inbox import in_app_unread_count

            cached = in_app_unread_count(user=getattr(self._request, "user", None))
            self._request._in_app_unread = cached
        return cached

    @property
    def is_capped(self) -> bool:
        from .notifications.inbox import BELL_CAP

        return self.unread > BELL_CAP


def notification_bell(request) -> dict:
    """`bell`: the signed-in user's unread in-app notifications (`bell.unread`, `bell.is_capped`)."""
    return {"bell": NotificationBell(request)}
