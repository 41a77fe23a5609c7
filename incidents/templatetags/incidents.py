"""Incident labels for templates: statuses and other coded values in words, and a badge colour."""

from django import template
from django.utils.html import format_html
from django.utils.text import capfirst

from incidents import workflow as wf
from incidents.models import Incident

register = template.Library()

STATUS_BADGES = {
    wf.NEW: "text-bg-info",
    wf.ASSIGNED: "text-bg-primary",
    wf.IN_PROGRESS: "text-bg-primary",
    wf.ON_HOLD: "text-bg-warning",
    wf.RESOLVED: "text-bg-success",
    wf.CLOSED: "text-bg-secondary",
    wf.CANCELLED: "text-bg-secondary",
}


def _label(field: str, value):
    try:
        choices = Incident._meta.get_field(field).choices or []
    except LookupError:
        return value
    try:
        return dict(choices).get(value, value)
    except TypeError:  # a list (affected CIs) or another value no choice can be
        return value


@register.filter
def status_label(value):
    """`{{ entry.data.to|status_label }}`: "in_progress" → "In progress", translated; unknown values as is."""
    return _label("status", value)


@register.filter
def choice_label(value, field):
    """`{{ value|choice_label:"resolution_code" }}`: any coded incident field in words."""
    return _label(field, value)


@register.filter
def status_badge(value):
    """The Bootstrap badge class for a status."""
    return STATUS_BADGES.get(value, "text-bg-light border")


@register.filter
def field_label(field: str):
    """`{{ "support_group"|field_label }}`: a record field's name in words, translated."""
    if field == "affected_cis":
        return capfirst(Incident._meta.get_field("affected_cis").verbose_name)
    try:
        return capfirst(Incident._meta.get_field(field).verbose_name)
    except LookupError:
        return field


PRIORITY_BADGES = {1: "text-bg-danger", 2: "text-bg-warning", 3: "text-bg-primary"}


@register.simple_tag
def priority_badge(record):
    """`{% priority_badge record %}`: the record's priority as a badge, built here rather than by an
    included template (a queue renders it on every row)."""
    return format_html(
        '<span class="badge {}" title="{}">P{}</span>',
        PRIORITY_BADGES.get(record.priority, "text-bg-light border"),
        record.get_priority_display(),
        record.priority,
    )


@register.simple_tag
def record_status_badge(record):
    """`{% record_status_badge record %}`: the record's status as a badge, coloured as everywhere."""
    return format_html(
        '<span class="badge {}" data-testid="status-badge" data-status="{}">{}</span>',
        status_badge(record.status),
        record.status,
        record.get_status_display(),
    )
