"""The record page a kind gets when it draws none of its own (`RecordKind.page` not given): the record,
its timeline as the kind's policy lets the user read it, a comment form and one button per transition the
user may fire now, with a field for each input the transition requires or accepts.

Writes post the version the page was drawn at: a change made meanwhile answers 412 with the page as it is
now, so nobody overwrites what they did not see.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicedesk.errors import ApplicationError, NotFound
from servicedesk.kinds import kind_of, parse_number

from .page_forms import posted_version
from .selectors import links_context, record_timeline
from .services import record_comment
from .transitions import record_transition, transitions_allowed


def record_page_default(request, record, *, status: int = 200, error: str = ""):
    kind = kind_of(record)
    user = request.user
    policy = kind.policy
    context = {
        "record": record,
        "kind": kind,
        "entries": record_timeline(record=record, user=user),
        "show_internal": policy.can_see_internal(user, record),
        "transitions": transitions_allowed(record=record, user=user),
        "can_comment": policy.can_comment(user, record),
        "can_add_work_note": policy.can_add_work_note(user, record),
        "error": error,
        **links_context(record, user),
    }
    return render(request, "servicedesk/records/detail.html", context, status=status)


def page_record(request, number):
    parsed = parse_number(number)
    if parsed is None or parsed[0].policy is None:
        raise Http404()
    kind, canonical = parsed
    try:
        return kind.get_for_user(user=request.user, number=canonical)
    except NotFound:
        raise Http404() from None


def page_refused(request, record, exc) -> object:
    """The page again, as it is now, with why the write was refused."""
    record = page_record(request, record.number)
    if isinstance(exc, ValidationError):
        message = " ".join(str(m) for messages_ in exc.message_dict.values() for m in messages_)
        return record_page_default(request, record, status=400, error=message)
    return record_page_default(request, record, status=exc.status_code, error=str(exc.message))


@login_required
@require_POST
def record_transition_submit(request, number):
    """Fire the transition named in the form, with the inputs it requires or accepts."""
    record = page_record(request, number)
    allowed = {t["name"]: t for t in transitions_allowed(record=record, user=request.user)}
    transition = allowed.get(request.POST.get("transition", ""))
    if transition is None:
        return record_page_default(
            request, record, status=409, error=_("This record cannot be moved that way now.")
        )
    inputs = {
        name: request.POST[name].strip()
        for name in [*transition["requires"], *transition["accepts"]]
        if request.POST.get(name, "").strip()
    }
    try:
        record = record_transition(
            record=record,
            actor=request.user,
            to=transition["to"],
            expected_version=posted_version(request),
            **inputs,
        )
    except (ValidationError, ApplicationError) as exc:
        return page_refused(request, record, exc)
    messages.success(
        request, _("The record is now %(status)s.") % {"status": record.get_status_display().lower()}
    )
    return redirect("record", record.number)


@login_required
@require_POST
def record_comment_submit(request, number):
    """A public comment, or a work note for those who may write one."""
    record = page_record(request, number)
    try:
        record_comment(
            record=record,
            actor=request.user,
            body=request.POST.get("body", ""),
            is_public=request.POST.get("visibility") != "note",
        )
    except (ValidationError, ApplicationError) as exc:
        return page_refused(request, record, exc)
    messages.success(request, _("Your comment was added."))
    return redirect("record", record.number)
