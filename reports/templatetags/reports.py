from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def field_named(form, name):
    return form[name]


@register.filter
def duration_words(seconds) -> str:
    """A duration as people say it: "3 d 4 h", "2 h 10 min", "45 min"."""
    if seconds is None:
        return ""
    minutes = round(float(seconds) / 60)
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    return ngettext("%(minutes)s min", "%(minutes)s min", minutes) % {"minutes": minutes}
