"""Attachment downloads: the only way to a stored file, for requesters and agents alike.

The file is always a download (never rendered inline), with the media type checked at upload, no sniffing
and a policy that forbids it from running anything if a browser opens it anyway.
"""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from servicedesk.errors import NotFound

from .selectors import incident_attachment_get_for_user


@login_required
@require_GET
@cache_control(private=True, no_store=True)
def attachment_download(request, pk):
    """The file if the user may see its record and its entry; 404 for anything else, existing or not."""
    try:
        attachment, _record = incident_attachment_get_for_user(user=request.user, attachment_id=pk)
        handle = attachment.file.open("rb")
    except (NotFound, FileNotFoundError):
        raise Http404() from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.media_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response
