"""How a release's own timeline entries read: its checklist, its artifacts and its waves (registered in
`ReleasesConfig.ready()`)."""

from servicedesk.records.timeline import register_timeline_renderer

MODEL = "releases.Release"
EVENTS = ("checklist", "artifact_added", "artifacts_verified", "wave_started", "wave_finished")


def register_release_renderers() -> None:
    for event in EVENTS:
        register_timeline_renderer("system", f"releases/timeline/{event}.html", data_type=event, model=MODEL)
