"""A request's answers to its request type's form (`incidents.request_forms`): checked, then stored."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from servicedesk.attachments import validate_upload
from servicedesk.models import TimelineEntry
from servicedesk.services.timeline import attachment_add, timeline_add

from ..request_forms import ANSWERS_FIELD, form_answers_errors, form_fields


def form_answers_check(*, request_type, answers, files) -> dict:
    """The answers to keep for a request of `request_type`: ValidationError with one error per field
    (`form_data.<field>`) otherwise. `files` are the file fields' uploads by field name, checked here and
    stored by `form_files_store` once the record exists.

    `answers` None: the form was not put to anyone (a request from an e-mail, or one an agent records for a
    caller): nothing is checked and nothing kept; the agent working it asks what the form would have."""
    if answers is None and not files:
        return {}
    answers = {} if answers is None else answers
    files = files or {}
    schema = request_type.form_schema if request_type is not None else {}
    if not schema:
        if answers or files:
            raise ValidationError({ANSWERS_FIELD: _("This request type has no form of its own.")})
        return {}
    errors = form_answers_errors(schema, answers)
    fields = {field.name: field for field in form_fields(schema)}
    for name, field in fields.items():
        if field.kind == "file" and field.required and not files.get(name):
            errors.setdefault(f"{ANSWERS_FIELD}.{name}", []).append(_("Attach the file."))
    for name, upload in files.items():
        if name not in fields or fields[name].kind != "file":
            errors.setdefault(f"{ANSWERS_FIELD}.{name}", []).append(_("This form has no such field."))
            continue
        try:
            validate_upload(upload)
        except ValidationError as exc:
            errors.setdefault(f"{ANSWERS_FIELD}.{name}", []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    return dict(answers)


def form_files_store(*, record, actor, answers: dict, files: dict) -> dict:
    """Attach the file fields' uploads to the record's timeline (one public entry) and record each in the
    answers as `{"id", "name"}`. Returns the answers."""
    files = {name: upload for name, upload in (files or {}).items() if upload}
    if not files:
        return answers
    entry = timeline_add(record=record, kind=TimelineEntry.Kind.ATTACHMENT, author=actor, is_public=True)
    for name, upload in files.items():
        attachment = attachment_add(entry=entry, upload=upload, actor=actor)
        answers[name] = {"id": attachment.pk, "name": attachment.name}
    return answers
