"""Errors that services raise; the API answers them as `{code, message, fields}`."""

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    """A request the domain refuses. `code` is stable for clients; `message` is for people."""

    status_code = 400
    default_code = "invalid"
    default_message = _("The request cannot be carried out.")

    def __init__(self, message=None, *, code=None, fields=None, extra=None):
        self.message = message or self.default_message
        self.code = code or self.default_code
        self.fields = fields or {}
        self.extra = extra or {}
        super().__init__(str(self.message))


class PermissionDenied(ApplicationError):
    status_code = 403
    default_code = "permission_denied"
    default_message = _("You do not have permission to do this.")


class NotFound(ApplicationError):
    status_code = 404
    default_code = "not_found"
    default_message = _("Not found.")


class Conflict(ApplicationError):
    status_code = 409
    default_code = "conflict"
    default_message = _("The request conflicts with the current state.")


class InvalidTransition(Conflict):
    """The record's status does not allow this transition; `extra["allowed"]` lists those it does."""

    default_code = "invalid_transition"
    default_message = _("This transition is not allowed from the record's current status.")


class StaleWrite(ApplicationError):
    """What the client writes to changed since it read it (its If-Match or version is out of date)."""

    status_code = 412
    default_code = "stale_write"
    default_message = _("It has changed since you read it. Reload it and try again.")
