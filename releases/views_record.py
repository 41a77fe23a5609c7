"""The release's record page (`RELEASE_KIND.page`, dispatched to by the kernel's `/records/<number>/`)."""

from django.shortcuts import render


def release_page(request, record):
    return render(request, "releases/record.html", {"record": record})
