from django import template

from servicedesk.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text):
    """`{{ record.description|markdown }}`: Markdown rendered and sanitised."""
    return render_markdown(text)
