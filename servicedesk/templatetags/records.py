"""Template tags of the shared record pages: a record's fields and coded values in words, through the record's
own model, and the renderer of a timeline entry."""

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.utils.text import capfirst

from servicedesk.records import links
from servicedesk.records.timeline import timeline_renderer as renderer_of

register = template.Library()


def _field(record, name: str):
    meta = getattr(record, "_meta", None)
    if meta is None:
        return None
    try:
        return meta.get_field(name)
    except (FieldDoesNotExist, LookupError, TypeError):
        return None


@register.simple_tag
def record_choice_label(record, field: str, value):
    """`{% record_choice_label record "status" "in_progress" %}`: "In progress", translated; the value as is
    when the field has no such choice (a list, an id, a field the model does not have)."""
    choices = getattr(_field(record, field), "choices", None) or []
    try:
        return dict(choices).get(value, value)
    except TypeError:  # a list (affected CIs) or another value no choice can be
        return value


@register.simple_tag
def record_field_label(record, field: str):
    """`{% record_field_label record "support_group" %}`: "Support group", translated; the name as is when the
    model has no such field."""
    verbose_name = getattr(_field(record, field), "verbose_name", None)
    return capfirst(verbose_name) if verbose_name else field


@register.simple_tag
def timeline_renderer(entry, record=None) -> str:
    """`{% timeline_renderer entry record as renderer %}`: the template that tells what `entry` was."""
    return renderer_of(entry, record)


@register.simple_tag
def record_link_label(entry) -> str:
    """`{% record_link_label entry as label %}`: how the entry's record reads the other end of the link
    ("Blocked by"), from the type registered as `entry.data.link`; "" for a type no longer registered."""
    data = entry.data if isinstance(entry.data, dict) else {}
    link_type = links.link_type(str(data.get("link", "")))
    if link_type is None or data.get("direction") not in links.DIRECTIONS:
        return ""
    return str(link_type.label_on(data["direction"]))


@register.simple_tag(takes_context=True)
def slot(context, name: str, **values) -> str:
    """What the apps registered for page slot `name` (`servicedesk.slots`), given `values`."""
    from servicedesk.slots import slot_render

    return slot_render(name, context.get("request"), **values)
