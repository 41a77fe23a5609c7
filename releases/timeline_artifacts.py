"""How the definitive software library's timeline entries read on a release."""

from servicedesk.records.timeline import register_timeline_renderer

MODEL = "releases.Release"
EVENTS = ("artifact_added", "artifact_removed", "artifacts_verified")


def register_artifact_renderers() -> None:
    for event in EVENTS:
        register_timeline_renderer("system", f"releases/timeline/{event}.html", data_type=event, model=MODEL)
