"""The status field of whatever a transition table moves: set when the row is created or loaded, then only
through the table (`servicedesk.records.workflow.Workflow`), so no code changes a status past its guards."""

from django.db import models
from django.db.models.query_utils import DeferredAttribute
from django.utils.translation import gettext as _

_WRITABLE = "_status_writable"


class _ProtectedStatus(DeferredAttribute):
    def __set__(self, instance, value):
        name = self.field.attname
        if name in instance.__dict__ and not instance.__dict__.get(_WRITABLE):
            raise AttributeError(
                _("%(field)s changes only through its transition table.") % {"field": self.field.name}
            )
        instance.__dict__[name] = value


class StatusField(models.CharField):
    descriptor_class = _ProtectedStatus


def status_write(obj, field: str, value) -> None:
    """The one way to change a protected status: the transition table's."""
    obj.__dict__[obj._meta.get_field(field).attname] = value


class StatusProtected:
    """Mixed into models with a `StatusField`: reloading a row from the database may set its status."""

    def refresh_from_db(self, *args, **kwargs):
        self.__dict__[_WRITABLE] = True
        try:
            super().refresh_from_db(*args, **kwargs)
        finally:
            self.__dict__.pop(_WRITABLE, None)
