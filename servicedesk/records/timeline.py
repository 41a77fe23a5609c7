"""How timeline entries read: a template per entry kind, and per type of its data, registered by apps.

An entry's body and files are drawn by the shared timeline (`servicedesk/records/_timeline.html`); what it
says above them comes from the renderer registered for it, looked up from the most to the least specific:
the record's model with the entry's kind and data type, any model with the kind and type, the model with the
kind, any model with the kind. The data type is the value of one key of `entry.data`, by entry kind: a
transition's `transition` ("merge"), a link's `link` ("parent"), a system entry's `event` ("sla_breached").
The foundation registers readings for every kind (statuses and fields named through the record's own model);
a process app adds its own transitions, links and events in `AppConfig.ready()`.
"""

DATA_TYPE_KEYS = {"transition": "transition", "link": "link", "system": "event"}

_RENDERERS: dict[tuple[str, str, str], str] = {}


def register_timeline_renderer(kind: str, template: str, *, data_type: str = "", model: str = "") -> None:
    """Draw entries of `kind` (with this `data_type`, on records of `model` "app_label.Model", when given)
    with `template`; it is included with the timeline's context, which has `entry` and `record`."""
    if data_type and kind not in DATA_TYPE_KEYS:
        raise ValueError(f"Timeline entries of kind {kind!r} have no data type.")
    key = (model.lower(), kind, data_type)
    existing = _RENDERERS.get(key)
    if existing is not None and existing != template:
        raise ValueError(f"A timeline renderer for {key} is already registered: {existing}.")
    _RENDERERS[key] = template


def data_type(entry) -> str:
    key = DATA_TYPE_KEYS.get(entry.kind)
    data = entry.data if isinstance(entry.data, dict) else {}
    value = data.get(key) if key else None
    return value if isinstance(value, str) else ""


def timeline_renderer(entry, record=None) -> str:
    """The template that tells what `entry` (on `record`'s timeline) was, or "" when nothing is registered."""
    model = record._meta.label_lower if record is not None and hasattr(record, "_meta") else ""
    detail = data_type(entry)
    kind = entry.kind
    for key in ((model, kind, detail), ("", kind, detail), (model, kind, ""), ("", kind, "")):
        if key in _RENDERERS:
            return _RENDERERS[key]
    return ""


SLA_EVENTS = ("sla_warning", "sla_breached", "sla_escalated")
EMAIL_EVENTS = ("email_attachments_refused", "email_unverified_sender")
APPROVAL_EVENTS = ("approval_requested", "approval_decided", "approval_delegated", "approval_settled")


def register_foundation_renderers() -> None:
    """How the foundation's entries read: status and field changes, links, and its own system events."""
    folder = "servicedesk/records/timeline"
    register_timeline_renderer("transition", f"{folder}/transition.html")
    register_timeline_renderer("field_change", f"{folder}/field_change.html")
    register_timeline_renderer("link", f"{folder}/link.html")
    register_timeline_renderer("system", f"{folder}/system.html")
    for event in SLA_EVENTS:
        register_timeline_renderer("system", f"{folder}/sla.html", data_type=event)
    for event in EMAIL_EVENTS:
        register_timeline_renderer("system", f"{folder}/email.html", data_type=event)
    for event in APPROVAL_EVENTS:
        register_timeline_renderer("system", f"{folder}/approval.html", data_type=event)
