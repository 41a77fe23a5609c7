"""How this app's timeline entries read: renderers registered with the kernel in `IncidentsConfig.ready()`."""

from servicedesk.records.timeline import register_timeline_renderer

MODEL = "incidents.Incident"
LINKS = ("merged", "child_added", "child_removed", "parent", "follow_up_of", "followed_up_by")
EVENTS = ("major_declared", "major_stood_down", "email_no_default_request_type")


def register_timeline_renderers() -> None:
    register_timeline_renderer("transition", "incidents/timeline/transition.html", model=MODEL)
    register_timeline_renderer("transition", "incidents/timeline/merge.html", data_type="merge", model=MODEL)
    for link in LINKS:
        register_timeline_renderer("link", "incidents/timeline/link.html", data_type=link, model=MODEL)
    for event in EVENTS:
        register_timeline_renderer("system", "incidents/timeline/system.html", data_type=event, model=MODEL)
