"""Reconciliation imports: rows matched to CIs by identifier, created or updated, each row all or nothing.

Matching order for a row (documented in the README): `external_id`, `serial_number`, `asset_tag`,
`hostname` (case-insensitive); the first identifier the row carries that matches a CI decides, and
identifiers that match different CIs reject the row. A row without identifiers matches a CI of the same
class and name when exactly one exists. Attributes merge into the CI's (keys present in the row win), so
discovery tools may send partial attributes. Importing the same rows twice changes nothing the second time.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cmdb.models import CIClass, ConfigurationItem, ImportJob, ImportRow, RelationshipType
from cmdb.models.items import IDENTIFIER_FIELDS
from cmdb.permissions import CMDBPolicy
from servicedesk.errors import ApplicationError
from servicedesk.inputs import has_null_character
from servicedesk.models import SupportGroup, User
from servicedesk.services.audit import audit_record

from .common import authorise
from .items import ci_create, ci_transition, ci_update
from .relationships import _duplicates, relationship_create

logger = logging.getLogger(__name__)
# An import still queued this long after it was created lost its task (a broker outage): resume it.
RESUME_AFTER = timedelta(minutes=2)

MATCH_ORDER = ("external_id", "serial_number", "asset_tag", "hostname")
PLAIN_FIELDS = ("name", "environment", "version", "description", *IDENTIFIER_FIELDS)
BATCH = 200


class RowRejected(Exception):
    def __init__(self, errors: dict):
        self.errors = errors
        super().__init__(str(errors))


def _inline_limit() -> int:
    return getattr(settings, "ITSM_CMDB_IMPORT_INLINE_ROWS", 1000)


@transaction.atomic
def import_start(
    *, actor, kind: str, rows, source: str = ImportJob.Source.API, filename: str = ""
) -> ImportJob:
    """Record an import and its rows; small imports run at once, large ones on a worker.

    Raises PermissionDenied, or ValidationError when `kind` is unknown or `rows` is not a list of objects.
    """
    authorise(actor, CMDBPolicy.can_import)
    if kind not in ImportJob.Kind.values:
        raise ValidationError({"kind": [_("Must be “cis” or “relationships”.")]})
    if not isinstance(rows, list) or not rows or not all(isinstance(row, dict) for row in rows):
        raise ValidationError({"rows": [_("Send a non-empty list of objects, one per row.")]})
    if has_null_character(rows):
        raise ValidationError({"rows": [_("Null characters are not allowed.")]})
    job = ImportJob.objects.create(
        kind=kind, source=source, filename=filename[:255], created_by=actor, total=len(rows)
    )
    ImportRow.objects.bulk_create(
        (ImportRow(job=job, number=number, data=row) for number, row in enumerate(rows, start=1)),
        batch_size=2000,
    )
    audit_record(
        actor=actor, action="cmdb.import_started", target=job, data={"kind": kind, "rows": len(rows)}
    )
    if len(rows) <= _inline_limit():
        import_process(job_id=job.pk)
        job.refresh_from_db()
    else:
        transaction.on_commit(lambda: _queue(job.pk))
    return job


def _queue(job_id: int) -> None:
    from cmdb.tasks import import_process_task

    try:
        import_process_task.delay(job_id)
    except Exception:  # a broker outage must not fail the request that already committed the import
        logger.warning("import %s: could not queue it; the resume sweep will run it", job_id, exc_info=True)


def imports_resume(*, now=None) -> int:
    """Run the imports still queued `RESUME_AFTER` after they were created (their task was never queued,
    or was lost); returns how many. Rows are claimed with SKIP LOCKED, so a task that runs at the same
    time shares the work instead of doubling it."""
    cutoff = (now or timezone.now()) - RESUME_AFTER
    ids = list(
        ImportJob.objects.filter(status=ImportJob.Status.QUEUED, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)
    )
    for job_id in ids:
        import_process(job_id=job_id)
    return len(ids)


def import_process(*, job_id: int) -> ImportJob | None:
    """Work through the rows still to do, a batch per transaction; safe to run again after a crash."""
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or job.status in (ImportJob.Status.FINISHED, ImportJob.Status.FAILED):
        return job
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, started_at=timezone.now())
    while _process_batch(job):
        pass
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FINISHED, finished_at=timezone.now())
    job.refresh_from_db()
    audit_record(
        actor=job.created_by,
        action="cmdb.import_finished",
        target=job,
        data={name: getattr(job, name) for name in ("created", "updated", "unchanged", "rejected")},
    )
    return job


def _process_batch(job: ImportJob) -> bool:
    with transaction.atomic():
        rows = list(
            ImportRow.objects.filter(job=job, outcome="")
            .order_by("number")
            .select_for_update(skip_locked=True)[:BATCH]
        )
        if not rows:
            return False
        counts = dict.fromkeys(ImportRow.Outcome.values, 0)
        apply = _apply_ci_row if job.kind == ImportJob.Kind.CIS else _apply_relationship_row
        for row in rows:
            try:
                with transaction.atomic():
                    row.outcome, row.object_id = apply(job, row.data)
                    row.errors = {}
            except RowRejected as exc:
                row.outcome, row.errors = ImportRow.Outcome.REJECTED, exc.errors
            except ValidationError as exc:
                row.outcome, row.errors = ImportRow.Outcome.REJECTED, _errors_of(exc)
            except ApplicationError as exc:
                row.outcome, row.errors = ImportRow.Outcome.REJECTED, {"non_field_errors": [str(exc.message)]}
            counts[row.outcome] += 1
        ImportRow.objects.bulk_update(rows, ["outcome", "object_id", "errors"])
        ImportJob.objects.filter(pk=job.pk).update(
            processed=F("processed") + len(rows), **{name: F(name) + n for name, n in counts.items() if n}
        )
    return True


def _errors_of(exc: ValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
    return {"non_field_errors": [str(m) for m in exc.messages]}


def _text(data: dict, name: str) -> str:
    value = data.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str | int | float):
        raise RowRejected({name: [_("Must be text.")]})
    return str(value).strip()


def match_ci(data: dict, *, ci_class: CIClass | None = None) -> ConfigurationItem | None:
    """The CI a row names, by identifiers in MATCH_ORDER, else by class and name. Raises RowRejected when
    identifiers name different CIs or a class and name are ambiguous."""
    found: dict[str, ConfigurationItem] = {}
    for field in MATCH_ORDER:
        value = _text(data, field)
        if not value:
            continue
        lookup = {"hostname__iexact": value} if field == "hostname" else {field: value}
        ci = ConfigurationItem.objects.select_related("ci_class").filter(**lookup).first()
        if ci is not None:
            found[field] = ci
    if len({ci.pk for ci in found.values()}) > 1:
        names = ", ".join(f"{field} → {ci.name}" for field, ci in found.items())
        raise RowRejected(
            {"non_field_errors": [_("The identifiers match different CIs: %(names)s.") % {"names": names}]}
        )
    if found:
        return next(iter(found.values()))
    name = _text(data, "name")
    if name and ci_class is not None:
        candidates = list(ConfigurationItem.objects.filter(ci_class=ci_class, name__iexact=name)[:2])
        if len(candidates) > 1:
            raise RowRejected({"name": [_("Several CIs of this class have this name: add an identifier.")]})
        return candidates[0] if candidates else None
    return None


def _resolve(data: dict) -> dict:
    """The row's fields as model values (references looked up by code, username, name)."""
    values: dict = {}
    errors: dict = {}
    if "class" in data:
        ci_class = CIClass.objects.filter(code=_text(data, "class")).first()
        if ci_class is None:
            errors["class"] = [_("Unknown class.")]
        values["ci_class"] = ci_class
    for name in PLAIN_FIELDS:
        if name in data:
            values[name] = _text(data, name)
    if "owner" in data:
        username = _text(data, "owner")
        values["owner"] = User.objects.filter(username=username).first() if username else None
        if username and values["owner"] is None:
            errors["owner"] = [_("No user with this username.")]
    if "support_group" in data:
        group = _text(data, "support_group")
        values["support_group"] = SupportGroup.objects.filter(name=group).first() if group else None
        if group and values["support_group"] is None:
            errors["support_group"] = [_("No support group with this name.")]
    if "location" in data:
        location = _text(data, "location")
        values["location"] = (
            ConfigurationItem.objects.filter(name=location, ci_class__path__startswith="/location/").first()
            if location
            else None
        )
        if location and values["location"] is None:
            errors["location"] = [_("No location with this name.")]
    if "attributes" in data and not isinstance(data["attributes"], dict):
        errors["attributes"] = [_("Must be an object.")]
    if errors:
        raise RowRejected(errors)
    return values


def _apply_ci_row(job: ImportJob, data: dict) -> tuple[str, int]:
    actor, via = job.created_by, f"import:{job.pk}"
    values = _resolve(data)
    status = _text(data, "status")
    ci = match_ci(data, ci_class=values.get("ci_class"))
    if ci is None:
        if not values.get("ci_class") or not values.get("name"):
            raise RowRejected({"non_field_errors": [_("A new CI needs at least a class and a name.")]})
        ci = ci_create(
            actor=actor,
            via=via,
            status=status or ConfigurationItem.Status.PLANNED,
            attributes=data.get("attributes", {}),
            **values,
        )
        return ImportRow.Outcome.CREATED, ci.pk
    if "attributes" in data:
        values["attributes"] = {**ci.attributes, **data["attributes"]}
    changes = {name: value for name, value in values.items() if getattr(ci, name) != value}
    if changes:
        ci = ci_update(ci=ci, actor=actor, via=via, **changes)
    if status and status != ci.status:
        ci = ci_transition(ci=ci, actor=actor, to=status, via=via)
        changes["status"] = status
    return (ImportRow.Outcome.UPDATED if changes else ImportRow.Outcome.UNCHANGED), ci.pk


def _end(data: dict, name: str) -> ConfigurationItem:
    ref = data.get(name)
    if not isinstance(ref, dict):
        raise RowRejected({name: [_("Name the CI by its identifiers, or class and name.")]})
    ci_class = CIClass.objects.filter(code=_text(ref, "class")).first() if ref.get("class") else None
    try:
        ci = match_ci(ref, ci_class=ci_class)
    except RowRejected as exc:
        raise RowRejected({name: [m for messages in exc.errors.values() for m in messages]}) from exc
    if ci is None:
        raise RowRejected({name: [_("No CI matches.")]})
    return ci


def _apply_relationship_row(job: ImportJob, data: dict) -> tuple[str, int]:
    rel_type = RelationshipType.objects.filter(code=_text(data, "type")).first()
    if rel_type is None:
        raise RowRejected({"type": [_("Unknown relationship type.")]})
    source, target = _end(data, "source"), _end(data, "target")
    existing = _duplicates(source, target, rel_type).first() if source.pk != target.pk else None
    if existing is not None:
        return ImportRow.Outcome.UNCHANGED, existing.pk
    relationship = relationship_create(
        actor=job.created_by, source=source, target=target, type=rel_type, via=f"import:{job.pk}"
    )
    return ImportRow.Outcome.CREATED, relationship.pk
