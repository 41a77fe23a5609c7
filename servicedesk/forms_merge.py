"""Saving a form over someone else's change without losing either: a three-way merge, field by field.

A merging form renders, beside each field, the value it showed (Django's `show_hidden_initial`). On save,
against the row as it is now:

- the fields this person changed are those whose value differs from what the form showed them;
- each is written when nobody else changed that field meanwhile (the row still holds what the form showed),
  and skipped when the other person saved the very same value;
- a field that both changed is a conflict: the page shows both values and the person chooses to keep theirs
  (what the form holds) or to take the other person's; nothing is saved until every conflict is chosen;
- a field only others changed keeps their value: the form never writes what its user did not touch.

`merge_and_save` writes `Merge.changes` through the resource's service against the version it merged
with, and merges again if the row moved on in between (`servicedesk.concurrency`).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from servicedesk.concurrency import version_of
from servicedesk.errors import StaleWrite

MINE = "mine"
THEIRS = "theirs"
RESOLVE_PREFIX = "resolve-"
CONFLICT_PREFIX = "conflict-"
MULTIPLE_WIDGETS = (forms.SelectMultiple, forms.MultipleHiddenInput, forms.CheckboxSelectMultiple)


@dataclass
class Merge:
    """What a save writes (`changes`, cleaned values), what it cannot decide (`conflicts`: the row's
    current values, in the shape of the form's initial) and what others changed that it keeps (`others`)."""

    changes: dict[str, Any] = field(default_factory=dict)
    conflicts: dict[str, Any] = field(default_factory=dict)
    others: list[str] = field(default_factory=list)
    saved: bool = False


MERGE_ATTEMPTS = 3


def merge_and_save(form, obj, *, values: Callable, reload: Callable, save: Callable, attempts=MERGE_ATTEMPTS):
    """Merge the valid `form` into `obj` and write the changes: `save(obj, changes, expected_version)`
    returns the written row. When the row moves on between a merge and its write (StaleWrite), merge
    again with the row from `reload()`.

    Returns (row, merge): `merge.saved` tells whether it was written; when not, `merge.conflicts` are the
    fields to choose (or none, when the row kept moving: the page asks to save again). ValidationError
    from `save` propagates.
    """
    for _attempt in range(attempts):
        merge = form.merge(values(obj), version=version_of(obj))
        if merge.conflicts:
            return obj, merge
        try:
            obj = save(obj, merge.changes, version_of(obj))
        except StaleWrite:
            obj = reload()
            continue
        merge.saved = True
        return obj, merge
    return obj, form.merge(values(obj), version=version_of(obj))


class MergeFormMixin:
    """For a form that edits an existing row: call `enable_merge()` at the end of `__init__`.

    The form's initial is the row's values in the shape `current_values` returns (ids for relations).
    """

    version_field_name = "version"

    def enable_merge(self) -> None:
        if self.is_bound and not self.shows_values():
            # Posted without what it showed (a script, a page older than this): changes are measured
            # against the row as it is, as they were before.
            return
        for name in self.merge_fields():
            self.fields[name].show_hidden_initial = True

    def merge_fields(self) -> list[str]:
        return [name for name, f in self.fields.items() if name != self.version_field_name and not f.disabled]

    def _data_of(self, name: str, *, shown: bool):
        """The submitted value of field `name` (as the form showed it, with `shown`)."""
        f = self.fields[name]
        if shown:
            return f.hidden_widget().value_from_datadict(self.data, self.files, self.add_initial_prefix(name))
        return f.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))

    def choice(self, name: str) -> str | None:
        value = self.data.get(RESOLVE_PREFIX + self.add_prefix(name))
        return value if value in (MINE, THEIRS) else None

    def shows_values(self) -> bool:
        """Whether the submitted form carries what it showed (a page rendered before this mechanism, or
        a script posting the fields alone, does not)."""
        prefix = self.add_initial_prefix("")
        return any(key.startswith(prefix) for key in self.data)

    def _changes_by(self, name: str, theirs, version: int | None) -> tuple[bool, bool]:
        """(this person changed field `name`, someone else did) since the form was rendered."""
        f = self.fields[name]
        if self.shows_values():
            return name in self.changed_data, f.has_changed(theirs, self._data_of(name, shown=True))
        # Without what it showed, the version it was read at tells whether anything moved since; without
        # that either, the form is a plain write of what it sends (as the API without If-Match).
        read = self.cleaned_data.get(self.version_field_name)
        mine = f.has_changed(theirs, self._data_of(name, shown=False))
        return mine, mine and read is not None and version is not None and read != version

    def merge(self, current: dict, *, version: int | None = None) -> Merge:
        """Merge this valid form into the row whose values are `current` and whose version is `version`
        (see the module docstring)."""
        result = Merge()
        for name in self.merge_fields():
            if name not in self.cleaned_data:
                continue  # a field error: nothing of it is written
            f, theirs = self.fields[name], current[name]
            mine, they_changed = self._changes_by(name, theirs, version)
            if not mine:
                if they_changed:
                    result.others.append(name)
                continue
            if they_changed and f.has_changed(theirs, self._data_of(name, shown=False)):
                # Both changed it, to different values; a choice made against an older value of theirs
                # no longer stands.
                result.conflicts[name] = theirs
            elif they_changed:
                result.others.append(name)  # they saved what this person typed: nothing to write
            elif self.choice(name) == THEIRS:
                continue
            elif self.choice(name) is None and (CONFLICT_PREFIX + name) in self.data:
                result.conflicts[name] = theirs  # shown as a conflict, and not chosen yet
            else:
                result.changes[name] = self.cleaned_data[name]
        return result

    def _widget_data(self, widget, name: str, value):
        """`value` (initial-shaped) as `widget` would submit it: a string, a list, or None (absent)."""
        f = self.fields[name]
        if isinstance(widget, forms.CheckboxInput):
            return "on" if value else None
        prepared = f.prepare_value(value)
        # A picker's menu of several choices (servicedesk.pickers) is a Select that allows many.
        if isinstance(widget, MULTIPLE_WIDGETS) or getattr(widget, "allow_multiple_selected", False):
            return [str(item) for item in (prepared or [])]
        formatted = widget.format_value(prepared)
        if isinstance(formatted, list | tuple):  # a select's format: the chosen values, as a list
            formatted = formatted[0] if formatted else None
        return "" if formatted is None else str(formatted)

    def rebased_data(self, current: dict, *, version: int | None, merge: Merge, choices: bool = True):
        """The submitted data rebased on the row as it is now, for the page that shows the conflicts.

        What the form shows as its starting point, and the fields this person did not change, become the
        current values; what they changed stays theirs to keep or drop. With `choices`, each conflict asks
        for a choice (keep mine / take theirs) before the next save; without, saving again keeps theirs.
        """
        data = self.data.copy()
        for key in [k for k in data if k.startswith((RESOLVE_PREFIX, CONFLICT_PREFIX))]:
            del data[key]
        if version is not None:
            data[self.add_prefix(self.version_field_name)] = str(version)
        for name in self.merge_fields():
            f = self.fields[name]
            keep_mine = name in merge.changes or name in merge.conflicts
            targets = [(f.hidden_widget(), self.add_initial_prefix(name))]
            if not keep_mine:
                targets.append((f.widget, self.add_prefix(name)))
            for widget, key in targets:
                value = self._widget_data(widget, name, current[name])
                if value is None:
                    data.pop(key, None)
                elif isinstance(value, list):
                    data.setlist(key, value)
                else:
                    data[key] = value
        for name in merge.conflicts if choices else ():
            data[CONFLICT_PREFIX + name] = "1"
        return data

    def rebased(self, current: dict, *, version: int, merge: Merge, **form_kwargs):
        """The page that shows the conflicts: (a form of this class bound to `rebased_data`, validated,
        and its `conflict_rows`). `form_kwargs` are what the form's constructor takes besides the data."""
        kept = type(self)(self.rebased_data(current, version=version, merge=merge), **form_kwargs)
        kept.is_valid()
        return kept, kept.conflict_rows(merge)

    def report_conflicts(self, current: dict, merge: Merge) -> None:
        """For a form without the keep/take choice (a small panel, the admin): each conflict becomes an
        error on its field naming the other value, and the form is rebased so that saving it again keeps
        this person's value."""
        for name, theirs in merge.conflicts.items():
            self.add_error(
                name,
                _("Someone else changed this to “%(value)s” meanwhile. Save again to keep yours.")
                % {"value": self.display_value(name, theirs)},
            )
        if merge.conflicts:
            self.data = self.rebased_data(current, version=None, merge=merge, choices=False)

    def conflict_rows(self, merge: Merge) -> list[dict]:
        """For the page: each conflicting field with the other person's value, in words."""
        return [
            {
                "name": name,
                "field": self[name],
                "theirs": self.display_value(name, value),
                "choice_name": RESOLVE_PREFIX + self.add_prefix(name),
                "marker_name": CONFLICT_PREFIX + name,
            }
            for name, value in merge.conflicts.items()
        ]

    def display_value(self, name: str, value) -> str:
        """A field's value as a person reads it (a choice's label, a related row's name)."""
        f = self.fields[name]
        if value in (None, "", [], ()):
            return str(_("(empty)"))
        if isinstance(f, forms.ModelMultipleChoiceField):
            return ", ".join(str(item) for item in f.queryset.filter(pk__in=value))
        if isinstance(f, forms.ModelChoiceField):
            found = f.queryset.filter(pk=getattr(value, "pk", value)).first()
            return str(found) if found is not None else str(value)
        if isinstance(f, forms.ChoiceField):
            labels = {str(key): label for key, label in f.choices}
            return str(labels.get(str(value), value))
        prepared = f.prepare_value(value)
        return str(prepared)


class MergeModelFormMixin(MergeFormMixin):
    """For a ModelForm of an existing row (the admin's change form): fields this person did not change
    keep the row's current values, and a field someone else changed too is a field error; saving again
    keeps this person's value. The view locks the row for the request (`servicedesk.admin`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.enable_merge()

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            return cleaned
        current = forms.models.model_to_dict(self.instance, fields=self.merge_fields())
        merge = self.merge(current)
        for name in self.merge_fields():
            if name not in merge.changes and name not in merge.conflicts:
                cleaned.pop(name, None)
        self.report_conflicts(current, merge)
        return cleaned
