"""Macros pages: "My macros" (keep personal, group and global ones), and on a record page the chooser
that previews a macro's text for the record and applies it (htmx, or plain forms without JavaScript)."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .errors import ApplicationError, NotFound, StaleWrite
from .form_errors import apply_service_errors
from .form_once import FIELD as FORM_TOKEN
from .form_once import form_token, submit_once
from .forms_macros import MacroForm, change_fields, placeholder_help
from .kinds import kind_of, record_get_for_user
from .models import Macro
from .permissions import MacroPolicy
from .services.macros import (
    macro_apply,
    macro_create,
    macro_delete,
    macro_get_for_user,
    macro_render,
    macro_update,
    macros_for_record,
)


def macros_required(view):
    """Signed in and an agent of some kind of record; 403 otherwise."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not MacroPolicy.is_agent(request.user):
            raise DjangoPermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def changes_described(macro: Macro) -> list[tuple[str, str]]:
    """(field label, value label) of the macro's field changes, for people."""
    fields = change_fields()
    described = []
    for name, value in macro.changes.items():
        label, choices = fields.get(name, (name, []))
        described.append((str(label), str({str(k): v for k, v in choices}.get(str(value), value))))
    return described


@macros_required
def macro_list(request):
    """The macros the agent may use, and those they manage (a group's manager, an administrator)."""
    user = request.user
    usable = MacroPolicy.usable_by(user).values("pk")
    managed = MacroPolicy.manageable_by(user).values("pk")
    macros = list(
        Macro.objects.filter(pk__in=usable.union(managed))
        .select_related("owner", "group")
        .order_by("name", "id")
    )
    rows = [
        {
            "macro": macro,
            "can_manage": MacroPolicy.can_manage(user, macro),
            "changes": changes_described(macro),
        }
        for macro in macros
    ]
    return render(request, "servicedesk/macros/list.html", {"rows": rows})


def _form_page(request, form, *, macro=None, status=200):
    context = {"form": form, "macro": macro, "placeholders": placeholder_help(), "form_token": form_token()}
    return render(request, "servicedesk/macros/form.html", context, status=status)


@macros_required
def macro_new(request):
    form = MacroForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            url, _again = submit_once(
                request,
                request.POST.get(FORM_TOKEN, ""),
                lambda: (macro_create(actor=request.user, **form.values()), reverse("macro_list"))[1],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return _form_page(request, form, status=400)
        except ApplicationError as exc:
            form.add_error(None, str(exc.message))
            return _form_page(request, form, status=exc.status_code)
        messages.success(request, _("The macro was saved."))
        return redirect(url)
    return _form_page(request, form, status=400 if form.is_bound else 200)


@macros_required
def macro_edit(request, pk):
    try:
        macro = macro_get_for_user(user=request.user, pk=pk, manage=True)
    except NotFound:
        raise Http404 from None
    form = MacroForm(request.POST or None, user=request.user, macro=macro)
    if request.method == "POST" and form.is_valid():
        try:
            macro_update(macro=macro, actor=request.user, **form.values(macro))
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return _form_page(request, form, macro=macro, status=400)
        except ApplicationError as exc:
            form.add_error(None, str(exc.message))
            return _form_page(request, form, macro=macro, status=exc.status_code)
        messages.success(request, _("The macro was saved."))
        return redirect("macro_list")
    return _form_page(request, form, macro=macro, status=400 if form.is_bound else 200)


@macros_required
@require_POST
def macro_delete_view(request, pk):
    try:
        macro = macro_get_for_user(user=request.user, pk=pk, manage=True)
        macro_delete(macro=macro, actor=request.user)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("The macro was deleted."))
    return redirect("macro_list")


# On a record page.


def _record_for_agent(request, number):
    """The record if the user may see it and works its kind; 404 otherwise."""
    try:
        record = record_get_for_user(user=request.user, number=number)
    except NotFound:
        raise Http404 from None
    if not kind_of(record).policy.is_agent(request.user):
        raise Http404
    return record


def chooser_context(request, record) -> dict | None:
    """The macro chooser on a record page (slot `record_side`): for agents of the kind, on an open record."""
    kind = kind_of(record)
    if kind.macros is None or not kind.policy.is_agent(request.user) or not kind.is_open(record):
        return None
    return {"macros": macros_for_record(user=request.user, record=record)}


def _apply_page(request, record, macro, *, body=None, error="", status=200, version=None):
    context = {
        "record": record,
        "version": record.version if version is None else version,
        "macro": macro,
        "body": macro_render(macro, record, request.user) if body is None else body,
        "changes": changes_described(macro),
        "error": error,
    }
    template = "servicedesk/macros/_apply.html" if request.htmx else "servicedesk/macros/apply.html"
    return render(request, template, context, status=status)


@macros_required
def record_macro_preview(request, number):
    """The macro's text for this record, editable, with what it changes and the button that applies it."""
    record = _record_for_agent(request, number)
    if not request.GET.get("macro"):
        return HttpResponse("") if request.htmx else redirect("record", record.number)
    try:
        macro = macro_get_for_user(user=request.user, pk=request.GET.get("macro"))
    except NotFound:
        raise Http404 from None
    # The version of the page the agent is reading (sent with the choice), else the record's now.
    version = request.GET.get("version", "")
    return _apply_page(request, record, macro, version=int(version) if version.isdigit() else None)


@macros_required
@require_POST
def record_macro_apply(request, number):
    """Apply the macro with the (possibly edited) text, against the version the agent read: a stale
    page is 412, an illegal move 409, each with its message in the box; nothing is applied then."""
    record = _record_for_agent(request, number)
    try:
        macro = macro_get_for_user(user=request.user, pk=request.POST.get("macro"))
    except NotFound:
        raise Http404 from None
    body = request.POST.get("body")
    version = request.POST.get("version", "")
    version = int(version) if version.isdigit() else None
    try:
        macro_apply(macro=macro, record=record, actor=request.user, body=body, expected_version=version)
    except StaleWrite:
        error = _(
            "Someone changed this record since you opened it. Reload the page and apply the macro again."
        )
        return _apply_page(request, record, macro, body=body, error=error, status=412, version=version)
    except ValidationError as exc:
        error = " ".join(exc.messages)
        return _apply_page(request, record, macro, body=body, error=error, status=400, version=version)
    except ApplicationError as exc:
        error, status = str(exc.message), exc.status_code
        return _apply_page(request, record, macro, body=body, error=error, status=status, version=version)
    messages.success(request, _("The macro “%(name)s” was applied.") % {"name": macro.name})
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("record", args=[record.number])
        return response
    return redirect("record", record.number)
