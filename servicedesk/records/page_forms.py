"""What the record pages of every kind post the same way: a comment or a work note.

A kind's page view calls `comment_submit` with its own page function, which draws the page again with the
form's errors (400) or the refusal (403); the service (`record_comment`) checks again.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from servicedesk.errors import ApplicationError, PermissionDenied
from servicedesk.fields import TextareaField
from servicedesk.form_errors import apply_service_errors
from servicedesk.forms_merge import merge_and_save
from servicedesk.kinds import kind_of

from .services import record_comment


class CommentForm(forms.Form):
    """A comment the requester reads, or a work note for agents only."""

    NOTE, PUBLIC = "note", "public"

    body = TextareaField(
        label=gettext_lazy("Text"), widget=forms.Textarea(attrs={"rows": 3}), max_length=100_000
    )
    visibility = forms.ChoiceField(
        label=gettext_lazy("Visibility"),
        choices=[(NOTE, gettext_lazy("Work note")), (PUBLIC, gettext_lazy("Comment"))],
        initial=NOTE,
        widget=forms.RadioSelect,
    )


def posted_version(request) -> int | None:
    """The version the page was drawn at (its form's hidden `version`), or None when not sent."""
    value = request.POST.get("version", "")
    return int(value) if value.isdigit() else None


def comment_submit(request, record, *, page, refused: str):
    """Add the posted comment or work note to `record` as its kind's policy allows, then back to its
    page; `page(request, record, status=, **context)` draws the page again with the form's errors (400) or
    `refused` (403)."""
    form = CommentForm(request.POST)
    if not form.is_valid():
        return page(request, record, status=400, comment_form=form)
    is_public = form.cleaned_data["visibility"] == CommentForm.PUBLIC
    policy = kind_of(record).policy
    if not policy.can_comment(request.user, record) or (
        not is_public and not policy.can_add_work_note(request.user, record)
    ):
        return page(request, record, status=403, error=refused)
    try:
        record_comment(record=record, actor=request.user, body=form.cleaned_data["body"], is_public=is_public)
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return page(request, record, status=400, comment_form=form)
    messages.success(request, _("Your comment was added.") if is_public else _("Your note was added."))
    return redirect("record", record.number)


def edit_submit(request, record, *, form_class, page, reload, update, saved: str, saved_with_others: str):
    """Save the fields the person changed in `form_class` (a merging form, `servicedesk.forms_merge`),
    merged over what others saved since the page was read, through `update(record=, actor=,
    expected_version=, **changes)`; `reload()` reads the record again. A field both changed is a conflict:
    nothing is saved and `page(request, record, status=, **context)` shows both values to choose from
    (412). The form's errors are 400, a refusal 403, another application error its own status. Then back
    to the record's page with `saved`, or `saved_with_others` (a `%(fields)s` message) when others'
    changes were kept."""
    form = form_class(request.POST, record=record)
    if not form.is_valid():
        return page(request, record, status=400, edit_form=form)
    try:
        record, merge = merge_and_save(
            form,
            record,
            values=form_class.current_values,
            reload=reload,
            save=lambda row, changes, version: update(
                record=row, actor=request.user, expected_version=version, **changes
            ),
        )
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return page(request, record, status=400, edit_form=form)
    except PermissionDenied as exc:
        return page(request, record, status=403, error=str(exc.message))
    except ApplicationError as exc:
        return page(request, record, status=exc.status_code, edit_form=form, error=str(exc.message))
    if not merge.saved:
        kept, conflicts = form.rebased(
            form_class.current_values(record), version=record.version, merge=merge, record=record
        )
        return page(request, record, status=412, edit_form=kept, stale=True, conflicts=conflicts)
    if merge.others:
        labels = ", ".join(str(form.fields[name].label) for name in merge.others)
        messages.success(request, saved_with_others % {"fields": labels})
    else:
        messages.success(request, saved)
    return redirect("record", record.number)
