"""The definitive software library on the release page: the artifacts panel, upload, download, verify.

The panel has no page of its own to draw a refused form again: an action that is refused (a field
error, the library frozen) says why through `django.contrib.messages` and goes back to the release's
page with 303 (docs/decisions.md); what a user may not see is 404, what they may not do 403.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from servicedesk.errors import Conflict, NotFound, PermissionDenied
from servicedesk.form_once import FIELD as FORM_TOKEN_FIELD
from servicedesk.form_once import form_token, submit_once
from servicedesk.inputs import form_null_check, reads_own_uploads
from servicedesk.kinds import parse_number

from .forms_artifacts import ArtifactUploadForm
from .models import Artifact
from .permissions import ReleasePolicy
from .selectors import release_get_for_user
from .services.artifacts import (
    artifact_register_uri,
    artifact_remove,
    artifact_upload,
    artifacts_verify,
    manifest_parse,
)
from .uploads import DSLUploadHandler


def artifacts_context(request, record) -> dict:
    """What `releases/_artifacts.html` draws for this person on this release's page."""
    user = request.user
    may_add = ReleasePolicy.can_add_artifact(user, record)
    artifacts = list(record.artifacts.select_related("uploaded_by").order_by("role", "name", "id"))
    return {
        "artifacts": artifacts,
        "artifacts_frozen": record.artifacts_frozen,
        "artifacts_may_add": may_add,
        "artifacts_may_download": ReleasePolicy.can_download(user, record),
        "artifacts_may_verify": ReleasePolicy.can_verify(user, record),
        "artifacts_problems": sum(
            1 for a in artifacts if a.check_result in (Artifact.Check.DRIFT, Artifact.Check.MISSING)
        ),
        "artifacts_max_bytes": settings.ITSM_DSL_MAX_BYTES,
        "artifact_form": ArtifactUploadForm() if may_add else None,
        "artifact_form_token": form_token() if may_add else "",
    }


def _release(request, number):
    parsed = parse_number(number)
    if parsed is None or parsed[0].code != "release":
        raise Http404()
    try:
        return release_get_for_user(user=request.user, number=parsed[1])
    except NotFound:
        raise Http404() from None


def _back(record) -> HttpResponseRedirect:
    response = HttpResponseRedirect(reverse("record", args=[record.number]) + "#artifacts")
    response.status_code = 303
    return response


def _refused(request, record, error) -> HttpResponseRedirect:
    """Say why through messages (each field's errors, led by its name) and go back to the page."""
    if isinstance(error, Conflict):
        messages.error(request, str(error.message))
    elif hasattr(error, "error_dict") or isinstance(error, dict):
        errors = error.message_dict if hasattr(error, "error_dict") else error
        labels = {name: field.label for name, field in ArtifactUploadForm.base_fields.items()}
        for field, texts in errors.items():
            label = labels.get(field)
            for text in texts:
                messages.error(request, f"{label}: {text}" if label else str(text))
    else:
        for text in error.messages:
            messages.error(request, text)
    return _back(record)


@require_POST
@login_required
@reads_own_uploads
@csrf_exempt
def artifact_upload_view(request, number):
    """Receive the file through `DSLUploadHandler` (set before anything reads the body, hence the CSRF
    check done after it, in `_upload`, as Django documents for changing upload handlers)."""
    record = _release(request, number)
    handler = DSLUploadHandler(request)
    request.upload_handlers = [handler]
    return _upload(request, record, handler)


@csrf_protect
def _upload(request, record, handler):
    try:
        handler.check()
    except ValidationError as error:
        return _refused(request, record, error)
    form_null_check(request)
    form = ArtifactUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _refused(request, record, form.errors)
    data = form.cleaned_data

    def create() -> str:
        common = {
            "release": record,
            "actor": request.user,
            "name": data["name"],
            "artifact_version": data["artifact_version"],
            "role": data["role"],
            "media_type": data["media_type"],
            "manifest": manifest_parse(data["manifest"]),
        }
        if data["file"]:
            artifact_upload(upload=data["file"], declared_sha256=data["sha256"], **common)
        else:
            artifact_register_uri(uri=data["uri"], sha256=data["sha256"], **common)
        return _back(record).url

    try:
        _location, repeated = submit_once(request, request.POST.get(FORM_TOKEN_FIELD, ""), create)
    except (ValidationError, Conflict) as error:
        return _refused(request, record, error)
    if not repeated:
        messages.success(request, _("The artifact is in the release's library."))
    return _back(record)


@require_GET
@login_required
@cache_control(private=True, no_store=True)
def artifact_download_view(request, number, pk):
    """The file as a download, for who may (`ReleasePolicy.can_download`): never rendered inline."""
    record = _release(request, number)
    if not ReleasePolicy.can_download(request.user, record):
        raise PermissionDenied(_("The artifacts are for those who work releases."))
    artifact = record.artifacts.filter(pk=pk).first()
    if artifact is None or not artifact.is_stored:
        raise Http404()
    try:
        handle = artifact.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The file is missing from the library.")) from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=artifact.name,
        content_type=artifact.media_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_POST
@login_required
def artifact_remove_view(request, number, pk):
    record = _release(request, number)
    artifact = record.artifacts.filter(pk=pk).select_related("release").first()
    if artifact is None:
        raise Http404()
    try:
        artifact_remove(artifact=artifact, actor=request.user)
    except (ValidationError, Conflict) as error:
        return _refused(request, record, error)
    messages.success(request, _("%(artifact)s is out of the library.") % {"artifact": artifact})
    return _back(record)


@require_POST
@login_required
def artifacts_verify_view(request, number):
    record = _release(request, number)
    results = artifacts_verify(release=record, actor=request.user)
    drift = [r for r in results if r["check_result"] == Artifact.Check.DRIFT]
    missing = [r for r in results if r["check_result"] == Artifact.Check.MISSING]
    if drift or missing:
        messages.warning(
            request,
            _("Verified: %(drift)d differ from their recorded checksum, %(missing)d are missing.")
            % {"drift": len(drift), "missing": len(missing)},
        )
    else:
        messages.success(request, _("Verified: every stored artifact matches its checksum."))
    return _back(record)
