from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _

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


JUST_NOW = timedelta(minutes=1)


@register.simple_tag
def ago(moment: datetime | None, now: datetime | None = None):
    """`{% ago record.updated_at %}`: "3 hours ago" or "in 2 days" in the reader's language, in a `<time>`
    whose hover title is the exact time in the reader's time zone and format. Empty for no time."""
    if not moment:
        return ""
    now = now or timezone.now()
    if abs(now - moment) < JUST_NOW:
        text = _("just now")
    elif moment < now:
        text = _("%(time)s ago") % {"time": timesince(moment, now, depth=1)}
    else:
        text = _("in %(time)s") % {"time": timeuntil(moment, now, depth=1)}
    exact = date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")
    return format_html('<time datetime="{}" title="{}">{}</time>', moment.isoformat(), exact, text)
