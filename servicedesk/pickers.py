"""Pickers: menus too long to list (every agent, every business service, every CI), chosen by typing.

A picker is a plain `<select>` holding the choice already made and the first `PREVIEW` choices, under a
search box that asks the server for the choices matching what is typed (htmx, `servicedesk:pick_options`)
and puts them in the menu. The form field keeps its queryset, which still decides what is valid; the
menu only offers. A page with several such menus renders a few dozen options instead of thousands
(issue 14: the queue page listed 2,014 services and twice 212 agents, 237 KB).

Apps register what can be picked as a `PickSource` (`register_pick_source`, in their `AppConfig.ready`)
and put a field on a picker with `use_picker(field, "source name")`.
"""

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from django import forms
from django.db.models import Model, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from .lookups import match_words
from .widgets import _attrs

PREVIEW = 25  # choices listed before anything is typed
RESULTS = 25  # choices listed for what is typed
MAX_WORDS = 100  # characters of the search text read
PEOPLE = "people"  # the kernel's source: every active person, for agents


@dataclass(frozen=True)
class PickSource:
    """What a picker may offer, by name: `choices(user, params)` are the rows `user` may be offered
    (ordered; `params` the source's `params` as given, strings or None), `search(rows, text)` narrows
    them to what matches, `label(row)` names one (reading only the `related` rows), and `allowed(user)`
    says whether `user` may ask at all (the answer is a 404 otherwise)."""

    name: str
    choices: Callable[..., QuerySet]
    search: Callable[[QuerySet, str], QuerySet]
    allowed: Callable[..., bool]
    label: Callable[[Model], str] = str
    params: tuple[str, ...] = dataclass_field(default=())
    related: tuple[str, ...] = dataclass_field(default=())  # what `label` reads: joined when rows are read


_SOURCES: dict[str, PickSource] = {}


def register_pick_source(source: PickSource) -> None:
    if source.name in _SOURCES and _SOURCES[source.name] != source:
        raise ValueError(f"Pick source {source.name!r} is already registered.")
    _SOURCES[source.name] = source


def pick_source(name: str) -> PickSource:
    try:
        return _SOURCES[name]
    except KeyError:
        raise Http404 from None


def pick_options(
    *, user, source_name: str, text: str, params: dict, exclude: Iterable[str]
) -> tuple[list, bool]:
    """The rows of source `source_name` matching `text` that `user` may pick (all of them, by the
    source's order, for no text), without the keys in `exclude`: at most `RESULTS`, and whether there
    are more. Http404 for a source that does not exist or that `user` may not ask."""
    source = pick_source(source_name)
    if not source.allowed(user):
        raise Http404
    rows = source.choices(user, {name: params.get(name) for name in source.params})
    text = text.strip()[:MAX_WORDS]
    if text:
        rows = source.search(rows, text)
    excluded = [key for key in exclude if key.isdigit()]
    if excluded:
        rows = rows.exclude(pk__in=excluded)
    found = list(rows[: RESULTS + 1])
    return found[:RESULTS], len(found) > RESULTS


def options_group_html(*, group_id: str, rows: list, more: bool, label: Callable, text: str = ""):
    """The picker's `<optgroup>` of offered choices (also what the search answers): labelled with what it
    holds (all choices, the first few, or the matches for `text`)."""
    if text:
        title = (_("Matches for “%(text)s”") if rows else _("Nothing matches “%(text)s”")) % {"text": text}
    elif more:
        title = _("The first %(count)d: type above to find others") % {"count": len(rows)}
    elif not rows:
        title = _("Type above to search")
    else:
        title = _("All choices")
    options = format_html_join(
        "", '\n  <option value="{}">{}</option>', ((row.pk, label(row)) for row in rows)
    )
    if more and text:
        options += format_html(
            '\n  <option value="" disabled>{}</option>', _("More match: type more of the name to narrow.")
        )
    return format_html('<optgroup id="{}" label="{}">{}\n</optgroup>', group_id, title, options)


class PickerSelect(forms.Select):
    """A model choice field's menu holding the choice made and a preview, with a search box (see the
    module's docstring). Renders in Python, as `widgets.QuickSelect` does."""

    def __init__(self, *, source: str, field, menu, params: dict | None = None, attrs=None):
        super().__init__(attrs)
        self.source = source
        self.field = field
        self.menu = menu
        self.params = params or {}

    def __deepcopy__(self, memo):
        copy = super().__deepcopy__(memo)
        copy.params = dict(self.params)
        return copy

    def _preview(self) -> tuple[list, bool]:
        rows = list(self.menu[: PREVIEW + 1] if isinstance(self.menu, QuerySet) else self.menu)
        return rows[:PREVIEW], len(rows) > PREVIEW

    def _chosen(self, values: list[str], preview: list) -> list:
        """The chosen rows, from the preview when there (no query), else read by the field's queryset."""
        at_hand = {str(row.pk): row for row in preview}
        wanted = [value for value in values if value not in at_hand and value.isdigit()]
        read = {}
        if wanted:
            rows = self.field.queryset.filter(pk__in=wanted)
            related = pick_source(self.source).related
            read = {str(row.pk): row for row in (rows.select_related(*related) if related else rows)}
        return [row for value in values if (row := at_hand.get(value) or read.get(value)) is not None]

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        select_id = attrs.get("id") or f"id_{name}"
        attrs["id"] = select_id
        attrs["data-picker"] = True
        if self.allow_multiple_selected:
            attrs["multiple"] = True
        values = [value for value in self.format_value(value) if value != ""]
        null_value = getattr(self.field, "null_value", None)
        preview, more = self._preview()
        chosen = self._chosen([value for value in values if value != null_value], preview)
        chosen_keys = {str(row.pk) for row in chosen}
        label = pick_source(self.source).label

        fixed = []
        if not self.allow_multiple_selected and self.field.empty_label is not None:
            fixed.append(("", self.field.empty_label, not values))
        null_label = getattr(self.field, "null_label", None)
        if null_label is not None:
            fixed.append((null_value, null_label, null_value in values))
        fixed += [(row.pk, label(row), True) for row in chosen]
        fixed_html = format_html_join(
            "",
            '\n  <option value="{}"{}>{}</option>',
            ((option, " selected" if selected else "", text) for option, text, selected in fixed),
        )
        group = options_group_html(
            group_id=f"{select_id}-options",
            rows=[row for row in preview if str(row.pk) not in chosen_keys],
            more=more,
            label=label,
        )
        search = {
            "type": "search",
            "id": f"{select_id}-q",
            "name": "q",
            # Belongs to no form: not sent with the form it sits in, and Enter in it submits nothing.
            "form": "picker-no-form",
            "class": "form-control form-control-sm mb-1",
            "placeholder": _("Type to search…"),
            "aria-label": _("Search: %(field)s") % {"field": self.field.label or name},
            "aria-controls": select_id,
            "autocomplete": "off",
            "data-picker-q": True,
            "hx-get": reverse("pick_options", args=[self.source]),
            "hx-trigger": "input changed delay:250ms, search",
            "hx-target": f"#{select_id}-options",
            "hx-swap": "outerHTML",
            "hx-sync": "this:replace",
            "hx-include": f"#{select_id}",
            "hx-vals": json.dumps({**self.params, "target": f"{select_id}-options", "keep": name}),
        }
        return format_html(
            '<div class="picker" data-testid="picker-{}">\n<input{}>\n'
            '<select name="{}"{}>{}\n{}\n</select>\n</div>',
            name,
            _attrs(search),
            name,
            _attrs(attrs),
            fixed_html,
            group,
        )


class PickerSelectMultiple(PickerSelect):
    allow_multiple_selected = True

    def value_from_datadict(self, data, files, name):
        getter = getattr(data, "getlist", None)
        return getter(name) if getter is not None else data.get(name)

    def value_omitted_from_data(self, data, files, name):
        return False


def use_picker(field: forms.ModelChoiceField, source: str, *, menu=None, params: dict | None = None) -> None:
    """Put `field` on a picker of registered source `source`. The menu's preview is drawn from `menu` (a
    QuerySet, sliced, or rows already read; the field's queryset by default); `params` go with each
    search (e.g. the group whose members the source offers). The field's queryset still validates.
    Choices are keyed by primary key, and labelled by the source."""
    if field.to_field_name is not None:
        raise ValueError("A picker keys its choices by primary key.")
    multiple = isinstance(field, forms.ModelMultipleChoiceField)
    widget_class = PickerSelectMultiple if multiple else PickerSelect
    field.widget = widget_class(
        source=source,
        field=field,
        menu=field.queryset if menu is None else menu,
        params={name: str(value) for name, value in (params or {}).items() if value is not None},
        attrs=field.widget.attrs,
    )


def person_label(person) -> str:
    """A person as a picker lists them: the name, and the e-mail address that tells namesakes apart."""
    name = person.get_full_name() or person.username
    return f"{name} ({person.email})" if person.email else name


def register_people_source() -> None:
    """`people`: every active person (a requester, a caller), for agents."""
    from .models import User

    register_pick_source(
        PickSource(
            name=PEOPLE,
            choices=lambda user, params: User.objects.filter(is_active=True).order_by(
                "full_name", "username"
            ),
            search=lambda rows, text: match_words(rows, text, ("full_name", "username", "email")),
            allowed=lambda user: user.is_agent,
            label=person_label,
        )
    )
