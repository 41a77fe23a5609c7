from django import template
from django.utils.safestring import mark_safe

from servicedesk.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text):
    """`{{ record.description|markdown }}`: Markdown rendered and sanitised."""
    return render_markdown(text)


@register.simple_tag
def shown_values(form):
    """The hidden copies of what a merging form shows (`servicedesk.forms_merge`), for templates that lay
    out its fields one by one: `{% shown_values form %}` inside the `<form>`."""
    return mark_safe("".join(str(form[name].as_hidden(only_initial=True)) for name in form.merge_fields()))  # noqa: S308 (widgets escape)
