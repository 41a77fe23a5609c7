"""Reads a PostgreSQL read replica may serve (README, "Scaling out").

With `ITSM_READ_REPLICA_URL` set, the database alias `replica` points at a streaming replica of the primary
and `ITSM_READ_REPLICA` names it. Only reads that can be a few seconds behind go there: the API's list
actions (integrations polling the queue, exports) and, later, reports. Everything that decides (sign-in,
permissions, a record about to be changed, `If-Match`) reads the primary, and every write goes to the primary
whatever the instance was read from (`PrimaryRouter`).
"""

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.db.models import QuerySet


def replica_alias() -> str:
    """The alias replica reads use: the replica when one is configured, else the primary."""
    return getattr(settings, "ITSM_READ_REPLICA", "") or DEFAULT_DB_ALIAS


def on_replica(queryset: QuerySet) -> QuerySet:
    """`queryset` read from the replica when there is one (the data may lag the primary slightly)."""
    alias = replica_alias()
    return queryset if alias == DEFAULT_DB_ALIAS else queryset.using(alias)


class PrimaryRouter:
    """Writes and migrations go to the primary: an object read from the replica is saved to the primary."""

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS
