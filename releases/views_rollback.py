"""Rolling back on the release page: of a wave, several, or the whole release.

The card (`releases/_rollback.html`) shows who may roll back the form (in the statuses that roll back),
and everyone who sees the page how far and why it was rolled back. The form posts to `rollback_submit`,
which calls the service and goes back to the page; a refusal draws the page again with the form's errors
(400), the refusal (403), the state that forbids it (409) or the release as it is now (412).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from servicedesk.errors import ApplicationError, NotFound, StaleWrite
from servicedesk.form_errors import apply_service_errors

from . import workflow as wf
from .forms_rollback import RollbackForm
from .permissions import ReleasePolicy
from .selectors import release_get_for_user
from .services.rollback import release_rollback


def rollback_may(user, record) -> bool:
    return record.status in wf.ROLLBACK_STATUSES and ReleasePolicy.can_run_waves(user, record)


def rollback_context(request, record) -> dict:
    """What `releases/_rollback.html` draws for this person on this release's page: `rollback_may` (the
    form is for them), `rollback_form`, and the past rollback (`rollback_extent`, `rollback_reason`)."""
    may = rollback_may(request.user, record)
    return {
        "rollback_may": may,
        "rollback_form": RollbackForm(record=record) if may else None,
        "rollback_extent": record.get_rollback_extent_display() if record.rollback_extent else "",
        "rollback_reason": record.rollback_reason,
        "rollback_error": "",
    }


def _release_for(request, number: str):
    try:
        return release_get_for_user(user=request.user, number=number)
    except NotFound:
        raise Http404 from None


def _page(request, record, *, status: int, **extra):
    from .views_record import release_page

    return release_page(request, record, status=status, **extra)


@login_required
@require_POST
def rollback_submit(request, number):
    """Roll back the chosen waves at the version the page showed."""
    record = _release_for(request, number)
    if not rollback_may(request.user, record):
        if not ReleasePolicy.can_run_waves(request.user, record):
            return _page(request, record, status=403, rollback_error=_("You may not roll this release back."))
        return _page(request, record, status=409, rollback_error=_("This release cannot be rolled back now."))
    form = RollbackForm(request.POST, record=record)
    if not form.is_valid():
        return _page(request, record, status=400, rollback_form=form)
    data = form.cleaned_data
    try:
        release_rollback(
            release=record,
            actor=request.user,
            reason=data["reason"],
            waves=[wave.pk for wave in data["waves"]],
            expected_version=data["version"],
        )
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return _page(request, record, status=400, rollback_form=form)
    except StaleWrite:
        return _page(
            request,
            _release_for(request, number),
            status=412,
            rollback_error=_(
                "Someone changed this release meanwhile: check it as it is now, then try again."
            ),
        )
    except ApplicationError as exc:
        return _page(
            request, _release_for(request, number), status=exc.status_code, rollback_error=str(exc.message)
        )
    messages.success(request, _("The release was rolled back."))
    return redirect("record", record.number)
