"""The bases of every API view: what all of them do is written once, here.

- every POST honours `Idempotency-Key` (`servicedesk.api.idempotency`);
- lists read from the read replica when there is one (`ReplicaListMixin`);
- answers of one editable object carry its ETag, and `If-None-Match` on a read answers 304
  (`ConditionalRetrieveMixin`; writes check `If-Match` through `servicedesk.api.conditional`).

`tests/api/test_idempotency.py` walks the URL configuration and fails on a view that does not use them.
"""

from rest_framework import views, viewsets
from rest_framework.response import Response

from ..replica import on_replica
from .conditional import not_modified, with_etag
from .idempotency import IdempotentPostMixin


class ReplicaListMixin:
    """A list is read from the read replica when one is configured (`servicedesk.replica`): it may lag the
    primary by a moment, which a list can afford; a single object, an action and a write never do."""

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        return on_replica(queryset) if getattr(self, "action", None) == "list" else queryset


class APIView(IdempotentPostMixin, views.APIView):
    pass


class GenericViewSet(ReplicaListMixin, IdempotentPostMixin, viewsets.GenericViewSet):
    pass


class ReadOnlyModelViewSet(ReplicaListMixin, IdempotentPostMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ConditionalRetrieveMixin:
    """`retrieve` answers the object with its ETag, or 304 when the client's copy is still current.

    The view's writes pass `expected_version(request, obj)` (If-Match) to their services. The schema
    documents the headers on the actions named here; a view adds its own actions to them.
    """

    conditional_reads: tuple[str, ...] = ("retrieve",)
    conditional_writes: tuple[str, ...] = ("partial_update", "destroy")

    def retrieve(self, request, *args, **kwargs):
        obj = self.get_object()
        return not_modified(request, with_etag(Response(self.get_serializer(obj).data), obj))
