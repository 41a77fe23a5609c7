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

from servicedesk.fields import TextareaField
from servicedesk.form_errors import apply_service_errors
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
