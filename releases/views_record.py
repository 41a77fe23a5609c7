"""The release's record page (`RELEASE_KIND.page`, dispatched to by the kernel's `/records/<number>/`)."""

from django.shortcuts import render

from .views_rollback import rollback_context


def release_page(request, record, *, status: int = 200, **extra):
    """The page; an action's view draws it again with its form or refusal in `extra` and its `status`."""
    context = {"record": record, **rollback_context(request, record), **extra}
    return render(request, "releases/record.html", context, status=status)
