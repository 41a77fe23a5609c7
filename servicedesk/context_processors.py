"""Template context every page gets."""

from .menus import Menu


def navigation(request) -> dict:
    """`menu`: the navigation of the signed-in user, computed only if the page shows it, once a request."""
    return {"menu": Menu(getattr(request, "user", None))}
