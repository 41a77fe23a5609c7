"""The approval pages: "My approvals", the decision page (decide, delegate, cancel), and the signed link
from the e-mails.

The link only identifies the request and the person it was sent to: it leads, after signing in, to the
decision page, where the person decides with a POST (CSRF-protected). Nothing is decided by a GET.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicedesk.errors import Conflict, NotFound
from servicedesk.form_errors import apply_service_errors
from servicedesk.kinds import kind_of

from .forms import CancelForm, DecisionForm, DelegateForm
from .links import LinkInvalid, approval_link_read
from .selectors import (
    Standing,
    approval_get_for_user,
    approvals_pending_for_user,
    may_cancel_approvals,
    may_delegate,
    vote_for,
    with_records,
)
from .services import approval_cancel, approval_decide, approval_request_delegate

PAGE_SIZE = 25


@login_required
def approval_list(request):
    """The pending requests the signed-in person may decide, oldest first."""
    standing = Standing.of(request.user)
    page = Paginator(approvals_pending_for_user(user=request.user, standing=standing), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    page.object_list = with_records(page.object_list)
    return render(request, "servicedesk/approvals/list.html", {"page": page})


def _record_link(user, record) -> str:
    """The record's page when `user` may see it, else nothing (an approver need not see the record)."""
    if record is None:
        return ""
    try:
        kind = kind_of(record)
        kind.get_for_user(user=user, number=record.number)
    except (LookupError, NotFound):
        return ""
    return reverse(kind.url_name, args=[record.number])


def _detail(request, approval, *, form=None, delegate_form=None, cancel_form=None, status=200):
    """The decision page, with the forms its reader may use (each bound when it was the one posted)."""
    user = request.user
    return render(
        request,
        "servicedesk/approvals/detail.html",
        {
            "approval": approval,
            "vote": vote_for(approval, Standing.of(user)),
            "form": form or DecisionForm(),
            "delegate_form": (delegate_form or DelegateForm()) if may_delegate(approval, user) else None,
            "cancel_form": (cancel_form or CancelForm())
            if approval.is_pending and may_cancel_approvals(user)
            else None,
            "record_url": _record_link(user, approval.record),
        },
        status=status,
    )


def _write(request, approval, form, form_name, write, done: str):
    """Run `write()` for a valid `form`; on success or conflict back to the page, else the page again
    with the form's errors (400)."""
    if form.is_valid():
        try:
            write(form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except Conflict as exc:
            messages.error(request, str(exc.message))
            return redirect("approval_detail", pk=approval.pk)
        else:
            messages.success(request, done)
            return redirect("approval_detail", pk=approval.pk)
    return _detail(request, approval, **{form_name: form}, status=400)


@login_required
def approval_detail(request, pk):
    """The request, its voters and decisions so far, and the approve/reject form for who may decide."""
    approval = approval_get_for_user(user=request.user, pk=pk)
    if request.method != "POST":
        return _detail(request, approval)
    return _write(
        request,
        approval,
        DecisionForm(request.POST),
        "form",
        lambda data: approval_decide(
            approval=approval, actor=request.user, decision=data["decision"], comment=data["comment"]
        ),
        _("Your decision was recorded."),
    )


@login_required
@require_POST
def approval_delegate(request, pk):
    """An approver hands their pending decision to someone else."""
    approval = approval_get_for_user(user=request.user, pk=pk)
    return _write(
        request,
        approval,
        DelegateForm(request.POST),
        "delegate_form",
        lambda data: approval_request_delegate(
            approval=approval, actor=request.user, delegate=data["delegate"], comment=data["comment"]
        ),
        _("Your decision was delegated."),
    )


@login_required
@require_POST
def approval_cancel_view(request, pk):
    """Someone allowed to cancel approvals withdraws a pending request."""
    approval = approval_get_for_user(user=request.user, pk=pk)
    return _write(
        request,
        approval,
        CancelForm(request.POST),
        "cancel_form",
        lambda data: approval_cancel(approval=approval, actor=request.user, reason=data["reason"]),
        _("The approval was withdrawn."),
    )


@login_required
def approval_link(request, token):
    """Follow an e-mail's link: the decision page of its request, for the person it was sent to only."""
    try:
        approval_id, user_id = approval_link_read(token)
    except LinkInvalid:
        return render(request, "servicedesk/approvals/link_invalid.html", status=400)
    if user_id != request.user.pk:
        raise Http404()
    approval_get_for_user(user=request.user, pk=approval_id)
    return redirect("approval_detail", pk=approval_id)
