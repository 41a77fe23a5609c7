"""The deployment on the release page: the waves as a progress board (`releases/_waves.html`), a wave to
add, a gate to pass, a failed wave to retry, a pending one to remove, and each wave's task list.

The record page includes the board with `deployment_context` merged into its own; the deployment has a
page of its own too (`release_deployments:page`), which each action draws again on a refusal: the form's
errors (400), a refusal (403), a state that does not allow it (409), or a wave that moved on (412).
Success goes back to the release's page. Only who sees every release sees its deployment.
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

from servicedesk.errors import ApplicationError, NotFound, StaleWrite
from servicedesk.form_errors import apply_service_errors
from servicedesk.kinds import parse_number

from . import workflow as wf
from .forms_deployments import WaveForm, WaveRemoveForm, WaveStartForm
from .models import DeploymentTask, Wave
from .permissions import ReleasePolicy
from .selectors import release_get_for_user
from .selectors_waves import wave_board, wave_get, wave_tasks
from .services.deployment import wave_retry, wave_start
from .services.waves import wave_create, wave_delete

TASKS_PER_PAGE = 50


def _release_for(request, number):
    parsed = parse_number(number)
    if parsed is None or parsed[0].code != "release":
        raise Http404
    try:
        release = release_get_for_user(user=request.user, number=parsed[1])
    except NotFound:
        raise Http404 from None
    if not ReleasePolicy.sees_all(request.user):
        raise Http404
    return release


def _wave_for(release, wave_id) -> Wave:
    try:
        return wave_get(release, wave_id)
    except NotFound:
        raise Http404 from None


def _mark_actions(waves: list[Wave], record, user) -> None:
    """What this person may do with each wave now (the services check again)."""
    can_run = ReleasePolicy.can_run_waves(user, record)
    can_plan = ReleasePolicy.can_plan_waves(user, record)
    before = None
    for wave in waves:
        pending = wave.status == Wave.Status.PENDING
        wave.pending_tasks = max(wave.total_tasks - wave.succeeded_tasks - wave.failed_tasks, 0)
        wave.can_start = (
            can_run
            and pending
            and record.status == wf.DEPLOYING
            and (before is None or before.status == Wave.Status.SUCCEEDED)
        )
        wave.can_retry = can_run and wave.status == Wave.Status.FAILED and record.status == wf.FAILED
        wave.can_remove = can_plan and pending
        before = wave


def deployment_context(request, record, **bound) -> dict:
    """What `releases/_waves.html` draws for this person on this release's page: `waves` (each with its
    counts, its first failed tasks and what the person may do with it), `wave_form` (to add one, for who
    may plan them), `wave_start_form`, and `deployment_error` / `wave_error_id` after a refusal. `bound`
    carries the forms of a refused post."""
    user = request.user
    if not ReleasePolicy.sees_all(user):
        return {}
    waves = wave_board(record)
    _mark_actions(waves, record, user)
    can_plan = ReleasePolicy.can_plan_waves(user, record)
    return {
        "waves": waves,
        "waves_can_plan": can_plan,
        "wave_form": bound.get("wave_form") or (WaveForm(release=record) if can_plan else None),
        "wave_start_form": bound.get("wave_start_form") or WaveStartForm(),
        "wave_error_id": bound.get("wave_error_id"),
        "deployment_error": bound.get("deployment_error", ""),
    }


@login_required
def deployment_page(request, number, *, status: int = 200, **bound):
    """The release's deployment on a page of its own: the board and its forms."""
    record = _release_for(request, number)
    return _page(request, record, status=status, **bound)


def _page(request, record, *, status: int = 200, **bound):
    context = {"record": record, **deployment_context(request, record, **bound)}
    return render(request, "releases/deployment.html", context, status=status)


def _back(record):
    return redirect(reverse("record", args=[record.number]) + "#deployment")


@login_required
@require_POST
def wave_add(request, number):
    """Plan a wave; 400 with the form's errors, 403 for who may not plan the waves now."""
    record = _release_for(request, number)
    form = WaveForm(request.POST, release=record)
    if not ReleasePolicy.can_plan_waves(request.user, record):
        return _page(
            request, record, status=403, deployment_error=_("You may not plan the waves of this release now.")
        )
    if not form.is_valid():
        return _page(request, record, status=400, wave_form=form)
    data = form.cleaned_data
    try:
        wave_create(
            release=record,
            actor=request.user,
            name=data["name"],
            cis=list(data.get("cis") or ()),
            environment=data.get("environment") or "",
            planned_start=data.get("planned_start"),
            planned_end=data.get("planned_end"),
            gate=data["gate"],
            artifact=data.get("artifact"),
        )
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return _page(request, record, status=400, wave_form=form)
    except ApplicationError as exc:
        return _page(
            request, record, status=exc.status_code, wave_form=form, deployment_error=str(exc.message)
        )
    messages.success(request, _("The wave was added."))
    return _back(record)


def _gate_action(request, number, wave_id, *, service, done: str):
    record = _release_for(request, number)
    wave = _wave_for(record, wave_id)
    form = WaveStartForm(request.POST)
    if not form.is_valid():
        return _page(request, record, status=400, wave_start_form=form, wave_error_id=wave.pk)
    try:
        service(wave=wave, actor=request.user, override_reason=form.cleaned_data.get("override_reason") or "")
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return _page(request, record, status=400, wave_start_form=form, wave_error_id=wave.pk)
    except ApplicationError as exc:
        record = _release_for(request, number)
        return _page(
            request, record, status=exc.status_code, wave_start_form=form, wave_error_id=wave.pk,
            deployment_error=str(exc.message),
        )  # fmt: skip
    messages.success(request, done % {"name": wave.name})
    return _back(record)


@login_required
@require_POST
def wave_start_submit(request, number, wave_id):
    """Pass a wave's manual gate: 403 for who is not a release manager, 409 when the wave before has not
    succeeded or its window conflicts without a reason."""
    return _gate_action(request, number, wave_id, service=wave_start, done=_("Wave “%(name)s” started."))


@login_required
@require_POST
def wave_retry_submit(request, number, wave_id):
    """Retry a failed wave: 403 for who is not a release manager, 409 unless it and the release failed."""
    return _gate_action(request, number, wave_id, service=wave_retry, done=_("Wave “%(name)s” runs again."))


@login_required
@require_POST
def wave_remove(request, number, wave_id):
    """Remove a pending wave at the revision the page showed: 412 when it changed meanwhile."""
    record = _release_for(request, number)
    wave = _wave_for(record, wave_id)
    form = WaveRemoveForm(request.POST)
    if not form.is_valid():
        return _page(request, record, status=400, deployment_error=_("Reload the page and try again."))
    try:
        wave_delete(wave=wave, actor=request.user, expected_version=form.cleaned_data["revision"])
    except StaleWrite:
        return _page(
            request, record, status=412, wave_error_id=wave.pk,
            deployment_error=_("Someone changed this wave meanwhile: check it as it is now, then try again."),
        )  # fmt: skip
    except ApplicationError as exc:
        return _page(
            request, record, status=exc.status_code, wave_error_id=wave.pk, deployment_error=str(exc.message)
        )
    messages.success(request, _("Wave “%(name)s” was removed.") % {"name": wave.name})
    return _back(record)


@login_required
def wave_tasks_page(request, number, wave_id):
    """A wave's tasks, a page at a time, of one status when asked."""
    record = _release_for(request, number)
    wave = _wave_for(record, wave_id)
    status = request.GET.get("status", "")
    if status not in ("", *DeploymentTask.Status.values):
        status = ""
    page = Paginator(wave_tasks(wave, status=status), TASKS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "releases/wave_tasks.html",
        {
            "record": record,
            "wave": wave,
            "page": page,
            "status": status,
            "statuses": DeploymentTask.Status.choices,
        },
    )
