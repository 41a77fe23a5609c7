"""The pages every record kind gets by registering (`servicedesk.kinds.RecordKind`): its page at
`/records/<number>/`, the jump box's answer, and attachment downloads."""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from servicedesk.errors import NotFound
from servicedesk.kinds import may_work_any_kind, parse_number, record_get_for_user, record_kinds
from servicedesk.redirects import safe_next

from .pages import record_page_default
from .selectors import record_attachment_get_for_user
from .visits import record_visit_mark

# What looks like a record number (letters then digits) but is unknown answers "not found";
# anything else is searched for as words.
NUMBER_LIKE = re.compile(r"^[A-Za-z]{2,8}\s*\d{1,12}$")


@login_required
def record_detail(request, number):
    """The page of the record with this number (any spelling `parse_number` accepts), drawn by its kind's
    `page`, or the kernel's (`pages.record_page_default`) for a kind with a policy but no page of its own,
    noting the visit (`visits.record_visit_mark`) when the page is opened; 404 for an unknown prefix, a
    kind with neither, or a record the user may not see."""
    parsed = parse_number(number)
    if parsed is None or (parsed[0].page is None and parsed[0].policy is None):
        raise Http404()
    kind, canonical = parsed
    try:
        record = kind.get_for_user(user=request.user, number=canonical)
    except NotFound:
        raise Http404() from None
    if request.method == "GET" and not request.htmx:
        # The person has the record in front of them: lists stop marking its requester's replies unread.
        record_visit_mark(user=request.user, record=record)
    return (kind.page or record_page_default)(request, record)


def _list_url(user, words: str = "") -> str:
    """The workspace list (searching `words`) of the first registered kind `user` may work, or the home page
    if none of theirs has one."""
    for kind in record_kinds():
        if kind.list_url is not None and kind.can_work is not None and kind.can_work(user):
            return kind.list_url(words)
    return reverse("home")


@login_required
@require_GET
def record_jump(request):
    """Go to the record with this number (`inc12` → INC0000012, any registered kind), search for words, or go
    back with "not found". For who may work at least one kind (403 for anyone else)."""
    if not may_work_any_kind(request.user):
        raise PermissionDenied
    text = request.GET.get("number", "").strip()
    back = safe_next(request, _list_url(request.user))
    if not text:
        messages.error(request, _("Enter a record number."))
        return redirect(back)
    parsed = parse_number(text.replace(" ", ""))
    if parsed is None and not NUMBER_LIKE.match(text):
        return redirect(_list_url(request.user, text))
    if parsed is not None:
        kind, number = parsed
        try:
            record_get_for_user(user=request.user, number=number)
        except NotFound:
            pass
        else:
            return redirect(kind.url_name, number)
    messages.error(request, _("No record %(number)s was found.") % {"number": text.upper()})
    return redirect(back)


@login_required
@require_GET
@cache_control(private=True, no_store=True)
def attachment_download(request, pk):
    """The file if the user may see its record and its entry; 404 for anything else, existing or not.

    Always a download (never rendered inline), with the media type checked at upload, no sniffing and a
    policy that forbids it from running anything if a browser opens it anyway.
    """
    try:
        attachment, _record = record_attachment_get_for_user(user=request.user, attachment_id=pk)
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
