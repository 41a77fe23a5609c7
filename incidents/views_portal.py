"""Requester portal pages (being written)."""

from django.http import Http404


def record_page(request, record):
    raise Http404
