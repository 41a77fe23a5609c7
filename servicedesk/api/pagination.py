from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """Stable pages over large, changing lists: newest first unless a view orders otherwise."""

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 200
