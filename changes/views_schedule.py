"""Placeholder so `changes/urls.py` imports on the pages' branch: the forward schedule is built on its
own branch, which replaces this module when merged."""

from django.http import Http404


def schedule(request):
    raise Http404
