"""The search behind pickers (`servicedesk.pickers`): the choices matching what was typed, as options."""

import re

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from .pickers import options_group_html, pick_options, pick_source

TARGET = re.compile(r"[A-Za-z][\w-]{0,120}")


@login_required
@require_GET
def pick_options_view(request, source):
    """`q`: the words typed; `target`: the id of the `<optgroup>` the answer replaces; `keep`: the name of
    the field whose current choices (sent under that name) are left out, as the menu lists them already;
    any parameter the source reads. 404 for an unknown source, or one the user may not ask."""
    target = request.GET.get("target", "")
    if not TARGET.fullmatch(target):
        raise Http404
    text = request.GET.get("q", "")
    keep = request.GET.get("keep", "")
    exclude = request.GET.getlist(keep) if keep else []
    rows, more = pick_options(
        user=request.user, source_name=source, text=text, params=request.GET, exclude=exclude
    )
    html = options_group_html(
        group_id=target,
        rows=rows,
        more=more,
        label=pick_source(source).label,
        text=text.strip()[:100],
    )
    return HttpResponse(html)
