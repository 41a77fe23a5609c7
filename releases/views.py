"""The release list of the agent workspace."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from .permissions import ReleasePolicy
from .selectors import release_list_for_user


@login_required
def release_list(request):
    if not ReleasePolicy.sees_all(request.user):
        raise Http404
    releases = release_list_for_user(user=request.user).order_by("-created_at", "-id")[:50]
    return render(request, "releases/list.html", {"releases": releases})
