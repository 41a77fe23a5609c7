from rest_framework.permissions import BasePermission


def has_perm(codename: str) -> type[BasePermission]:
    """A DRF permission class that requires one Django permission (`app_label.codename`)."""

    class HasPermission(BasePermission):
        def has_permission(self, request, view):
            return bool(request.user and request.user.has_perm(codename))

    HasPermission.__name__ = f"HasPermission[{codename}]"
    return HasPermission
