"""Select menus rendered in Python: the same HTML as Django's templates, without one template include per
option. A page with menus of every agent renders thousands of options; through Django's widget templates
each costs an `{% include %}` (issue 14: the queue page spent ~40 % of its time on its form fields)."""

from django import forms
from django.utils.html import format_html, format_html_join


def _attrs(attrs: dict) -> str:
    """What Django's `attrs.html` renders: ` name="value"`, ` name` for True, nothing for False."""
    return format_html_join(
        "",
        " {}{}",
        (
            (name, "" if value is True else format_html('="{}"', value))
            for name, value in attrs.items()
            if value is not False
        ),
    )


class QuickRenderMixin:
    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        groups = []
        for group_name, options, _index in widget["optgroups"]:
            rendered = format_html_join(
                "",
                '\n  <option value="{}"{}>{}</option>',
                ((str(option["value"]), _attrs(option["attrs"]), option["label"]) for option in options),
            )
            groups.append(
                format_html('\n  <optgroup label="{}">{}\n  </optgroup>', group_name, rendered)
                if group_name
                else rendered
            )
        return format_html(
            '<select name="{}"{}>{}\n</select>',
            widget["name"],
            _attrs(widget["attrs"]),
            format_html_join("", "{}", ((group,) for group in groups)),
        )


class QuickSelect(QuickRenderMixin, forms.Select):
    pass


class QuickSelectMultiple(QuickRenderMixin, forms.SelectMultiple):
    pass


QUICK = {forms.Select: QuickSelect, forms.SelectMultiple: QuickSelectMultiple}


def quick_selects(form) -> None:
    """Render `form`'s plain select menus in Python (same HTML). The widgets are the form's own copies."""
    for field in form.fields.values():
        quick = QUICK.get(type(field.widget))
        if quick is not None:
            field.widget.__class__ = quick
