"""SLA clocks in words and colours for templates: durations, badges, ledger lines, timeline events.

`{% load sla %}`, then `{{ seconds|duration }}` ("2 h 10 min"), `{{ status|sla_time }}` ("40 min left"),
`{{ status.level|sla_badge }}` (a Bootstrap class), `{{ line|ledger_text }}` ("Paused 2 h 10 min: …") and
`{% sla_event entry groups %}` (an SLA system entry of a record's timeline).
"""

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from servicedesk.models import Metric, Priority, SLAClock, SLASegment
from servicedesk.sla.status import Level

register = template.Library()

UNITS = (
    (86400, gettext_lazy("%(count)d d")),
    (3600, gettext_lazy("%(count)d h")),
    (60, gettext_lazy("%(count)d min")),
    (1, gettext_lazy("%(count)d s")),
)
BADGES = {
    Level.OK: "text-bg-success",
    Level.WARNING: "text-bg-warning",
    Level.BREACHED: "text-bg-danger",
    Level.PAUSED: "text-bg-secondary",
    Level.MET: "text-body-secondary bg-body-tertiary border",
    Level.CANCELLED: "text-body-secondary bg-body-tertiary border",
}
ICONS = {
    Level.OK: "bi-stopwatch",
    Level.WARNING: "bi-hourglass-split",
    Level.BREACHED: "bi-exclamation-triangle",
    Level.PAUSED: "bi-pause-circle",
    Level.MET: "bi-check-circle",
    Level.CANCELLED: "bi-x-circle",
}
STOP_REASONS = {
    "responded": gettext_lazy("the record was answered"),
    "resolved": gettext_lazy("the record was resolved"),
    "cancelled": gettext_lazy("the record was cancelled"),
    "no_policy": gettext_lazy("no SLA policy applies any more"),
    "no_target": gettext_lazy("the policy has no target for this priority"),
}
RUNNING_REASONS = {
    "reopened": gettext_lazy("after a reopen"),
    "calendar": gettext_lazy("on the new business hours"),
}


@register.filter
def duration(seconds) -> str:
    """Business or wall seconds in words, the two largest units: "2 h 10 min", "3 d 4 h", "45 s"."""
    try:
        left = int(abs(float(seconds)))
    except (TypeError, ValueError):
        return ""
    parts = []
    for size, words in UNITS:
        count, left = divmod(left, size)
        if count or parts:
            parts.append(str(words) % {"count": count} if count else "")
        if len(parts) == 2:
            break
    return " ".join(part for part in parts if part) or str(UNITS[-1][1]) % {"count": 0}


def metric_label(metric: str) -> str:
    try:
        return str(Metric(metric).label)
    except ValueError:
        return str(metric)


@register.filter
def sla_metric(metric) -> str:
    """ "response" → "Response", translated."""
    return metric_label(metric)


@register.filter
def sla_badge(level) -> str:
    """The Bootstrap badge classes of a clock's level (ok green, warning amber, breached red…)."""
    return BADGES.get(level, "text-bg-light border")


@register.filter
def sla_icon(level) -> str:
    return ICONS.get(level, "bi-stopwatch")


@register.filter
def sla_time(status) -> str:
    """A `ClockStatus` in a few words: "40 min left", "1 h 5 min overdue", "Paused, 20 min left", "Met"."""
    remaining = status.remaining_seconds
    if status.level == Level.CANCELLED:
        return _("Cancelled")
    if status.level == Level.MET:
        return _("Met")
    if status.level == Level.BREACHED:
        if status.state == SLAClock.State.PAUSED:
            return _("Paused, %(time)s overdue") % {"time": duration(remaining)}
        if status.state in (SLAClock.State.BREACHED, SLAClock.State.MET):
            return _("Breached")
        return _("%(time)s overdue") % {"time": duration(remaining)}
    if status.level == Level.PAUSED:
        return _("Paused, %(time)s left") % {"time": duration(remaining)}
    return _("%(time)s left") % {"time": duration(remaining)}


@register.filter
def sla_bar_width(percent) -> int:
    """A percentage as a progress bar width (0 to 100)."""
    try:
        return max(0, min(100, round(float(percent))))
    except (TypeError, ValueError):
        return 0


def _priority_label(value) -> str:
    try:
        return f"P{int(value)}"
    except (TypeError, ValueError):
        return str(value)


def _retarget_words(data: dict) -> str:
    before, after = data.get("from") or {}, data.get("to") or {}
    changes = []
    if before.get("priority") != after.get("priority"):
        changes.append(
            _("priority %(from)s → %(to)s")
            % {"from": _priority_label(before.get("priority")), "to": _priority_label(after.get("priority"))}
        )
    if before.get("policy") != after.get("policy"):
        changes.append(
            _("policy %(from)s → %(to)s") % {"from": before.get("policy"), "to": after.get("policy")}
        )
    if before.get("target_seconds") != after.get("target_seconds"):
        changes.append(
            _("target %(from)s → %(to)s")
            % {"from": duration(before.get("target_seconds")), "to": duration(after.get("target_seconds"))}
        )
    if before.get("time_zone") != after.get("time_zone"):
        changes.append(
            _("time zone %(from)s → %(to)s") % {"from": before.get("time_zone"), "to": after.get("time_zone")}
        )
    if not changes and data.get("calendar"):
        changes.append(_("the business hours changed"))
    return ", ".join(changes)


@register.filter
def ledger_text(line) -> str:
    """A `LedgerLine` in words: "Running 1 h 20 min", "Paused 2 h 10 min: waiting for the requester",
    "Re-targeted: priority P3 → P2", "Breached", "Stopped: met (the record was resolved)"."""
    segment = line.segment
    kind = segment.kind
    if kind == SLASegment.Kind.RUNNING:
        text = _("Running %(time)s") % {"time": duration(line.wall_seconds or 0)}
        if line.wall_seconds is not None and abs(line.wall_seconds - line.business_seconds) >= 60:
            text += " " + _("(%(time)s of business time)") % {"time": duration(line.business_seconds)}
        if segment.reason in RUNNING_REASONS:
            text += " " + str(RUNNING_REASONS[segment.reason])
        return text
    if kind == SLASegment.Kind.PAUSED:
        text = _("Paused %(time)s") % {"time": duration(line.wall_seconds or 0)}
        return f"{text}: {line.reason_label}" if line.reason_label else text
    if kind == SLASegment.Kind.RETARGETED:
        words = _retarget_words(segment.data or {})
        return _("Re-targeted: %(changes)s") % {"changes": words} if words else _("Re-targeted")
    if kind == SLASegment.Kind.BREACHED:
        return _("Breached")
    if kind == SLASegment.Kind.STOPPED:
        state = (segment.data or {}).get("state", "")
        labels = dict(SLAClock.State.choices)
        text = (
            _("Stopped: %(state)s") % {"state": str(labels.get(state, state)).lower()}
            if state
            else _("Stopped")
        )
        if segment.reason in STOP_REASONS:
            text += f" ({STOP_REASONS[segment.reason]})"
        return text
    return str(kind)


@register.simple_tag
def sla_event(entry, groups=None) -> str:
    """An SLA system entry of a timeline in words: "Response SLA warning at 75 %", "Resolution SLA
    breached", "Escalated at 100 % of the resolution target: reassigned to Network". `groups` maps
    support group ids to names (the page reads them once); empty when the entry is no SLA event."""
    data = entry.data or {}
    event = data.get("event")
    metric = metric_label(data.get("metric", ""))
    if event == "sla_warning":
        return _("%(metric)s SLA warning at %(percent)s %%") % {
            "metric": metric,
            "percent": data.get("percent"),
        }
    if event == "sla_breached":
        return _("%(metric)s SLA breached") % {"metric": metric}
    if event != "sla_escalated":
        return ""
    actions = data.get("actions") or []
    done = []
    if "reassign_to_escalation_group" in actions:
        name = (groups or {}).get(data.get("support_group"))
        done.append(
            _("reassigned to %(group)s") % {"group": name}
            if name
            else _("reassigned to the escalation group")
        )
    if "raise_priority" in actions:
        priority = data.get("priority")
        label = dict(Priority.choices).get(priority, _priority_label(priority))
        done.append(_("priority raised to %(priority)s") % {"priority": label})
    if "notify" in actions:
        count = len(data.get("notified") or [])
        done.append(
            ngettext("%(count)d person notified", "%(count)d people notified", count) % {"count": count}
        )
    text = _("Escalated at %(percent)s %% of the %(target)s target") % {
        "percent": data.get("percent"),
        "target": metric.lower(),
    }
    return f"{text}: {', '.join(str(part) for part in done)}" if done else text
