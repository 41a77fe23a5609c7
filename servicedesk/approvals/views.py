"""The approval pages: "My approvals", the decision page, and the signed link from the e-mails.

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

from servicedesk.errors import Conflict, NotFound
from servicedesk.form_errors import apply_service_errors
from servicedesk.kinds import kind_of

from .forms import DecisionForm
from .links import LinkInvalid, approval_link_read
from .selectors import Standing, approval_get_for_user, approvals_pending_for_user, vote_for, with_records
from .services import approval_decide

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


@login_required
def approval_detail(request, pk):
    """The request, its voters and decisions so far, and the approve/reject form for who may decide."""
    approval = approval_get_for_user(user=request.user, pk=pk)
    form = DecisionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                approval_decide(
                    approval=approval,
                    actor=request.user,
                    decision=form.cleaned_data["decision"],
                    comment=form.cleaned_data["comment"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            except Conflict as exc:
                messages.error(request, str(exc.message))
                return redirect("approval_detail", pk=approval.pk)
            else:
                messages.success(request, _("Your decision was recorded."))
                return redirect("approval_detail", pk=approval.pk)
        status = 400
    return render(
        request,
        "servicedesk/approvals/detail.html",
        {
            "approval": approval,
            "vote": vote_for(approval, Standing.of(request.user)),
            "form": form,
            "record_url": _record_link(request.user, approval.record),
        },
        status=status,
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
