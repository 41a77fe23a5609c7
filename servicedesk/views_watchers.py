"""The watchers box of a record page: agents add a person or an address and remove watchers; a
requester follows or stops following. Each action posts, calls one service and answers the box (htmx)
or goes back to the record page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .errors import NotFound, PermissionDenied
from .forms_watchers import WatcherAddForm
from .kinds import kind_of, record_get_for_user
from .services.watchers import watcher_add, watcher_list, watcher_remove

TEMPLATE = "servicedesk/_watchers.html"


def _record(request, number):
    try:
        return record_get_for_user(user=request.user, number=number)
    except NotFound:
        raise Http404 from None


def watchers_context(request, record, *, form=None, error: str = "") -> dict | None:
    """The box's context (slots `record_side` and `portal_record_side`): the watchers, for who manages
    them; whether the user follows it and may, for everyone else. None for a kind without a policy."""
    policy = kind_of(record).policy
    if policy is None:
        return None
    user = request.user
    can_manage = policy.can_manage_watchers(user, record)
    watchers = list(watcher_list(record=record))
    return {
        "record": record,
        "watchers": watchers if can_manage else [],
        "can_manage_watchers": can_manage,
        "is_watching": any(w.user_id == user.pk for w in watchers),
        "can_watch": policy.can_watch(user, record),
        "watcher_form": form or (WatcherAddForm(prefix="watcher") if can_manage else None),
        "watcher_error": error,
        "watchers_count": len(watchers),
    }


def _answer(request, record, *, message: str = "", status: int = 200, **extra):
    if request.htmx:
        context = watchers_context(request, record, **extra)
        context["watcher_message"] = message
        return render(request, TEMPLATE, context, status=status)
    if status >= 400:
        messages.error(request, extra.get("error") or _("The watchers could not be changed."))
    elif message:
        messages.success(request, message)
    return redirect("record", record.number)


@login_required
@require_POST
def record_watcher_add(request, number):
    record = _record(request, number)
    form = WatcherAddForm(request.POST, prefix="watcher")
    if not form.is_valid():
        error = " ".join(form.non_field_errors()) or _("Choose a person or enter an e-mail address.")
        return _answer(request, record, status=400, form=form, error=error)
    try:
        watcher = watcher_add(
            record=record,
            user=form.cleaned_data["user"],
            email=form.cleaned_data["email"],
            actor=request.user,
        )
    except ValidationError as exc:
        return _answer(request, record, status=400, form=form, error=" ".join(exc.messages))
    except PermissionDenied as exc:
        return _answer(request, record, status=403, error=str(exc.message))
    name = watcher.user or watcher.email
    return _answer(request, record, message=_("%(name)s now follows this record.") % {"name": name})


@login_required
@require_POST
def record_watcher_remove(request, number, pk):
    record = _record(request, number)
    try:
        watcher_remove(record=record, actor=request.user, pk=pk)
    except PermissionDenied as exc:
        return _answer(request, record, status=403, error=str(exc.message))
    return _answer(request, record, message=_("The watcher was removed."))


@login_required
@require_POST
def record_follow(request, number):
    """Follow the record (or, with `stop`, stop following it) as oneself."""
    record = _record(request, number)
    try:
        if "stop" in request.POST:
            watcher_remove(record=record, actor=request.user, user=request.user)
            message = _("You no longer follow this record.")
        else:
            watcher_add(record=record, user=request.user, actor=request.user)
            message = _("You follow this record: you will be told of its updates.")
    except PermissionDenied as exc:
        return _answer(request, record, status=403, error=str(exc.message))
    if not kind_of(record).policy.can_see(request.user, record):
        # They saw it only as a watcher: the record's page is no longer theirs to read.
        messages.success(request, message)
        if request.htmx:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse("home")
            return response
        return redirect("home")
    return _answer(request, record, message=message)
