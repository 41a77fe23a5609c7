"""The two forms of a record page's links section (`templates/servicedesk/records/_links.html`, its context
from `selectors.links_context`): link by number, and unlink.

A second submission of the same form (a double click, a stale tab) changes nothing and says so.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicedesk.errors import ApplicationError, NotFound
from servicedesk.kinds import kind_of, record_get_for_user

from .linking import LINK_EXISTS, LINK_NOT_FOUND, link_resolve, record_link, record_unlink
from .links import link_type
from .pages import page_record, page_refused


def _done(request, record, message: str, *, level=messages.SUCCESS):
    messages.add_message(request, level, message)
    return redirect(kind_of(record).url_name, record.number)


def _refused_here(request, record, exc):
    """The kernel's page again with why (its status code), or back to a kind's own page with a message."""
    if kind_of(record).page is None:
        return page_refused(request, record, exc)
    if isinstance(exc, ValidationError):
        message = " ".join(str(m) for messages_ in exc.message_dict.values() for m in messages_)
    else:
        message = str(exc.message)
    return _done(request, record, message, level=messages.ERROR)


@login_required
@require_POST
def record_link_submit(request, number):
    """Link the record to the one numbered in the form, as the chosen type and side (`direction:code`)."""
    record = page_record(request, number)
    direction, _sep, code = request.POST.get("link", "").partition(":")
    other = request.POST.get("number", "").strip()
    try:
        t, source, target = link_resolve(
            record=record, user=request.user, type_code=code, number=other, direction=direction
        )
        record_link(actor=request.user, link_type=t.code, source=source, target=target)
    except ApplicationError as exc:
        if exc.code == LINK_EXISTS:
            return _done(request, record, str(exc.message), level=messages.INFO)
        return _refused_here(request, record, exc)
    except ValidationError as exc:
        return _refused_here(request, record, exc)
    linked = target if source is record else source
    return _done(request, record, _("Linked to %(number)s.") % {"number": linked.number})


@login_required
@require_POST
def record_unlink_submit(request, number):
    """Remove the link of the form's type between the record and the one it numbers."""
    record = page_record(request, number)
    t = link_type(request.POST.get("type", ""))
    try:
        if t is None:
            raise ValidationError({"type": _("No link type has this code.")})
        other = record_get_for_user(user=request.user, number=request.POST.get("number", ""))
        record_unlink(actor=request.user, link_type=t.code, record=record, other=other)
    except NotFound as exc:
        if exc.code == LINK_NOT_FOUND:
            return _done(request, record, str(exc.message), level=messages.INFO)
        return _refused_here(request, record, exc)
    except (ValidationError, ApplicationError) as exc:
        return _refused_here(request, record, exc)
    return _done(request, record, _("Unlinked from %(number)s.") % {"number": other.number})
