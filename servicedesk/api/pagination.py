"""The API's pagination: cursor pages, and for record lists their capped count."""

import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, pagination
from rest_framework.response import Response

from servicedesk.pagination import capped_count, count_cap


class CursorPagination(pagination.CursorPagination):
    """Stable pages over large, changing lists, in the order the view declares (newest first otherwise).

    `page_size` is 1 to `max_page_size`; anything else answers 400 naming the parameter (rather than
    quietly giving the default size), as the schema documents. A cursor that cannot be read answers 404,
    as a page that does not exist."""

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 200
    invalid_cursor_message = _("Invalid cursor.")

    def get_ordering(self, request, queryset, view):
        ordering = getattr(view, "ordering", None)
        if ordering:
            return (ordering,) if isinstance(ordering, str) else tuple(ordering)
        return super().get_ordering(request, queryset, view)

    def get_page_size(self, request):
        values = request.query_params.getlist(self.page_size_query_param)
        if not values:
            return self.page_size
        raw = values[0] if len(values) == 1 else ""
        size = int(raw) if re.fullmatch(r"[0-9]{1,4}", raw) else 0
        if not 1 <= size <= self.max_page_size:
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        _("Enter a whole number from 1 to %(max)d.") % {"max": self.max_page_size}
                    ]
                }
            )
        return size

    def decode_cursor(self, request):
        if len(request.query_params.getlist(self.cursor_query_param)) > 1:
            raise exceptions.ValidationError({self.cursor_query_param: [_("Send the cursor once.")]})
        return super().decode_cursor(request)

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, OverflowError, DjangoValidationError) as exc:
            # A cursor whose position does not fit the ordering field's type.
            raise exceptions.NotFound(self.invalid_cursor_message) from exc

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return parameters


class CountedCursorPagination(CursorPagination):
    """Cursor pages of a record list, with the list's size: `count` is exact up to `ITSM_LIST_COUNT_CAP`
    (`servicedesk.pagination`) and `count_is_capped` says the list holds more than that. When one page
    holds the whole list, its size is counted from the page, without a query."""

    def paginate_queryset(self, queryset, request, view=None):
        self.counted_queryset = queryset
        return super().paginate_queryset(queryset, request, view)

    def list_count(self, page: list) -> tuple[int, bool]:
        if not self.has_next and not self.has_previous:
            return len(page), False
        return capped_count(self.counted_queryset)

    def get_paginated_response(self, data):
        count, capped = self.list_count(data)
        return Response(
            {
                "count": count,
                "count_is_capped": capped,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        answer = super().get_paginated_response_schema(schema)
        answer["properties"] = {
            "count": {
                "type": "integer",
                "minimum": 0,
                "description": (
                    f"How many records the list holds, exact up to {count_cap()} (setting "
                    "`ITSM_LIST_COUNT_CAP`); past that, the cap itself, with `count_is_capped` true."
                ),
            },
            "count_is_capped": {
                "type": "boolean",
                "description": "True when the list holds more records than `count` says (shown as “1000+”).",
            },
            **answer["properties"],
        }
        answer["required"] = ["count", "count_is_capped", "results"]
        return answer
