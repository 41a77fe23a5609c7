"""Fulfilment tasks in the workspace: the task list ("My tasks") and marking a task done or reopening it.

The same forms sit on the request's page; both post here and come back to where they were sent from.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from servicedesk.errors import ApplicationError
from servicedesk.redirects import safe_next

from .selectors_fulfilment import TASK_TABS, fulfilment_task_get_for_user, fulfilment_task_list_for_user
from .services.fulfilment import fulfilment_task_complete, fulfilment_task_reopen

PAGE_SIZE = 100
TAB_LABELS = {"mine": gettext_lazy("My groups"), "all": gettext_lazy("All groups")}


class TaskForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    note = forms.CharField(required=False, max_length=2000)
    reason = forms.CharField(required=False, max_length=2000)


def _require_agent(user) -> None:
    if not user.is_agent:
        raise Http404


@login_required
def task_list(request):
    """The ready tasks of the person's groups (or of all groups), the longest waiting first."""
    _require_agent(request.user)
    tab = request.GET.get("tab", "mine")
    if tab not in TASK_TABS:
        tab = "mine"
    tasks = list(fulfilment_task_list_for_user(user=request.user, tab=tab)[:PAGE_SIZE])
    return render(
        request,
        "incidents/workspace/tasks.html",
        {
            "tasks": tasks,
            "tab": tab,
            "tabs": [(key, TAB_LABELS[key]) for key in TASK_TABS],
            "limit": PAGE_SIZE,
        },
    )


def _act(request, pk, action: str):
    _require_agent(request.user)
    try:
        task = fulfilment_task_get_for_user(user=request.user, pk=pk)
    except ApplicationError:
        raise Http404 from None
    back = safe_next(request, reverse("record", args=[task.record.number]))
    form = TaskForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The form could not be read. Reload the page and try again."))
        return redirect(back)
    data = form.cleaned_data
    try:
        if action == "complete":
            fulfilment_task_complete(
                task=task, actor=request.user, expected_version=data["version"], note=data["note"]
            )
            message = _("“%(task)s” is done.")
        else:
            fulfilment_task_reopen(
                task=task, actor=request.user, expected_version=data["version"], reason=data["reason"]
            )
            message = _("“%(task)s” is reopened.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except ApplicationError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, message % {"task": task.name})
    return redirect(back)


@login_required
@require_POST
def task_complete(request, pk):
    return _act(request, pk, "complete")


@login_required
@require_POST
def task_reopen(request, pk):
    return _act(request, pk, "reopen")
