"""The known error list's pages: cursor pages newest first, or, for words, the best matches on one page."""

from servicedesk.api.pagination import CursorPagination


class KnownErrorPagination(CursorPagination):
    """Cursor pages in the view's order; when the view says the list is `ranked` (words were searched),
    the `page_size` best matches, best first, on one page without a next one: a search asks for more
    words rather than for a second page (a cursor cannot hold a place in a ranking)."""

    ranked = False

    def paginate_queryset(self, queryset, request, view=None):
        if not self.ranked:
            return super().paginate_queryset(queryset, request, view)
        self.decode_cursor(request)  # a bad cursor is refused as on any page (404)
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.has_next = self.has_previous = False
        return list(queryset[: self.page_size])
