"""The definitive software library (DSL, issue 17 item 3): a release's artifacts, stored here or named by
a URI with its checksum, immutable from the go/no-go on, and verified against what was recorded.

Every write locks the release row (`record_lock`) before looking at its status, so a go/no-go asked at
the same moment either sees the artifact or refuses it: nothing slips between the check and the write.
A stored file is never read twice on the way in: its checksum and size come from the upload handler
(`releases.uploads.DSLUploadHandler`) and the temporary file is moved, not copied, into the DSL.
"""

import hashlib
import json
import re

import filetype
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.attachments import clean_file_name
from servicedesk.errors import Conflict, PermissionDenied
from servicedesk.inputs import has_null_character, json_too_deep
from servicedesk.models import TimelineEntry, User
from servicedesk.records.services import record_lock, record_save
from servicedesk.services import audit_record
from servicedesk.services.timeline import timeline_add

from ..models import Artifact, Release
from ..permissions import ReleasePolicy
from .events import release_publish

CHUNK_BYTES = 1024 * 1024
SNIFF_BYTES = 8192
MEDIA_TYPE = re.compile(r"^[A-Za-z0-9][\w.+-]*/[A-Za-z0-9][\w.+-]*$")
MANIFEST_KEYS = ("version", "attributes")
MANIFEST_VERSION_MAX = 100  # the CMDB's CI version


# Inputs.


def manifest_clean(value) -> dict:
    """What a successful deployment writes on its CIs: a JSON object with an optional `version` (text) and
    optional `attributes` (an object). Raises ValidationError on `manifest` for anything else."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise ValidationError({"manifest": _("The manifest must be a JSON object.")})
    unknown = sorted(str(key) for key in value if key not in MANIFEST_KEYS)
    if unknown:
        raise ValidationError(
            {
                "manifest": _("The manifest holds only “version” and “attributes”, not: %(keys)s.")
                % {"keys": ", ".join(unknown)}
            }
        )
    if has_null_character(value) or json_too_deep(value):
        raise ValidationError({"manifest": _("The manifest holds characters or nesting not accepted.")})
    version = value.get("version")
    if version is not None and (not isinstance(version, str) or not version.strip()):
        raise ValidationError({"manifest": _("The manifest's “version” must be non-empty text.")})
    if version is not None and len(version) > MANIFEST_VERSION_MAX:
        raise ValidationError(
            {
                "manifest": _("The manifest's “version” is at most %(n)d characters.")
                % {"n": MANIFEST_VERSION_MAX}
            }
        )
    attributes = value.get("attributes")
    if attributes is not None and not isinstance(attributes, dict):
        raise ValidationError({"manifest": _("The manifest's “attributes” must be a JSON object.")})
    cleaned = {}
    if version is not None:
        cleaned["version"] = version.strip()
    if attributes is not None:
        cleaned["attributes"] = attributes
    return cleaned


def manifest_parse(text: str) -> dict:
    """A manifest sent as JSON text (a form field, a multipart part), cleaned by `manifest_clean`."""
    if not (text or "").strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        raise ValidationError({"manifest": _("The manifest is not valid JSON.")}) from None
    return manifest_clean(value)


def _normalised_sha256(value: str) -> str:
    """Lower case, without blanks or a `sha256:` prefix (the model's validator then checks the digits)."""
    value = (value or "").strip().lower()
    return value.removeprefix("sha256:")


def _sha256(value: str, field: str = "sha256") -> str:
    value = _normalised_sha256(value)
    if not re.fullmatch(r"[0-9a-f]{64}", value):
        raise ValidationError({field: _("A SHA-256 checksum is 64 hex digits.")})
    return value


def _media_type(value: str) -> str:
    value = (value or "").strip().lower()
    if value and (len(value) > 100 or not MEDIA_TYPE.match(value)):
        raise ValidationError({"media_type": _("Give a media type such as application/zip.")})
    return value


def file_sha256(handle) -> tuple[str, int]:
    """The SHA-256 (hex) and size of an open binary file, read in chunks from its start."""
    digest = hashlib.sha256()
    size = 0
    for chunk in iter(lambda: handle.read(CHUNK_BYTES), b""):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _sniff(upload) -> str:
    upload.seek(0)
    kind = filetype.guess(upload.read(SNIFF_BYTES))
    upload.seek(0)
    return kind.mime if kind is not None else ""


# Guards.


def _lock_for_change(release: Release, actor) -> Release:
    """The release locked; PermissionDenied for who may not change its library, Conflict
    `artifacts_frozen` once it is at its go/no-go or later (checked on the locked row)."""
    release = record_lock(release)
    if not ReleasePolicy.can_add_artifact(actor, release):
        if release.artifacts_frozen and ReleasePolicy.is_agent(actor):
            raise Conflict(
                _(
                    "The definitive software library of %(number)s is frozen since its go/no-go: what "
                    "goes out is what was tested. A new version belongs in a new release."
                )
                % {"number": release.number},
                code="artifacts_frozen",
            )
        raise PermissionDenied(_("You may not change this release's artifacts."))
    return release


def _new_artifact(release: Release, actor, *, name, artifact_version, role, sha256, **fields) -> Artifact:
    name = (name or "").strip()
    artifact_version = (artifact_version or "").strip()
    artifact = Artifact(
        release=release,
        name=name,
        artifact_version=artifact_version,
        role=role or Artifact.Role.PACKAGE,
        sha256=sha256,
        uploaded_by=actor,
        **fields,
    )
    artifact.clean_fields(exclude=["release", "uploaded_by", "file", "key"])
    if Artifact.objects.filter(release=release, name=name, artifact_version=artifact_version).exists():
        raise ValidationError(
            {
                "artifact_version": _(
                    "%(name)s %(version)s is already in this release's library: give a new version."
                )
                % {"name": name, "version": artifact_version}
            }
        )
    return artifact


def _record_added(release: Release, artifact: Artifact, actor) -> None:
    record_save(release, [])  # the release's checklist and library changed: move its ETag on
    data = {
        "event": "artifact_added",
        "artifact": artifact.pk,
        "name": artifact.name,
        "artifact_version": artifact.artifact_version,
        "role": artifact.role,
        "sha256": artifact.sha256,
        "size": artifact.size,
        "stored": artifact.is_stored,
    }
    entry = timeline_add(
        record=release, kind=TimelineEntry.Kind.SYSTEM, author=actor, is_public=False, data=data
    )
    audit_record(actor=actor, action="release.artifact_added", target=release, data=data)
    release_publish(record=release, event="artifact_added", actor=actor, data=data, entry=entry)


# Writes.


@transaction.atomic
def artifact_upload(
    *,
    release: Release,
    actor: User,
    upload,
    name: str,
    artifact_version: str,
    role: str,
    declared_sha256: str = "",
    media_type: str = "",
    manifest: dict | None = None,
) -> Artifact:
    """Keep an uploaded file in the release's library. Its checksum and size are those the upload handler
    computed while writing it (computed here, streamed, for a file that did not come through it); a
    declared checksum that differs refuses it, and then nothing is kept (no row, no file). The media type
    is the one given, or sniffed from the file's first bytes.

    Raises PermissionDenied, Conflict `artifacts_frozen` (409) from the go/no-go on, and ValidationError
    (`file`, `sha256`, `name`, `artifact_version`, `role`, `media_type`, `manifest`).
    """
    release = _lock_for_change(release, actor)
    if upload is None:
        raise ValidationError({"file": _("Choose the file to upload.")})
    sha256 = getattr(upload, "sha256", None)
    size = upload.size
    if sha256 is None:
        upload.seek(0)
        sha256, size = file_sha256(upload)
        upload.seek(0)
    if not size:
        raise ValidationError({"file": _("The file is empty.")})
    if declared_sha256 and _sha256(declared_sha256) != sha256:
        raise ValidationError(
            {
                "sha256": ValidationError(
                    _(
                        "The file received has SHA-256 %(found)s, not the %(declared)s declared: it was "
                        "not kept."
                    )
                    % {"found": sha256, "declared": _sha256(declared_sha256)},
                    code="checksum_mismatch",
                )
            }
        )
    artifact = _new_artifact(
        release,
        actor,
        name=name or clean_file_name(upload.name)[:200],
        artifact_version=artifact_version,
        role=role,
        sha256=sha256,
        size=size,
        media_type=_media_type(media_type) or _sniff(upload) or "application/octet-stream",
        manifest=manifest_clean(manifest),
    )
    # A file with a temporary path (the handler's) is moved into place, not copied.
    artifact.file.save(artifact.name, upload, save=False)
    if hasattr(upload, "temporary_file_path"):
        upload.close()  # its temporary file is gone (moved): release the handle quietly
    try:
        artifact.save()
    except IntegrityError:
        artifact.file.storage.delete(artifact.file.name)
        raise
    _record_added(release, artifact, actor)
    return artifact


@transaction.atomic
def artifact_register_uri(
    *,
    release: Release,
    actor: User,
    uri: str,
    sha256: str,
    name: str,
    artifact_version: str,
    role: str,
    size: int | None = None,
    media_type: str = "",
    manifest: dict | None = None,
) -> Artifact:
    """Name an artifact kept elsewhere (a registry, a package repository) by its URI and the checksum its
    publisher gives; it cannot be verified here (`external`). Raises as `artifact_upload` does."""
    release = _lock_for_change(release, actor)
    artifact = _new_artifact(
        release,
        actor,
        name=name,
        artifact_version=artifact_version,
        role=role,
        sha256=_normalised_sha256(sha256),
        uri=(uri or "").strip(),
        size=size,
        media_type=_media_type(media_type),
        manifest=manifest_clean(manifest),
    )
    if not artifact.uri:
        raise ValidationError({"uri": _("Give the artifact's URI.")})
    artifact.save()
    _record_added(release, artifact, actor)
    return artifact


@transaction.atomic
def artifact_remove(*, artifact: Artifact, actor: User) -> None:
    """Take an artifact out of its release's library before the go/no-go; its file is deleted once the
    removal is committed. Raises PermissionDenied, Conflict `artifacts_frozen`, and Conflict
    `artifact_in_use` while a planned deployment task deploys it."""
    release = _lock_for_change(artifact.release, actor)
    artifact = Artifact.objects.select_for_update().filter(pk=artifact.pk, release=release).first()
    if artifact is None:
        return
    if artifact.tasks.exists():
        raise Conflict(
            _("%(artifact)s is what a planned wave deploys: change the wave first.") % {"artifact": artifact},
            code="artifact_in_use",
        )
    data = {
        "event": "artifact_removed",
        "artifact": artifact.pk,
        "name": artifact.name,
        "artifact_version": artifact.artifact_version,
        "sha256": artifact.sha256,
    }
    stored = artifact.file.name if artifact.is_stored else ""
    storage = artifact.file.storage
    artifact.delete()
    if stored:
        transaction.on_commit(lambda: storage.delete(stored))
    record_save(release, [])
    entry = timeline_add(
        record=release, kind=TimelineEntry.Kind.SYSTEM, author=actor, is_public=False, data=data
    )
    audit_record(actor=actor, action="release.artifact_removed", target=release, data=data)
    release_publish(record=release, event="artifact_removed", actor=actor, data=data, entry=entry)


def _check(artifact: Artifact) -> str:
    """Recompute one artifact's checksum from its stored file (streamed); sets what was found."""
    if not artifact.is_stored:
        artifact.found_sha256 = ""
        return Artifact.Check.EXTERNAL
    try:
        with artifact.file.storage.open(artifact.file.name, "rb") as handle:
            found, _size = file_sha256(handle)
    except FileNotFoundError:
        artifact.found_sha256 = ""
        return Artifact.Check.MISSING
    artifact.found_sha256 = found
    return Artifact.Check.OK if found == artifact.sha256 else Artifact.Check.DRIFT


def artifacts_verify(*, release: Release, actor: User) -> list[dict]:
    """Recompute the checksum of every stored file of the release's library and record what was found
    (`ok`, `drift`, `missing`; `external` for a URI). Drift is reported, never repaired: the recorded
    checksum stays what was tested. Returns one dict per artifact (`id`, `name`, `artifact_version`,
    `check_result`, `sha256`, `found_sha256`). Raises PermissionDenied."""
    if not ReleasePolicy.can_verify(actor, release):
        raise PermissionDenied(_("You may not verify this release's artifacts."))
    artifacts = list(release.artifacts.order_by("pk"))
    now = timezone.now()
    # Read the files outside the transaction: a large library must not hold row locks while it is hashed.
    for artifact in artifacts:
        artifact.check_result = _check(artifact)
        artifact.verified_at = now
    counts = {value: 0 for value in Artifact.Check.values if value}
    for artifact in artifacts:
        counts[artifact.check_result] += 1
    drifted = [f"{a.name} {a.artifact_version}" for a in artifacts if a.check_result == Artifact.Check.DRIFT]
    missing = [
        f"{a.name} {a.artifact_version}" for a in artifacts if a.check_result == Artifact.Check.MISSING
    ]
    data = {
        "event": "artifacts_verified",
        "checked": len(artifacts),
        **counts,
        "drifted": drifted,
        "missing_files": missing,
    }
    with transaction.atomic():
        Artifact.objects.bulk_update(artifacts, ["check_result", "found_sha256", "verified_at"])
        entry = timeline_add(
            record=release, kind=TimelineEntry.Kind.SYSTEM, author=actor, is_public=False, data=data
        )
        audit_record(actor=actor, action="release.artifacts_verified", target=release, data=data)
        release_publish(record=release, event="artifacts_verified", actor=actor, data=data, entry=entry)
    return [
        {
            "id": a.pk,
            "name": a.name,
            "artifact_version": a.artifact_version,
            "check_result": a.check_result,
            "sha256": a.sha256,
            "found_sha256": a.found_sha256,
        }
        for a in artifacts
    ]
